// Mode plugins: the rules a game mode adds on top of the per-type validators
// (registry/game_validators.hpp).
//
// A plugin is a plain function that sees one event at a time: its base (for
// mode, round and ids) and an `event_view` through which it looks at the
// event types it cares about (`view.as<game::team_created>()`) and ignores
// all others. Rules are therefore stateless ("a two-player team has exactly
// two members"); rules that need the game's history belong to the game
// aggregate, not here. The catalog runs every plugin registered for the
// event's `game_mode` after the type's validator; a mode may have several
// plugins, and one plugin may serve several modes.
//
// Built-in rules:
//   two_player: TeamCreated has exactly 2 members; GameStarted exactly 2
//     players; GameCreated max_players is 2; RoundEnded (v2) has at most one
//     team result (the pair's).
//   knockout: PlayerEliminated and TeamEliminated carry the round they
//     happened in and, for reason "other", a detail text; GameCompleted
//     names a winner.
//   race: RoundStarted is timed (time_limit_ms present);
//     TeamProgressUpdated's progress_percent is floor(100 * words_solved /
//     target_words); RaceTimeExpired overruns its limit by at most a minute.
//   standard, two_player, race: nobody is eliminated (PlayerStatusChanged to
//     "eliminated" is knockout-only).
// Violations carry the JSON pointer of the field they concern. Pure
// functions, thread-safe.
#pragma once

#include "messages/game.hpp"
#include "messages/game_events.hpp"
#include "registry/validation.hpp"

#include <functional>
#include <utility>
#include <vector>

namespace es::registry {

/// A mode's stateless check of one event; appends violations to the last
/// argument. The catalog keeps a list of these per mode.
using mode_check =
    std::function<void(const game::event_base&, const event_view&,
                       const validation_context&, violations&)>;

void check_two_player(const game::event_base& base, const event_view& view,
                      const validation_context& ctx, violations& out);
void check_knockout(const game::event_base& base, const event_view& view,
                    const validation_context& ctx, violations& out);
void check_race(const game::event_base& base, const event_view& view,
                const validation_context& ctx, violations& out);
/// Rejects eliminations (registered for every mode but knockout).
void check_no_elimination(const game::event_base& base, const event_view& view,
                          const validation_context& ctx, violations& out);

/// Every built-in (mode, check) pair, in the order they should run.
std::vector<std::pair<game::mode, mode_check>> builtin_mode_plugins();

} // namespace es::registry
