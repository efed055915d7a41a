// The inspector: the operator console's end inside the store's process
// (tools/es_console.cpp is the other). It holds the node handle and answers
// each console command by asking the node and its components; the wire
// format and the commands are in actors/console_commands.hpp, the replies'
// JSON in actors/console_json.hpp.
//
// What it asks: the node's status (pool, router, restarts) and components
// (`status_atom, component`), the dispatcher's head, the session's backend,
// the subscriptions the node started (`list_atom`) and their status, the
// registry's catalog, and the database through the pool (stream list,
// stored subscriptions and their parked events, the log horizon: reads run
// as `projection_op::kind::query`, the pool's generic read on a
// connection). Projections are not the node's: whoever spawns one tells
// the inspector about it (`register_projection`) so that the console can
// show and rebuild it.
//
// `status` reports the inspector's uptime: it is published right after the
// node starts, so it stands for the store's.
//
// Metrics: it samples the pool's counters once a second (the last minute
// is kept) for the append rate and the mean group-commit size. The store
// measures no append latency yet; the reply says so rather than invent one.
//
// `tail`: a transient subscription (start now, not persistent, never
// restarted) whose subscriber (actors/tail_forwarder.hpp) sends each event
// to the console's sink actor until the console is gone.
//
// Publishing: CAF's remote protocol has NO authentication: whoever reaches
// the port can read every event and trigger replays and rebuilds. So it
// listens on 127.0.0.1 unless told otherwise, and binding elsewhere needs
// `allow_remote` and logs a warning.
//
// Supervision: spawned by `publish_inspector`, linked to nothing but its
// tail forwarders; it monitors the node and quits (user_shutdown, taking
// the forwarders along) when the node is gone, so the actor system can
// shut down, also while a console tails it (tests/tools/console_test.cpp).
// A failure of a component it asks is answered as an error reply and
// leaves it running.
#pragma once

#include "messages/actors.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace es {

/// Where the inspector listens. The lead's configuration
/// (config/es_config.*: console_options) maps onto this.
struct inspector_endpoint {
  /// The address to bind: 127.0.0.1 by default. Anything else (including
  /// "" or "0.0.0.0": every interface) needs `allow_remote`.
  std::string bind = "127.0.0.1";
  /// 0: a free port (publish_inspector returns it).
  uint16_t port = 0;
  /// Permits a non-loopback `bind` (logged as a warning: no auth).
  bool allow_remote = false;
  /// How long it waits for each component's answer.
  std::chrono::milliseconds request_timeout{10000};
};

struct inspector_state {
  using clock = std::chrono::steady_clock;
  static inline const char* name = "inspector";

  node_actor node;
  std::chrono::milliseconds request_timeout{10000};
  clock::time_point started = clock::now();
  /// Projections it may show and rebuild, by name.
  std::map<std::string, projection_actor> projections;
  /// The pool's counters, once a second, the last minute of them.
  struct sample {
    clock::time_point at;
    uint64_t appends = 0;
    uint64_t transactions = 0;
  };
  std::deque<sample> samples;
  /// Tails started, to name their subscriptions.
  uint64_t tails = 0;
};

/// The inspector's behavior (see the file comment).
inspector_actor::behavior_type
inspector(inspector_actor::stateful_pointer<inspector_state> self,
          node_actor node, std::chrono::milliseconds request_timeout);

/// Spawns the inspector for `node` and publishes it with the middleman
/// at `where`; returns the port it listens on. Errors: the actor system
/// has no middleman (`cfg.load<caf::io::middleman>()` is missing), a
/// non-loopback address without `allow_remote` (`invalid_argument`), or
/// the middleman's own (a busy port: `cannot_open_port`). On success the
/// inspector runs until the node stops; `inspector_out` receives it.
caf::expected<uint16_t>
publish_inspector(caf::actor_system& sys, const node_actor& node,
                  const inspector_endpoint& where,
                  inspector_actor* inspector_out = nullptr);

/// Tells `inspector` about a projection the console may show and rebuild
/// (by `name`; a later one of the same name replaces it). Asynchronous.
void register_projection(const inspector_actor& inspector, std::string name,
                         const projection_actor& projection);

} // namespace es
