// A connection worker: one PostgreSQL connection on a thread of its own.
//
// Spawned detached by the connection supervisor (one per pool slot): libpq
// blocks, and a blocked worker must not hold one of the scheduler's few
// threads. Workers are the only actors that call libpq.
//
// A worker is deliberately simple; the supervisor makes every decision:
// - It connects when asked (`connect_atom`) or when a request finds it
//   without a connection, and applies pending migrations on connect.
// - It runs one request at a time and replies with the result. A request
//   that fails because the connection broke drops the connection (a
//   connection in an unknown protocol state, e.g. still in pipeline mode
//   after a failure half-way, is never reused) and replies `ec::unavailable`
//   (for a commit batch: `connection_lost` set); the next request
//   reconnects.
// - It never retries and never sleeps: backoff, the breaker and the outage
//   queue live in the supervisor.
//
// Supervision: linked to the supervisor, so it dies with it. It holds no
// state besides its connection, so a restarted worker loses nothing.
#pragma once

#include "config/store_options.hpp"
#include "messages/actors.hpp"
#include "storage/event_store.hpp"

#include <optional>
#include <string>

namespace es {

struct connection_worker_state {
  static inline const char* name = "connection-worker";
  std::string dsn;
  store_options options;
  std::optional<storage::event_store> store;
};

/// Spawn with `spawn<caf::detached>`. `dsn` is a libpq connection string.
connection_worker_actor::behavior_type connection_worker(
    connection_worker_actor::stateful_pointer<connection_worker_state> self,
    std::string dsn, store_options options);

} // namespace es
