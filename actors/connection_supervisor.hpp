// The connection supervisor: the pool of connection workers and everything
// that keeps the write path alive when PostgreSQL is not.
//
// Group commit. Appends wait in one `storage::commit_queue`. Whenever a
// worker is free, the supervisor takes the next group (fair across
// streams, bounded by events and bytes) and sends it as one transaction;
// while it is in flight, newer appends queue up for the next group, so the
// transaction size grows with concurrency. A group is durable unless every
// append in it asked for `durability::relaxed`.
//
// Outage queue. The same queue holds appends while no connection is up.
// Each waits until its deadline and fails with `ec::timeout` then; an
// append that does not fit the queue's bounds fails at once with
// `ec::unavailable`. Nothing is acknowledged before COMMIT.
//
// Ambiguous commits. When a worker's connection breaks while a group is in
// flight, the supervisor cannot know whether the COMMIT landed. It puts the
// group's unanswered appends back at the head of the line and sends them
// again, with the same event ids, once a connection is up: the store
// recognises events that are already stored and answers `replayed` (see
// storage/replay.hpp), so an append is acknowledged exactly when it is in
// the database, and never written twice. If the deadline passes first, the
// caller gets `ec::timeout` saying that the outcome is unknown and that a
// retry with the same ids is safe.
//
// Order. The pool keeps the arrival order of appends to one stream only
// while at most one of them is in flight (what stream actors guarantee).
//
// Connections. Each worker slot is up or down. A slot goes down when its
// connection breaks (a failed request, connect or health check) and comes
// back after reconnect attempts spaced by exponential backoff with jitter.
// Every transition of a slot and of the pool (connected / degraded / down)
// is logged once, with its cause. Idle connections are health-checked
// every `health_interval`.
//
// Circuit breaker. Every transaction and every reconnect attempt is a call
// through `storage::circuit_breaker`; only connection failures count
// against it (an SQL error, a conflict, never does). While it is open, no
// connection is attempted (the store does not hammer a dead server), reads
// fail at once with `ec::circuit_open` and a retry-after, and appends wait
// in the outage queue like any other append while the server is down: up
// to their deadline and the queue's bound (DESIGN, guarantee 8), then they
// fail with `timeout` or `unavailable`. When it half-opens, one reconnect
// attempt (or transaction) probes the server, and the queued appends
// commit once a connection is back.
//
// Watchdog. A worker that has not answered a request within
// `query_timeout` is stuck on a server that stopped answering (a stalled
// network, a hung server): the supervisor shuts its socket down, the
// blocked libpq call returns with a broken connection, and the request
// takes the broken-connection path above (a group is retried as an
// ambiguous commit).
//
// Reads and stream info go to a free worker too, alternating with groups
// so that neither starves the other.
//
// Shutdown. On an exit message the supervisor stops taking appends (they
// fail with `unavailable`), lets the queued and in-flight ones finish
// (or expire), then stops its workers and quits. A worker that dies is
// replaced; its in-flight group is treated as an ambiguous commit.
#pragma once

#include "actors/connection_worker.hpp"
#include "config/node_options.hpp"
#include "messages/actors.hpp"
#include "storage/backoff.hpp"
#include "storage/breaker.hpp"
#include "storage/group_commit.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace es {

struct connection_supervisor_state {
  using clock = std::chrono::steady_clock;

  static inline const char* name = "connection-supervisor";

  enum class slot_state : uint8_t {
    down,       ///< no connection; a reconnect is scheduled at `retry_at`
    connecting, ///< a connect request is in flight
    idle,       ///< connected, free
    busy,       ///< connected, running a request
  };

  struct slot {
    connection_worker_actor worker;
    /// Breaks the worker's connection from here (the watchdog).
    std::shared_ptr<interrupt_handle> handle;
    slot_state state = slot_state::down;
    /// While busy or connecting: since when, and whether the watchdog has
    /// broken the connection already.
    clock::time_point busy_since;
    bool interrupted = false;
    storage::backoff backoff;
    clock::time_point retry_at;
    clock::time_point last_health;
    /// Why the slot last went down (for the log and the status).
    std::string cause;
  };

  /// An append waiting in the queue or in flight.
  struct waiting {
    append_command cmd;
    caf::typed_response_promise<append_result> promise;
    /// Whether it was in flight when a connection broke.
    bool ambiguous = false;
    /// When it reached the pool (for the append latency).
    clock::time_point since;
  };

  /// A read or stream-info request waiting for a free worker.
  struct read_job {
    std::function<void(size_t slot)> run;
    std::function<void(caf::error)> fail;
    clock::time_point deadline;
  };

  node_options options;
  std::vector<slot> slots;
  std::optional<storage::circuit_breaker> breaker;
  std::optional<storage::commit_queue> queue;
  std::unordered_map<uint64_t, waiting> appends;
  std::deque<read_job> reads;
  uint64_t next_id = 1;
  /// Told `wake` after every commit (the dispatcher), if set.
  dispatcher_actor listener;
  /// Group-commit transactions being written (for `commit_queue::ready`).
  size_t groups_in_flight = 0;
  /// Alternates reads and groups when both wait.
  bool read_turn = false;
  pool_health health = pool_health::down;
  /// Counters and metrics (latency and group-size histograms) since start.
  pool_status counters;
  /// The one armed wake-up timer: its generation and time.
  uint64_t timer_generation = 0;
  std::optional<clock::time_point> timer_at;
  bool draining = false;
  caf::error exit_reason;
};

/// Spawns `options.pool_size` workers (detached, linked) connecting to
/// `options.dsn`, and starts connecting at once. Precondition:
/// `validate(options)` is empty and the schema is migrated or migratable.
pool_actor::behavior_type connection_supervisor(
    pool_actor::stateful_pointer<connection_supervisor_state> self,
    node_options options);

} // namespace es
