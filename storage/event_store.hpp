// The storage layer's event store: appends, reads, stream management and
// snapshots over one PostgreSQL connection.
//
// Ownership and threading: an `event_store` owns one `pg::connection` and is
// used by one thread at a time (in the actor runtime, one connection worker
// each). It is move-only. Every call blocks for its round trips; none
// throws; every failure is an `es::ec` error that names the problem.
//
// Guarantees (each tested in tests/storage/event_store_test.cpp):
// - Per-stream order and optimistic concurrency: versions 1, 2, 3... with no
//   gaps; the expected version is checked in the same statement that
//   inserts, after the append has taken its streams' advisory locks (so
//   racing appends queue instead of failing), and the unique (stream,
//   version) index backs it up. A wrong expectation reports the expected
//   and actual version.
// - Atomic appends, within a stream and across streams: one pipeline, one
//   implicit transaction, one round trip.
// - Idempotent retry by event id (storage/replay.hpp).
// - A gap-free global log: every event has a global position, and reads of
//   the log never return a position above the log horizon, below which no
//   transaction is still in flight (storage/sql.cpp explains the
//   reservation locks). A reader that has seen position P never later
//   learns of an event below P, even with out-of-order commits from several
//   processes. Cost: one extra statement in each append's pipeline and one
//   extra round trip per log read; no lock is held across commit between
//   writers.
// - Events are immutable in the database (UPDATE/DELETE/TRUNCATE raise),
//   except for hard deletes, which need store.enable-hard-deletes.
//
// Soft delete hides a stream from stream reads and the stream list; its
// events stay in the global log (as in commanded/eventstore), and an append
// may recreate the stream (store.allow-stream-recreate), whose old events
// then stay hidden.
#pragma once

#include "config/store_options.hpp"
#include "messages/event.hpp"
#include "storage/pg.hpp"

#include <caf/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace es::storage {

/// Parameters of `sql::append_events` for `parts` (distinct streams), in
/// that order. Also used by the benchmark baselines (tools/bench/), so
/// that it writes exactly what the store writes.
pg::params append_events_params(const std::vector<const stream_append*>& parts,
                                bool allow_recreate);

class event_store {
public:
  /// Connects to `dsn` and applies pending schema migrations.
  static caf::expected<event_store> open(const std::string& dsn,
                                         store_options opts = {});

  /// Wraps an open connection; the schema must be migrated already.
  event_store(pg::connection conn, store_options opts)
      : conn_(std::move(conn)), opts_(opts) {}

  // -- appends ---------------------------------------------------------------

  /// Appends events to one stream.
  caf::expected<append_result> append(stream_append part);

  /// Appends to several streams in one transaction: all land or none does;
  /// each stream has its own expected version. Results are in input order.
  caf::expected<std::vector<append_result>>
  append(std::vector<stream_append> parts);

  /// Group commit: commits several independent appends in one transaction
  /// (one WAL flush), in order. Each request keeps its own atomicity and
  /// its own expected-version checks: one that fails (conflict, duplicate,
  /// bad payload) fails alone and the others still commit. Results are in
  /// input order. Appends of one stream in one group are applied in order,
  /// each seeing the ones before it. A failure of the transaction itself
  /// (the connection) fails every request it held. With `relaxed`, the
  /// transaction commits with synchronous_commit off (see
  /// es::durability::relaxed in messages/actors.hpp).
  std::vector<caf::expected<std::vector<append_result>>>
  append_group(std::vector<std::vector<stream_append>> requests,
               bool relaxed = false);

  // -- reads ------------------------------------------------------------------

  /// A page of up to `count` events of `stream`, starting at version `from`
  /// (inclusive; `from_end` for backward reads from the last event).
  /// `not_found` when the stream does not exist, `stream_deleted` when it
  /// was soft-deleted.
  caf::expected<event_page> read_stream(std::string_view stream, int64_t from,
                                        size_t count,
                                        direction dir = direction::forward);

  /// A page of up to `count` events of the global log, starting at position
  /// `from` (inclusive; `from_end` for backward reads), filtered by `filter`.
  /// Never returns an event above the log horizon, nor, when `upto` is not
  /// 0, above `upto` (the page's `horizon` is then the lower of the two: a
  /// range of positions read in one page).
  caf::expected<event_page> read_all(int64_t from, size_t count,
                                     direction dir = direction::forward,
                                     const log_filter& filter = {},
                                     int64_t upto = 0);

  /// The log horizon: every event at or below it has committed or never
  /// will (its transaction aborted).
  caf::expected<int64_t> log_horizon();

  /// Version, counts and times of `stream`; `not_found` if it never existed.
  caf::expected<stream_info> get_stream_info(std::string_view stream);

  /// Streams (not deleted) with ids after `after`, in id order.
  caf::expected<stream_page> list_streams(std::string_view after, size_t count);

  // -- deletes and snapshots --------------------------------------------------

  /// Deletes `stream` if its version matches `expected`.
  caf::error delete_stream(std::string_view stream, expected_version expected,
                           delete_mode mode = delete_mode::soft);

  /// Records `snap` as the latest snapshot of its stream (replacing any).
  caf::error record_snapshot(const snapshot& snap);

  /// The latest snapshot of `stream`; `not_found` when there is none.
  caf::expected<snapshot> read_snapshot(std::string_view stream);

  /// Removes the snapshot of `stream` (no error when there is none).
  caf::error delete_snapshot(std::string_view stream);

  // -- persistent subscriptions -----------------------------------------------
  //
  // A named subscription's checkpoint and its parked events, for the
  // subscription actors (which decide what to handle, retry and park; the
  // store only keeps the record). Names are checked like stream ids (errors
  // say "subscription name"); an unknown name is `not_found` except for
  // `open_subscription`, which creates it.

  /// The subscription `name`, created at position 0 when it does not exist
  /// yet. Idempotent; `parked` is 0 (see `list_subscriptions`).
  caf::expected<subscription_record> open_subscription(std::string_view name);

  /// Moves the checkpoint of `name` to `position` unless it is already
  /// higher (a checkpoint never moves backwards) and returns the stored
  /// position. A negative position is `invalid_argument`.
  caf::expected<int64_t> save_checkpoint(std::string_view name,
                                         int64_t position);

  /// Sets the checkpoint of `name` to exactly `position` (>= 0), also
  /// backwards: for rebuilds and for starting from a given position.
  caf::error reset_checkpoint(std::string_view name, int64_t position);

  /// Deletes the subscription `name` and all its parked events.
  caf::error delete_subscription(std::string_view name);

  /// Every subscription, ordered by name, with its count of parked events.
  caf::expected<std::vector<subscription_record>> list_subscriptions();

  /// Parks the event at global `position` for `name` after `attempts` (>= 1)
  /// failed attempts to handle it, because of `reason` (cut to
  /// `max_park_reason_bytes` at a UTF-8 boundary). Parking it again
  /// replaces attempts and reason and renews the time. `not_found` when the
  /// subscription or the event does not exist.
  caf::error park_event(std::string_view name, int64_t position,
                        int32_t attempts, std::string_view reason);

  /// Up to `count` parked events of `name` with positions above `after`
  /// (>= 0), in position order, each with its stored event. Pass the last
  /// one's position as `after` for the next page. A parked event whose event
  /// was hard-deleted is not listed.
  caf::expected<std::vector<parked_event>>
  list_parked(std::string_view name, int64_t after, size_t count);

  /// Removes the event at `position` from the parked events of `name`;
  /// whether it was parked.
  caf::expected<bool> unpark_event(std::string_view name, int64_t position);

  /// Longest reason `park_event` stores, in bytes.
  static constexpr size_t max_park_reason_bytes = 4096;

  // -- access -----------------------------------------------------------------

  const store_options& options() const noexcept { return opts_; }
  pg::connection& connection() noexcept { return conn_; }

private:
  /// Checks `stream` and runs `stmt` with it as the only parameter.
  caf::expected<pg::result> exec_for_stream(const pg::statement& stmt,
                                            std::string_view stream);
  /// One round of `append_group` over `requests[pending[...]]`. On error,
  /// `failed` is the index into `pending` of the request that failed, or
  /// `pending.size()` when the transaction as a whole did.
  caf::expected<std::vector<std::vector<append_result>>>
  try_group(const std::vector<std::vector<stream_append>>& requests,
            const std::vector<size_t>& pending, bool relaxed, size_t& failed);
  /// One transaction over the flattened `parts` of `requests` requests
  /// (`owner[j]` is the request of part j): all inserts in one statement
  /// when `one_statement`, else one statement per part. On error `failed`
  /// is as for `try_group`, or `ask_each_part` when the one statement
  /// failed with an SQL error that one of the parts caused.
  /// Runs `stmt` (save_checkpoint or reset_checkpoint: name, position ->
  /// the stored position) after checking its arguments.
  caf::expected<int64_t> write_checkpoint(const pg::statement& stmt,
                                          std::string_view name,
                                          int64_t position);
  static constexpr size_t ask_each_part = static_cast<size_t>(-1);
  caf::expected<std::vector<std::vector<append_result>>>
  run_group(const std::vector<const stream_append*>& parts,
            const std::vector<size_t>& owner, size_t requests, bool relaxed,
            bool one_statement, size_t& failed);
  caf::expected<std::vector<append_result>>
  resolve_failure(const std::vector<stream_append>& parts, caf::error err);

  pg::connection conn_;
  store_options opts_;
};

} // namespace es::storage
