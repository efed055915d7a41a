// The live state of every game: a pure fold of the game's events (no actor,
// no database), kept in memory by the game-state projection
// (actors/game_projections.hpp) and tested on its own.
//
// Per game (keyed by game id): its guild, mode and phase (created,
// started, completed, cancelled), the current round and whether it is
// being played, whether the game is paused, the players (display name,
// team, presence, status), the teams (name, members, eliminated), the
// winner, the last error and whether a recovery is running.
//
// `apply` takes events as the store delivers them (upcast to the latest
// version of their type). Events of other types (guesses, scores, other
// streams' events) change nothing; an event of a game type that is not at
// the version this code reads, or whose data cannot be decoded, is an
// error and changes nothing (a projection declines it, so the
// subscription retries and then parks it). Deterministic: the same events
// in the same order give equal models, whatever batches they came in.
// Serializable as JSON (`fields`) for snapshots.
#pragma once

#include "messages/event.hpp"
#include "messages/game.hpp"
#include "messages/uuid.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <array>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace es {

/// Where a game is in its life.
enum class game_phase : uint8_t { created, started, completed, cancelled };

constexpr auto enum_names(game_phase) {
  return std::array{std::pair{game_phase::created, "created"},
                    std::pair{game_phase::started, "started"},
                    std::pair{game_phase::completed, "completed"},
                    std::pair{game_phase::cancelled, "cancelled"}};
}

/// A player of a game.
struct player_state {
  std::string display_name;
  std::optional<uuid> team_id;
  game::player_status status = game::player_status::active;
  /// False once the player left (until they join again).
  bool present = true;

  friend bool operator==(const player_state& x, const player_state& y) {
    return x.display_name == y.display_name && x.team_id == y.team_id
           && x.status == y.status && x.present == y.present;
  }
};

template<class F>
bool fields(F& f, player_state& x) {
  return f("display_name", x.display_name) && f("team_id", x.team_id)
         && f("status", x.status) && f("present", x.present);
}

/// A team of a game.
struct team_state {
  std::string name;
  std::set<std::string> members;
  bool eliminated = false;

  friend bool operator==(const team_state& x, const team_state& y) {
    return x.name == y.name && x.members == y.members
           && x.eliminated == y.eliminated;
  }
};

template<class F>
bool fields(F& f, team_state& x) {
  return f("name", x.name) && f("members", x.members)
         && f("eliminated", x.eliminated);
}

/// One game's live state.
struct game_state {
  std::optional<std::string> guild_id;
  game::mode mode = game::mode::standard;
  game_phase phase = game_phase::created;
  /// The round being played or last played (0 before the first).
  int32_t round = 0;
  bool round_active = false;
  bool paused = false;
  std::map<std::string, player_state> players;
  std::map<uuid, team_state> teams;
  std::optional<uuid> winner_team_id;
  /// The last GameError, and whether a recovery is running.
  std::optional<game::error_kind> last_error;
  std::optional<std::string> last_error_context;
  bool recovering = false;
  /// Events of this game that changed its state (guesses and scores do
  /// not), and the stream version of the last of them.
  int64_t events = 0;
  int64_t stream_version = 0;

  friend bool operator==(const game_state& x, const game_state& y) {
    return x.guild_id == y.guild_id && x.mode == y.mode && x.phase == y.phase
           && x.round == y.round && x.round_active == y.round_active
           && x.paused == y.paused && x.players == y.players
           && x.teams == y.teams && x.winner_team_id == y.winner_team_id
           && x.last_error == y.last_error
           && x.last_error_context == y.last_error_context
           && x.recovering == y.recovering && x.events == y.events
           && x.stream_version == y.stream_version;
  }
};

template<class F>
bool fields(F& f, game_state& x) {
  return f("guild_id", x.guild_id) && f("mode", x.mode) && f("phase", x.phase)
         && f("round", x.round) && f("round_active", x.round_active)
         && f("paused", x.paused) && f("players", x.players)
         && f("teams", x.teams) && f("winner_team_id", x.winner_team_id)
         && f("last_error", x.last_error)
         && f("last_error_context", x.last_error_context)
         && f("recovering", x.recovering) && f("events", x.events)
         && f("stream_version", x.stream_version);
}

/// Every game's state (see the file comment).
class game_state_model {
public:
  /// Folds one event in (see the file comment for what it skips).
  caf::error apply(const recorded_event& ev);

  /// The game's state, if any event of it was folded in.
  const game_state* find(const uuid& game_id) const;

  const std::map<uuid, game_state>& games() const noexcept { return games_; }

  /// The model as JSON, and back.
  caf::expected<std::string> to_json() const;
  static caf::expected<game_state_model> from_json(std::string_view text);

  /// Answers a query (the game-state projection's `query_atom`): a game id
  /// gives that game's state as JSON (`not_found` when unknown); an empty
  /// key gives the whole model.
  caf::expected<std::string> query(std::string_view key) const;

  friend bool operator==(const game_state_model& x,
                         const game_state_model& y) {
    return x.games_ == y.games_;
  }
  friend bool operator!=(const game_state_model& x,
                         const game_state_model& y) {
    return !(x == y);
  }

  template<class F>
  friend bool fields(F& f, game_state_model& x) {
    return f("games", x.games_);
  }

private:
  std::map<uuid, game_state> games_;
};

} // namespace es
