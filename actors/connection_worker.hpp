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
//   queue live in the supervisor, and so does the watchdog that breaks a
//   connection whose server stopped answering (`interrupt_handle`).
//
// Supervision: linked to the supervisor, so it dies with it. It holds no
// state besides its connection, so a restarted worker loses nothing.
#pragma once

#include "config/store_options.hpp"
#include "messages/actors.hpp"
#include "storage/event_store.hpp"

#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace es {

/// Lets the supervisor break a worker's connection from another thread, so
/// that a libpq call blocked on a server that stopped answering returns
/// (with a broken connection) instead of holding the worker forever: the
/// watchdog. The worker publishes its socket after connecting and retracts
/// it before closing it, under the same lock that `interrupt` holds while it
/// shuts the socket down, so `interrupt` never touches a closed (or reused)
/// descriptor. Thread-safe.
class interrupt_handle {
public:
  /// Worker: the socket of the new connection, or -1 before closing it.
  void publish(int fd);

  /// Supervisor: shuts the published socket down (both directions); returns
  /// whether there was one.
  bool interrupt();

private:
  std::mutex mtx_;
  int fd_ = -1;
};

struct connection_worker_state {
  static inline const char* name = "connection-worker";
  std::string dsn;
  store_options options;
  std::optional<storage::event_store> store;
  std::shared_ptr<interrupt_handle> handle;

  connection_worker_state() = default;
  connection_worker_state(const connection_worker_state&) = delete;
  connection_worker_state& operator=(const connection_worker_state&) = delete;

  /// The connection closes with the worker: its socket is retracted from
  /// the watchdog first (this body runs before `store` is destroyed).
  ~connection_worker_state() {
    if (handle)
      handle->publish(-1);
  }
};

/// Spawn with `spawn<caf::detached>`. `dsn` is a libpq connection string;
/// `handle` is shared with the supervisor (see `interrupt_handle`).
connection_worker_actor::behavior_type connection_worker(
    connection_worker_actor::stateful_pointer<connection_worker_state> self,
    std::string dsn, store_options options,
    std::shared_ptr<interrupt_handle> handle);

} // namespace es
