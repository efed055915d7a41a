// A leaderboard per guild: a pure fold of the game's events, kept in
// PostgreSQL (es_leaderboard) by the leaderboard projection
// (actors/game_projections.hpp) and tested on its own.
//
// Scoring, per (guild, player), from events of games played in a guild
// (games in direct messages have no guild and do not count):
// - PlayerJoined: `games` + 1 unless it is a rejoin; the display name
//   becomes the latest one given.
// - GuessProcessed: `guesses` + 1, `correct` + 1 when correct, `points` +
//   the guess's points.
// - PairGuessResult (two-player): `guesses` + 1, `correct` + 1 when correct.
// - RaceMatchCounted (race): `guesses` + 1 and `correct` + 1 (a matched word).
// Rank: most points, then most correct guesses, then by player id.
//
// Every count is a sum, so folding a batch of events into an empty model
// gives exactly the change to add to the stored rows (`entries`, applied
// by storage::add_to_leaderboard); that is how the projection writes a
// batch. Errors and determinism as for game_state_model.
#pragma once

#include "messages/event.hpp"
#include "messages/projection.hpp"

#include <caf/error.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace es {

class leaderboard_model {
public:
  /// Folds one event in.
  caf::error apply(const recorded_event& ev);

  /// Every row, by guild and then player id.
  std::vector<leaderboard_entry> entries() const;

  /// The best `n` of `guild` (see the file comment for the order).
  std::vector<leaderboard_entry> top(const std::string& guild,
                                     size_t n) const;

  /// One player's row, if any.
  std::optional<leaderboard_entry> find(const std::string& guild,
                                        const std::string& player) const;

  bool empty() const noexcept { return rows_.empty(); }

  friend bool operator==(const leaderboard_model& x,
                         const leaderboard_model& y) {
    return x.rows_ == y.rows_;
  }

private:
  leaderboard_entry& row(const std::string& guild, const std::string& player);

  std::map<std::pair<std::string, std::string>, leaderboard_entry> rows_;
};

/// Ranks `rows` in leaderboard order (see the file comment).
void rank(std::vector<leaderboard_entry>& rows);

} // namespace es
