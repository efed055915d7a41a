// es-bench's `outage` scenario: appends at a steady rate while PostgreSQL
// is stopped for a while and started again, then checks in the database
// that no acknowledged event is lost and none is stored twice.
//
// The run, in order: `before` of appends against a healthy server; the
// server stopped (`stop_mode`: fast, or immediate as in a crash) and kept
// down for `down`; started again; `after` more appends; then the appender
// stops and every append is waited for (each has `append_deadline`, longer
// than the outage, so the store's outage queue may hold them until the
// server is back). One event per append, to `streams` streams of a category
// of the run, with expected_version any (no append conflicts with another,
// so every failure is the outage's).
//
// What counts: an append is acknowledged (the store answered with its
// versions) or failed (an error answer). In the database, after the run:
// `lost` acknowledged events that are not there (must be 0), `duplicated`
// events stored more than once (same event id; must be 0), and
// `failed_but_stored` failed appends whose event is there all the same
// (the store could not tell; allowed: the writer retries idempotently).
// `recover_ms`: from the server accepting connections again to the first
// acknowledgement of an append sent after that; `drained_ms`: to the last
// answer of an append sent before or during the outage.
//
// Threading: `run_outage` blocks its caller (the main thread: it runs
// pg_ctl), never call it from a CAF scheduler thread.
#pragma once

#include "actors/store.hpp"
#include "messages/event.hpp"
#include "storage/embedded_cluster.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace es::bench {

struct outage_plan {
  /// Appends per second (one event each). > 0.
  double rate = 200;
  /// Streams the appends go round-robin to. >= 1.
  size_t streams = 16;
  std::chrono::milliseconds before{2000};
  std::chrono::milliseconds down{5000};
  std::chrono::milliseconds after{3000};
  storage::stop_mode mode = storage::stop_mode::fast;
  /// Deadline of each append: longer than the outage.
  std::chrono::milliseconds append_deadline{30000};
};

struct outage_result {
  size_t sent = 0;
  size_t acknowledged = 0;
  size_t failed = 0;
  size_t lost = 0;
  size_t duplicated = 0;
  size_t failed_but_stored = 0;
  /// Measured: from the stop command to the server answering again.
  double down_ms = 0;
  double recover_ms = 0;
  double drained_ms = 0;
  /// Longest time an acknowledged append waited for its answer.
  double max_ack_ms = 0;
};

/// Runs the scenario against the running `store`, which is connected to
/// the embedded cluster `cluster` (stopped and started again by the run;
/// `cluster` is the options it was started with). `category` names this
/// run's streams (`category-0`, `category-1`, ...): streams nobody else
/// writes. `tmpl` is the event appended, each time with a fresh id.
/// Errors: the server could not be stopped or started, or the check in
/// the database failed to read.
caf::expected<outage_result>
run_outage(caf::actor_system& sys, store& st,
           const storage::cluster_options& cluster, const std::string& category,
           const event_data& tmpl, const outage_plan& plan);

} // namespace es::bench
