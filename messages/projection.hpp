// Value types of projections that more than one layer needs: what the
// storage layer keeps of a projection (`projection_record`) and the rows of
// the leaderboard read model (`leaderboard_entry`). Plain data.
#pragma once

#include "messages/time.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace es {

/// A projection as stored in es_projections (storage/projection_store.hpp).
struct projection_record {
  std::string name;
  /// The version of the projection's code that built the active model.
  int32_t version = 0;
  /// The active generation of the read model and its position: every event
  /// of the log up to it, inclusive, is in the model.
  int64_t generation = 1;
  int64_t position = 0;
  /// In-memory models: the model at `position`, as JSON.
  std::optional<std::string> snapshot;
  /// A rebuild in progress: its generation, version and position.
  std::optional<int64_t> rebuild_generation;
  int32_t rebuild_version = 0;
  int64_t rebuild_position = 0;
  timestamp updated_at;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, projection_record& x) {
  return f(caf::meta::type_name("es.projection_record"), x.name, x.version,
           x.generation, x.position, x.snapshot, x.rebuild_generation,
           x.rebuild_version, x.rebuild_position, x.updated_at);
}

/// How far a projection's rebuild (a replay from the origin into a new
/// generation) has come: events folded in out of the events the log held
/// when it began (0 when they cannot be counted: only the whole log and
/// one category can), the position reached and the one it had to reach
/// (the live model's position when it began; it swaps once it gets there),
/// and its rate since it began.
struct rebuild_progress {
  uint64_t events_done = 0;
  uint64_t events_total = 0;
  int64_t position = 0;
  int64_t target = 0;
  double events_per_second = 0;
};

/// One player's line of a guild's leaderboard (actors/leaderboard_model.hpp
/// says how each count is made). As a change to apply, the counts are
/// added and a non-empty `display_name` replaces the stored one.
struct leaderboard_entry {
  std::string guild_id;
  std::string player_id;
  std::string display_name;
  int64_t games = 0;
  int64_t guesses = 0;
  int64_t correct = 0;
  int64_t points = 0;

  friend bool operator==(const leaderboard_entry& x,
                         const leaderboard_entry& y) {
    return x.guild_id == y.guild_id && x.player_id == y.player_id
           && x.display_name == y.display_name && x.games == y.games
           && x.guesses == y.guesses && x.correct == y.correct
           && x.points == y.points;
  }
  friend bool operator!=(const leaderboard_entry& x,
                         const leaderboard_entry& y) {
    return !(x == y);
  }
};

template<class F>
bool fields(F& f, leaderboard_entry& x) {
  return f("guild_id", x.guild_id) && f("player_id", x.player_id)
         && f("display_name", x.display_name) && f("games", x.games)
         && f("guesses", x.guesses) && f("correct", x.correct)
         && f("points", x.points);
}

} // namespace es
