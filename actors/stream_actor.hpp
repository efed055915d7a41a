// A stream actor: the single writer of one stream in this process.
//
// Spawned by the stream router on the first append to its stream. It
// serializes the stream's appends: one at a time goes to the pool, the rest
// wait here in arrival order, and callers are answered in that order. For
// each append it
// 1. fails it with `ec::timeout` if its deadline passed while it waited;
// 2. rejects a provably stale expected version from its version cache
//    (actors/version_cache.hpp), without a database round trip;
// 3. validates the events against the current catalog snapshot (read
//    without a message round trip: registry/catalog.hpp, catalog_source);
// 4. sends it to the pool and, after COMMIT, learns the new version.
//
// Passivation: after `idle_timeout` without appends it tells the router how
// many appends it has handled; the router stops it if none arrived since
// (actors/stream_router.hpp), so no append is ever lost to passivation.
//
// Stopping: on an exit message (passivation, shutdown), or when the router
// it monitors dies, it still sends the appends it holds and answers their
// callers, then quits.
//
// Crashes: it holds nothing that is not in the database (the cache is a
// lower bound, rebuilt from the next commit), so the router simply spawns
// a new one. Appends waiting in a crashed actor fail with a CAF error
// (`broken_promise`) and were never written.
#pragma once

#include "actors/version_cache.hpp"
#include "messages/actors.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

namespace es {

struct stream_actor_state {
  static inline const char* name = "stream";

  struct queued {
    append_command cmd;
    caf::typed_response_promise<append_result> promise;
  };

  std::string stream;
  pool_actor pool;
  router_actor router;
  std::shared_ptr<registry::catalog_source> catalog;
  std::chrono::milliseconds idle_timeout{};
  version_cache version;
  std::deque<queued> waiting;
  bool in_flight = false;
  /// Appends received; reported to the router when idle.
  uint64_t received = 0;
  /// When the actor last became idle, and whether its idle timer is armed.
  std::chrono::steady_clock::time_point last_activity;
  bool idle_timer_armed = false;
  /// Stopping: sends what waits, then quits with `exit_reason`.
  bool draining = false;
  caf::error exit_reason;
};

stream_actor::behavior_type
stream_behavior(stream_actor::stateful_pointer<stream_actor_state> self,
                std::string stream, pool_actor pool, router_actor router,
                std::shared_ptr<registry::catalog_source> catalog,
                std::chrono::milliseconds idle_timeout);

} // namespace es
