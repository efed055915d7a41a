// The baselines es-bench measures next to the store, in the same run, on
// the same database: the same database work without the store's runtime.
// Each opens its own libpq connections (RAII, storage/pg.hpp), connects and
// prepares before its clock starts, checks every result, and returns its
// summary (or the first error). All their SQL is in storage/sql.cpp.
//
// - raw_append: min(S, P) connections, each serving its share of the
//   streams round-robin (stream k belongs to connection k % T); each call
//   is one autocommit statement, `sql::bench_baseline_insert` (a prepared
//   multi-row `unnest` INSERT with the store's stream lock, position
//   reservation and version check): one commit, one WAL flush per call.
// - commanded_append: the same calls through
//   `sql::bench_commanded_append`, commanded/eventstore's locking: every
//   append updates the global `$all` row under a row lock first (tables of
//   their own, schema es_bench).
// - plain_append: the same calls through `sql::bench_plain_insert`: a
//   prepared multi-row INSERT into a copy of es_events without its trigger
//   (no NOTIFY), no stream lock, no position reservation, no version check
//   but the unique index: what a hand-written client does at the least.
// - physical_insert: the same number of events inserted by the server
//   (`sql::bench_physical_insert`, generate_series) in statements of 1,000
//   events over P connections, into a copy of es_events: the most the
//   database absorbs.
// - raw_multi_append: append-multi's calls, each one pipelined implicit
//   transaction of one `bench_baseline_insert` per stream.
// - raw_read_*: the same SELECTs as the store's reads over one connection,
//   no decoding.
//
// Latencies count from building a call's parameters to its reply, not the
// wait for a thread's turn.
#pragma once

#include "tools/bench/stats.hpp"
#include "tools/bench/workload.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace es::bench {

/// Creates the baselines' tables (sql::bench_schema) on `dsn`, migrating
/// the store's schema first (the physical table copies es_events).
caf::error prepare_bench_schema(const std::string& dsn);

/// The append calls of `ctx.opts` (batch, streams, events) as plain
/// autocommit INSERTs; `connections` gets the number used.
caf::expected<summary> raw_append(const context& ctx, size_t& connections);

/// The same calls, commanded/eventstore-style (see the file comment).
caf::expected<summary> commanded_append(const context& ctx,
                                        size_t& connections);

/// The same calls as plain INSERTs into a table without the store's NOTIFY
/// trigger, stream lock or position reservation (see the file comment).
caf::expected<summary> plain_append(const context& ctx, size_t& connections);

/// `ctx.opts.events` events inserted server-side, 1,000 per statement, over
/// min(P, statements) connections.
caf::expected<summary> physical_insert(const context& ctx, size_t& connections);

/// One writer of append-multi: its calls, each a list of distinct streams
/// with their events (see scenario_multi.cpp).
struct multi_writer {
  std::vector<std::string> streams;
  /// calls[j] = (index into `streams`, events) per stream of call j.
  std::vector<std::vector<std::pair<size_t, std::vector<event_data>>>> calls;
};

/// Each writer on its own connection: every call is one pipelined implicit
/// transaction of one `bench_baseline_insert` per stream.
/// Warms each connection up with a two-stream call of its own (streams
/// "bench-<run_id>-warmup-r<k>...") first.
caf::expected<summary> raw_multi_append(const std::string& dsn,
                                        const std::string& run_id,
                                        const event_data& tmpl,
                                        std::vector<multi_writer> writers,
                                        size_t events);

/// What a raw read saw.
struct read_tally {
  size_t rows = 0;
  /// Rows of streams whose id starts with the given prefix.
  size_t ours = 0;
  /// Positions (log reads) or versions (stream reads) not increasing.
  size_t out_of_order = 0;
  /// Bytes of every column of every row (each value was looked at).
  size_t bytes = 0;
};

/// Reads `stream` forward from version 1 in pages of `page` with
/// `sql::read_stream_forward`, touching every column.
caf::expected<summary> raw_read_stream(const std::string& dsn,
                                       const std::string& stream, size_t page,
                                       read_tally& tally);

/// Reads the global log forward over positions (after, upto] in pages of
/// `page` with the store's read_log statement; counts rows whose stream id
/// starts with `ours`.
caf::expected<summary> raw_read_all(const std::string& dsn, int64_t after,
                                    int64_t upto, size_t page,
                                    const std::string& ours, read_tally& tally);

/// Reads the events of `category` (streams "<category>-...") from the
/// origin up to the log horizon in pages of `page`, with the store's
/// category read (sql::read_log): what a catch-up reads.
caf::expected<summary> raw_read_category(const std::string& dsn,
                                         const std::string& category,
                                         size_t page, read_tally& tally);

} // namespace es::bench
