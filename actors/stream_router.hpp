// The stream router: one stream actor per active stream.
//
// The router hands each append to its stream's actor, spawning it on first
// use. Stream actors are monitored (and monitor the router in turn: when it
// dies they send what they hold, then stop):
// - Passivation: a stream actor idle for `stream_idle_timeout` reports how
//   many appends it has received. If the router has forwarded no more than
//   that, nothing is in the actor's mailbox, so the router forgets it and
//   stops it; otherwise an append is on its way and the actor stays. The
//   router is the only sender of appends to stream actors, which makes
//   this race-free.
// - Crashes: a stream actor that dies for any other reason is forgotten and
//   counted; the next append to its stream spawns a new one, which rebuilds
//   its version cache from its first commit. Other streams never notice.
//
// Shutdown: on an exit message the router refuses new appends
// (`unavailable`), stops every stream actor (each sends what it holds
// first), and quits when the last one is down.
//
// Supervision: spawned and monitored by the node. Its own state is only the
// map of live stream actors, so a restarted router loses nothing but the
// version caches.
#pragma once

#include "messages/actors.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace es {

struct stream_router_state {
  static inline const char* name = "stream-router";

  struct entry {
    stream_actor actor;
    /// Appends forwarded to the actor.
    uint64_t forwarded = 0;
  };

  pool_actor pool;
  std::shared_ptr<registry::catalog_source> catalog;
  std::chrono::milliseconds idle_timeout{};
  std::unordered_map<std::string, entry> streams;
  /// Which stream a monitored actor serves.
  std::unordered_map<caf::actor_addr, std::string> owners;
  router_status counters;
  /// Stopping: waits for every stream actor, then quits with `exit_reason`.
  bool draining = false;
  caf::error exit_reason;
};

router_actor::behavior_type
stream_router(router_actor::stateful_pointer<stream_router_state> self,
              pool_actor pool,
              std::shared_ptr<registry::catalog_source> catalog,
              std::chrono::milliseconds idle_timeout);

} // namespace es
