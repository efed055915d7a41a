// The session: the node's dedicated PostgreSQL connection for wake-ups from
// other processes and for the ownership of exclusive subscriptions.
//
// Wake-ups: migration 4 makes every transaction that inserts events send a
// payload-less NOTIFY on `es_events` after it commits (storage/sql.cpp).
// The session LISTENs on that channel and sends `wake` to the dispatcher
// (at most one per tick, however many notifications arrived), which then
// reads the log: events written by other processes (other bot shards on the
// same database) reach subscriptions at once instead of at the next poll.
//
// Re-arm (the bug of commanded/eventstore issue #309): notifications sent
// while the connection is broken are lost for good. So when the connection
// breaks, the session reconnects with backoff and jitter (storage/backoff),
// issues LISTEN again, and only then wakes the dispatcher once more: that
// catch-up read finds every event committed while it was deaf, and every
// later commit notifies the new connection.
//
// Ownership: exclusive subscriptions (actors/exclusive_subscription.hpp)
// own their name through a session-level advisory lock on this connection
// (`own`: try-lock, never waits; `disown`: unlock). PostgreSQL releases
// the locks of a session when its connection ends, also when the process
// dies (the backend sees EOF), so another process can take over at once.
// When the session's connection breaks, every lock it held is gone: it
// tells each owner (`lost`) and forgets them; the owners stop delivering
// and contend again once it is back. Owners are monitored: one that dies
// has its locks released.
//
// Threading: spawned detached (`spawn<caf::detached>`): it blocks in libpq
// and in poll(). Each tick waits on the socket for at most
// `defaults::session_tick`, consumes what arrived, then lets the mailbox
// run (lock requests wait at most one tick). While disconnected it retries
// on a backoff timer and answers `own` with `ec::unavailable`. A periodic
// health query (`health_interval`) notices a server that went silent.
//
// Supervision: spawned and monitored by the node, which restarts it when it
// dies and tells it the current dispatcher (`wake`, dispatcher). Its
// connection closes with it, releasing its locks; owners monitor it and
// count its death as a loss. It has application_name `es-session`.
#pragma once

#include "config/node_options.hpp"
#include "messages/actors.hpp"
#include "storage/backoff.hpp"
#include "storage/pg.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace es {

struct session_state {
  using clock = std::chrono::steady_clock;
  static inline const char* name = "session";
  /// The connection's application_name (pg_stat_activity).
  static inline const char* application_name = "es-session";

  std::string dsn;
  std::chrono::milliseconds health_interval{};
  std::optional<pg::connection> conn;
  std::optional<storage::backoff> backoff;
  dispatcher_actor dispatcher;
  /// Names whose ownership lock this connection holds, and for whom.
  std::map<std::string, owner_actor> owned;
  clock::time_point next_health;
  /// Backend pid once LISTEN succeeded; 0 while disconnected.
  int32_t pid = 0;
  uint64_t timer_generation = 0;
};

/// Spawn with `spawn<caf::detached>`. Connects to `options.dsn` (which must
/// not be empty) with `options.backoff` between attempts.
session_actor::behavior_type
session(session_actor::stateful_pointer<session_state> self,
        const node_options& options);

} // namespace es
