// The bot's two projections (definitions for actors/projection.hpp):
//
// - The live state of each game (actors/game_state_model.hpp), in memory,
//   with snapshots. Query keys: a game id (that game's `game_state` as
//   JSON; `not_found` when unknown) or "" (the whole model).
// - A leaderboard per guild (actors/leaderboard_model.hpp), in PostgreSQL
//   (es_leaderboard), each batch's rows committed with the position.
//   Query keys: `leaderboard_top_key(guild, n)` (a JSON array of
//   `leaderboard_entry`, best first), `leaderboard_player_key(guild,
//   player)` (one entry; `not_found` when the player has none) and "all"
//   (every entry of every guild).
//
// Both fold the events of `category` ("game" for the bot's "game-<id>"
// streams). `version` is the version of the folding code: raise it when the
// code changes what a model holds, and the projection rebuilds itself.
#pragma once

#include "actors/game_state_model.hpp"
#include "actors/leaderboard_model.hpp"
#include "actors/projection.hpp"

#include <string>

namespace es {

/// The game-state projection's definition.
projection_definition game_state_projection(std::string name = "game-state",
                                            int32_t version = 1,
                                            std::string category = "game");

/// The leaderboard projection's definition.
projection_definition leaderboard_projection(std::string name = "leaderboard",
                                             int32_t version = 1,
                                             std::string category = "game");

/// Query keys of the leaderboard projection.
std::string leaderboard_top_key(const std::string& guild, size_t n);
std::string leaderboard_player_key(const std::string& guild,
                                   const std::string& player);
inline constexpr const char* leaderboard_all_key = "all";

} // namespace es
