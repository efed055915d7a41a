// The games es-demo plays: pure scripts of valid game events, one per game,
// in the turns the bot appends them in.
//
// A game is planned (`plan_games`: guilds and modes in rotation, a seed
// each) and then scripted (`script`): the host creates it, players join one
// at a time, teams form and the game starts; rounds follow with guesses in
// the mode's own events (two-player pair results and the shared target,
// knockout eliminations, race matches, progress and expiry), and between
// rounds what a real game sees: pauses and resumes, a player going idle and
// coming back, a configuration change, a mode change (standard <-> race),
// an error with its recovery, a player leaving. The game then completes
// (standings, winner) or, for some seeds, is cancelled by its host.
//
// A turn is what one user action (a slash command, a guess) makes the bot
// write: its first event carries the action's new correlation id, the
// others are caused by the first. Every event is validated and encoded by
// the catalog (base, type and mode rules), so a script that does not pass
// it is a bug of this file and `script` returns the violation. Pure apart
// from drawing UUIDv7s and reading the clock; the same plan gives the same
// game (apart from ids and times).
#pragma once

#include "messages/event.hpp"
#include "messages/game.hpp"
#include "messages/uuid.hpp"
#include "registry/catalog.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace es::demo {

/// One game the demo bot plays.
struct game_plan {
  uuid game_id;
  std::string guild_id;
  game::mode mode = game::mode::standard;
  uint32_t seed = 0;
};

/// What one user action makes the bot append to the game's stream.
using turn = std::vector<event_data>;

/// `games` games over `guilds` guilds (both at least 1), the modes in
/// rotation, seeds drawn from `seed`.
std::vector<game_plan> plan_games(size_t games, size_t guilds, uint32_t seed);

/// The turns of `plan`'s game, every event encoded by `cat`.
caf::expected<std::vector<turn>> script(const game_plan& plan,
                                        const registry::catalog& cat);

/// The client version the demo bot writes into every event's metadata.
inline constexpr const char* demo_client = "gamebot-demo/1.0";

} // namespace es::demo
