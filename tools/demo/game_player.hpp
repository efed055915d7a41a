// The demo bot's game actor: plays one scripted game (tools/demo/
// game_script.hpp) against the store, one turn per append, as the bot's
// command handlers would.
//
// Each turn is appended to the game's stream with the version the previous
// turn left (`expected_version::exact`), so a turn can only land on the
// game as this actor last saw it. A turn that fails for now (`timeout`,
// `unavailable`, `circuit_open`) is sent again, unchanged, after a backoff:
// its event ids make the store recognise a retry of an append that did land
// after all (`replayed`). Now and then the actor also sends a turn that
// succeeded a second time, as a bot whose request timed out would, and
// counts the replay. Any other error ends the game: it is reported, and the
// demo fails.
//
// Turns are spaced by `pace` (drawn between half and one and a half times
// it; zero: back to back). Progress is counted in `counters` (shared with
// the demo's progress bar); when the game ends (all turns appended, or an
// error) the actor sends one `game_report` to `report_to` and quits.
#pragma once

#include "messages/actors.hpp"
#include "tools/demo/game_script.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace es::demo {

/// Counts shared by every game actor and the progress bar.
struct demo_counters {
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> appends{0};
  std::atomic<uint64_t> games_done{0};
};

/// What a game actor reports when its game ends.
struct game_report {
  std::string stream;
  uint64_t events = 0;
  uint64_t appends = 0;
  /// Appends sent again after a failure for now, and turns sent twice on
  /// purpose that the store recognised as replays.
  uint64_t retries = 0;
  uint64_t replays = 0;
  /// Each successful append's time from request to reply, microseconds.
  std::vector<int64_t> latencies_us;
  /// Empty when every turn landed.
  caf::error error;
};

/// Spawns the actor playing `turns` into `stream`.
caf::actor spawn_game_player(caf::actor_system& sys, node_actor node,
                             std::string stream, std::vector<turn> turns,
                             std::chrono::milliseconds pace,
                             std::shared_ptr<demo_counters> counters,
                             caf::actor report_to);

} // namespace es::demo

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::demo::game_report)

CAF_BEGIN_TYPE_ID_BLOCK(es_demo, caf::id_block::es_messages::end)
/// A game actor's own timer: play the next turn.
CAF_ADD_ATOM(es_demo, es::demo, play_atom, "play")
CAF_ADD_TYPE_ID(es_demo, (es::demo::game_report))
CAF_END_TYPE_ID_BLOCK(es_demo)
