// The game's catalog: every event of `game::all_events` in its latest
// version, the older versions that stored streams may still hold (with their
// upcasters), and the built-in mode plugins. What the node registers at
// start; more types and versions can be added at runtime through the
// registry actor.
#pragma once

#include "registry/catalog.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>

namespace es::registry {

/// A fresh catalog with everything the game knows.
catalog game_catalog();

/// PlayerJoined v1 -> v2. Version 1 stored no display name; the player id
/// stands in for it until the player's next join.
caf::expected<std::string> upcast_player_joined_v1(std::string_view data);

/// RoundEnded v1 -> v2. Version-1 games had no teams: the whole game counts
/// as one team, keyed by the game id, carrying the round's total guesses and
/// whether somebody solved the word; the reason follows from the winner.
caf::expected<std::string> upcast_round_ended_v1(std::string_view data);

} // namespace es::registry
