// What es-bench's scenarios share: the run's context (DSN, run id, the
// sample event), the events they write, and the coordination of caller
// threads and actors. Moved out of tools/es_bench.cpp unchanged in logic.
//
// Payloads are PlayerJoined events with full metadata, encoded once through
// the game catalog before any clock starts (encoding is not what we
// measure); every event written gets a fresh event id. Every scenario uses
// stream ids of its own run ("bench-<run>-...", "bcu<run>-...", ...), so
// runs against the same database never meet.
#pragma once

#include "actors/store.hpp"
#include "messages/event.hpp"
#include "registry/catalog.hpp"
#include "tools/bench/options.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace es::bench {

using clock_type = std::chrono::steady_clock;

/// What every path of a run gets: set up by main before the benchmarks run
/// and alive until they are done.
struct context {
  options opts;
  /// Where to connect (the embedded cluster's DSN when --dsn was not given).
  std::string dsn;
  /// A short id that keeps this run's streams apart from earlier runs'.
  std::string run_id;
  /// The sample event (PlayerJoined), encoded.
  event_data tmpl;
  /// True when es-bench started the cluster (fsync on).
  bool embedded = false;
  /// The embedded cluster's data dir (empty with --dsn).
  std::filesystem::path data_dir;
};

/// A PlayerJoined event with full metadata (a Discord interaction, caused by
/// a game creation), validated and encoded through the game catalog.
caf::expected<event_data> encode_template(const registry::catalog& cat);

/// A copy of `tmpl` with a fresh event id.
event_data fresh(const event_data& tmpl);

/// `n` fresh copies of `tmpl`.
std::vector<event_data> fresh_events(const event_data& tmpl, size_t n);

/// One stream's calls, each a batch of ready-to-append events.
struct stream_plan {
  std::string stream;
  std::vector<std::vector<event_data>> calls;
};

/// The calls of `streams` streams named "<prefix><i>": `events` in total
/// (stream i gets events / streams, the first events % streams one more),
/// in calls of at most `batch`, each event a fresh copy of `tmpl`.
std::vector<stream_plan> make_plan(const std::string& prefix, size_t streams,
                                   size_t events, size_t batch,
                                   const event_data& tmpl);

/// "<prefix>0" .. "<prefix><n-1>".
std::vector<std::string> stream_names(const std::string& prefix, size_t n);

/// The events stored in `streams` (their event counts, summed), read back
/// through the storage layer after a path, untimed: everything it wrote
/// must be there, once.
caf::expected<size_t> stored_events(const std::string& dsn,
                                    const std::vector<std::string>& streams);

/// "" when `stored` == `expected`, else what is wrong.
std::string check_stored(size_t stored, size_t expected);

/// Lets the main thread start the clock once every caller is ready, and
/// release them all at once.
class start_gate {
public:
  /// Called by each caller thread: reports ready, waits for `open`.
  void arrive_and_wait();
  /// Waits until `n` callers are ready.
  void wait_ready(size_t n);
  void open();

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t ready_ = 0;
  bool open_ = false;
};

/// The first failure of any caller; the others stop at their next call.
class failure {
public:
  void raise(caf::error err);
  bool raised() const noexcept { return raised_.load(); }
  caf::error error() const;

private:
  mutable std::mutex mtx_;
  std::atomic<bool> raised_{false};
  caf::error err_;
};

/// Counts finished callers; the main thread waits for all of them.
class countdown {
public:
  explicit countdown(size_t n) : left_(n) {}
  void done(size_t n = 1);
  void wait();
  /// False when `d` passed first.
  template<class Duration>
  bool wait_for(Duration d) {
    std::unique_lock<std::mutex> lock{mtx_};
    return cv_.wait_for(lock, d, [this] { return left_ == 0; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t left_;
};

double millis(clock_type::duration d);
double seconds(clock_type::duration d);

/// `err` with `what` in front of its detail, keeping its code:
/// "unavailable: <what>: <detail>" (errors from outside the store become
/// `database_error` with CAF's rendering as the detail).
caf::error in_context(const caf::error& err, const std::string& what);

/// Checks that an append of `n` events after `version` landed right after
/// it; returns what is wrong, if anything.
std::optional<std::string> check_versions(int64_t version, size_t n,
                                          int64_t first, int64_t last,
                                          size_t rows);

/// Runs `worker(k)` on `threads` threads released together, and returns the
/// wall-clock time from the release until the last one finished.
template<class Worker>
clock_type::duration run_timed(size_t threads, Worker worker) {
  start_gate gate;
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t k = 0; k < threads; ++k)
    pool.emplace_back([&gate, &worker, k] {
      gate.arrive_and_wait();
      worker(k);
    });
  gate.wait_ready(threads);
  auto started = clock_type::now();
  gate.open();
  for (auto& t : pool)
    t.join();
  return clock_type::now() - started;
}

/// Merges per-thread latency samples.
std::vector<double> merged(std::vector<std::vector<double>> parts);

/// The actor system of the measured paths: CAF's scheduler as --scheduler
/// says.
struct bench_system_config : caf::actor_system_config {
  explicit bench_system_config(const options& opts);
};

/// Waits until every pool connection is up (at most `limit`).
caf::error wait_for_pool(store& st, size_t pool_size,
                         std::chrono::seconds limit);

/// Starts the store on `dsn` with the pool size of `opts` (and what `tune`
/// changes in the node's options, if given) and waits until every
/// connection is up.
caf::expected<store>
start_store(caf::actor_system& sys, const options& opts, const std::string& dsn,
            const std::string& what,
            const std::function<void(node_options&)>& tune = {});

} // namespace es::bench
