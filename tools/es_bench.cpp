// es-bench: append throughput and latency of the actor runtime (group
// commit) against a plain libpq baseline, in the same run, on the same
// database and schema.
//
//   es-bench --scenario append --batch B --streams S --events N
//            [--pool-size P] [--dsn DSN] [--data-dir DIR] [--json]
//            [--scheduler stealing|sharing]
//
// Without --dsn (or ES_DSN) it starts an embedded PostgreSQL cluster with
// fsync on (we measure durable commits): ephemeral, in a fresh temp dir under
// /var/tmp, removed at the end; with --data-dir, in DIR, kept.
//
// Scenario `append`: N events spread over S streams (stream i gets N / S,
// the first N % S streams one more), written in calls of at most B events,
// each call with expected_version exact(previous version), as a careful
// writer would. Payloads are PlayerJoined events with full metadata,
// encoded once through the game catalog before the clock starts (encoding
// is not what we measure); every event gets a fresh event id.
//
// - Actor path: `es::start` with the DSN and pool size P (default: the
//   library's) on an actor system with CAF's sharing scheduler (or the
//   --scheduler policy), then S callers, one per stream, each appending
//   its calls in turn: event-based actors sending typed requests to the
//   node (--callers actors, the default) or threads calling the blocking
//   `store.append` (--callers threads). The node queues concurrent
//   appends and commits many per transaction (group commit).
// - Baseline: min(S, P) threads, each owning one libpq connection and
//   serving its share of the streams round-robin (stream k belongs to
//   thread k % T). Each call is one autocommit statement,
//   `sql::bench_baseline_insert`: the same stream lock, position
//   reservation, version check and insert as the store's own append, and
//   one commit (one WAL flush) per call. Its latency counts
//   from building the parameters to the reply, not the wait for the
//   thread's turn.
//
// Both paths use their own stream ids ("bench-<run>-a<i>", "bench-<run>-b<i>"),
// run one after the other (actor path first; the store is stopped before the
// baseline starts), and check every call: a failed call or a result at the
// wrong versions aborts the benchmark with exit status 1.
//
// The driver is a custom one with std::chrono::steady_clock rather than
// Google Benchmark: a run is one timed pass of many concurrent callers, with
// per-call latencies and one comparison at the end, which does not fit
// Benchmark's repeated single-function loop. Statistics: tools/bench/stats.hpp
// (nearest-rank percentiles).
//
// Output: a short table, or with --json exactly one JSON line on stdout
// (logs and progress go to stderr). Exit status: 0 done, 1 the benchmark
// failed, 2 bad arguments.
#include "actors/store.hpp"
#include "config/defaults.hpp"
#include "config/node_options.hpp"
#include "messages/error.hpp"
#include "messages/game_events.hpp"
#include "messages/metadata.hpp"
#include "registry/game_catalog.hpp"
#include "storage/embedded_cluster.hpp"
#include "storage/event_store.hpp"
#include "storage/pg.hpp"
#include "storage/sql.hpp"
#include "tools/bench/stats.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdlib.h> // mkdtemp
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using es::bench::summary;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

constexpr const char* synopsis =
    "usage: es-bench --scenario append --batch B --streams S --events N\n"
    "       es-bench --scenario catchup --events N\n"
    "       es-bench --scenario fanout --subscribers K --events N --rate R\n"
    "                [--pool-size P] [--dsn DSN] [--data-dir DIR] [--json]\n"
    "                [--scheduler stealing|sharing] [--callers actors|threads]\n";

constexpr const char* details =
    "\n"
    "Appends N events to S streams in calls of B events, through the actor\n"
    "runtime (S caller threads, group commit over P connections) and through\n"
    "a plain libpq baseline (min(S, P) connections, one transaction per\n"
    "call), and compares them.\n"
    "\n"
    "  --scenario NAME   what to measure: 'append' (the options below), or\n"
    "                    'catchup': N events stored first, then the time a\n"
    "                    subscription from the origin takes to deliver them\n"
    "                    all to a subscriber that does nothing (--events only)\n"
    "                    or 'fanout': K subscriber actors, each on its own\n"
    "                    subscription, receive every one of N events\n"
    "                    appended at R events/s; prints expected (K*N),\n"
    "                    delivered, duplicates and the commit-to-delivery\n"
    "                    latency (p50_ms, p99_ms, max_ms)\n"
    "  --subscribers K   fanout: subscribers (1-10000)\n"
    "  --rate R          fanout: events appended per second (1-1000000)\n"
    "  --batch B         events per call (1-10000)\n"
    "  --streams S       streams, one caller thread each (1-4096)\n"
    "  --events N        events in total per path (S-100000000)\n"
    "  --pool-size P     connections of the actor runtime's pool and most\n"
    "                    connections of the baseline (1-256; default 4)\n"
    "  --dsn DSN         libpq connection string (default: $ES_DSN; without\n"
    "                    one, an embedded cluster with fsync on)\n"
    "  --data-dir DIR    data dir of the embedded cluster (default: a fresh\n"
    "                    temp dir under /var/tmp, removed at the end)\n"
    "  --json            print one JSON line instead of the table\n"
    "  --scheduler NAME  CAF scheduler policy: 'sharing' (one queue and a\n"
    "                    condition variable; the default for append and\n"
    "                    catchup, where stealing's polling idle workers cost\n"
    "                    more context switches than they save on few cores:\n"
    "                    catch-up 158k events/s against 93k) or 'stealing'\n"
    "                    (CAF's own default, and es-demo's; the default for\n"
    "                    fanout, whose thousand busy actors keep the workers\n"
    "                    fed: a third of sharing's p99)\n"
    "  --callers KIND    who calls the store on the actor path, one per\n"
    "                    stream: 'actors' (default: event-based actors sending\n"
    "                    typed requests to the node, as bot code in actors\n"
    "                    does) or 'threads' (threads calling the blocking\n"
    "                    es::store facade, as code outside actors does)\n"
    "  --help            print this and exit\n";

// -- Command line -------------------------------------------------------------

struct options {
  std::string scenario;
  size_t batch = 0;
  size_t streams = 0;
  size_t events = 0;
  size_t pool_size = es::defaults::pool_size;
  size_t subscribers = 0;
  size_t rate = 0;
  std::string dsn;
  std::string data_dir;
  /// CAF's scheduler.policy: by default 'stealing' (CAF's own) for fanout,
  /// 'sharing' for the others (see --help).
  std::string scheduler;
  /// Who calls the store on the actor path: "actors" or "threads".
  std::string callers = "actors";
  bool json = false;
  bool help = false;
};

/// Parses an integer in [lo, hi]; nullopt when `text` is anything else.
std::optional<size_t> parse_count(std::string_view text, size_t lo, size_t hi) {
  uint64_t value = 0;
  auto* end = text.data() + text.size();
  auto [ptr, err] = std::from_chars(text.data(), end, value);
  if (text.empty() || err != std::errc{} || ptr != end || value < lo ||
      value > hi)
    return std::nullopt;
  return static_cast<size_t>(value);
}

/// Fills `out` from the command line; returns the message naming the bad
/// option, if any.
std::optional<std::string> parse(int argc, char** argv, options& out) {
  if (auto* env = std::getenv("ES_DSN"); env != nullptr && *env != '\0')
    out.dsn = env;
  bool has_batch = false, has_streams = false, has_events = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      return std::nullopt;
    }
    if (arg == "--json") {
      out.json = true;
      continue;
    }
    // Every other option takes a value: "--opt VALUE" or "--opt=VALUE".
    std::string name{arg};
    std::optional<std::string> value;
    if (auto eq = name.find('=');
        name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const bool known = name == "--scenario" || name == "--batch" ||
                       name == "--streams" || name == "--events" ||
                       name == "--pool-size" || name == "--dsn" ||
                       name == "--data-dir" || name == "--scheduler" ||
                       name == "--callers" || name == "--subscribers" ||
                       name == "--rate";
    if (!known)
      return "unknown argument '" + std::string{arg} + "'";
    if (!value) {
      if (i + 1 >= argc)
        return name + ": missing value";
      value = argv[++i];
    }
    auto count = [&](size_t lo, size_t hi,
                     size_t& field) -> std::optional<std::string> {
      auto n = parse_count(*value, lo, hi);
      if (!n)
        return name + ": expected an integer in " + std::to_string(lo) + "-" +
               std::to_string(hi) + ", got '" + *value + "'";
      field = *n;
      return std::nullopt;
    };
    std::optional<std::string> err;
    if (name == "--scenario") {
      if (*value != "append" && *value != "catchup" && *value != "fanout")
        return "--scenario: unknown scenario '" + *value
               + "' (known: append, catchup, fanout)";
      out.scenario = *value;
    } else if (name == "--batch") {
      err = count(1, es::defaults::max_events_per_append, out.batch);
      has_batch = true;
    } else if (name == "--streams") {
      err = count(1, 4096, out.streams);
      has_streams = true;
    } else if (name == "--events") {
      err = count(1, 100'000'000, out.events);
      has_events = true;
    } else if (name == "--pool-size") {
      err = count(1, 256, out.pool_size);
    } else if (name == "--subscribers") {
      err = count(1, 10'000, out.subscribers);
    } else if (name == "--rate") {
      err = count(1, 1'000'000, out.rate);
    } else if (name == "--dsn") {
      if (value->empty())
        return "--dsn: empty connection string";
      out.dsn = *value;
    } else if (name == "--callers") {
      if (*value != "actors" && *value != "threads")
        return "--callers: unknown kind '" + *value +
               "' (known: actors, threads)";
      out.callers = *value;
    } else if (name == "--scheduler") {
      if (*value != "stealing" && *value != "sharing")
        return "--scheduler: unknown policy '" + *value +
               "' (known: stealing, sharing)";
      out.scheduler = *value;
    } else { // --data-dir
      if (value->empty())
        return "--data-dir: empty path";
      out.data_dir = *value;
    }
    if (err)
      return err;
  }
  if (out.scenario.empty())
    return "missing --scenario";
  if (out.scheduler.empty())
    out.scheduler = out.scenario == "fanout" ? "stealing" : "sharing";
  if (out.scenario == "catchup")
    return has_events ? std::nullopt
                      : std::optional<std::string>{"missing --events"};
  if (out.scenario == "fanout") {
    if (out.subscribers == 0)
      return "missing --subscribers";
    if (out.rate == 0)
      return "missing --rate";
    return has_events ? std::nullopt
                      : std::optional<std::string>{"missing --events"};
  }
  if (!has_batch)
    return "missing --batch";
  if (!has_streams)
    return "missing --streams";
  if (!has_events)
    return "missing --events";
  if (out.events < out.streams)
    return "--events: " + std::to_string(out.events) +
           " is fewer than --streams " + std::to_string(out.streams) +
           " (every stream needs at least one event)";
  return std::nullopt;
}

// -- Workload -----------------------------------------------------------------

/// One stream's calls, each a batch of ready-to-append events.
struct stream_plan {
  std::string stream;
  std::vector<std::vector<es::event_data>> calls;
};

/// A PlayerJoined event with full metadata (a Discord interaction, caused by
/// a game creation), validated and encoded through the game catalog.
caf::expected<es::event_data>
encode_template(const es::registry::catalog& cat) {
  es::discord_source src{std::string{"801234567890123450"},
                         "901234567890123456", "301234567890123000", false};
  auto origin = es::event_metadata::from_discord(src, "es-bench/0.1");
  es::game::player_joined ev;
  ev.game_id = es::uuid::v7();
  ev.guild_id = src.guild_id;
  ev.game_mode = es::game::mode::standard;
  ev.player_id = "111111111111111110";
  ev.display_name = "Bench Player";
  auto meta =
      es::event_metadata::caused_by(es::uuid::v7(), origin, ev.player_id);
  return cat.encode(ev, meta);
}

/// A copy of `tmpl` with a fresh event id.
es::event_data fresh(const es::event_data& tmpl) {
  auto ev = tmpl;
  ev.id = es::uuid::v7();
  return ev;
}

/// The calls of `streams` streams named "<prefix><i>": `events` in total,
/// in calls of at most `batch`, each event a copy of `tmpl` with a fresh id.
std::vector<stream_plan> make_plan(const std::string& prefix, size_t streams,
                                   size_t events, size_t batch,
                                   const es::event_data& tmpl) {
  std::vector<stream_plan> out(streams);
  for (size_t i = 0; i < streams; ++i) {
    auto& plan = out[i];
    plan.stream = prefix + std::to_string(i);
    size_t left = events / streams + (i < events % streams ? 1 : 0);
    while (left > 0) {
      size_t n = std::min(left, batch);
      std::vector<es::event_data> call;
      call.reserve(n);
      for (size_t k = 0; k < n; ++k)
        call.push_back(fresh(tmpl));
      plan.calls.push_back(std::move(call));
      left -= n;
    }
  }
  return out;
}

// -- Coordination of the caller threads ---------------------------------------

/// Lets the main thread start the clock once every caller is ready, and
/// release them all at once.
class start_gate {
public:
  /// Called by each caller thread: reports ready, waits for `open`.
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock{mtx_};
    ++ready_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  /// Waits until `n` callers are ready.
  void wait_ready(size_t n) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait(lock, [&] { return ready_ >= n; });
  }
  void open() {
    std::lock_guard<std::mutex> lock{mtx_};
    open_ = true;
    cv_.notify_all();
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  size_t ready_ = 0;
  bool open_ = false;
};

/// The first failure of any caller; the others stop at their next call.
class failure {
public:
  void raise(caf::error err) {
    std::lock_guard<std::mutex> lock{mtx_};
    if (!raised_.exchange(true))
      err_ = std::move(err);
  }
  bool raised() const noexcept { return raised_.load(); }
  caf::error error() const {
    std::lock_guard<std::mutex> lock{mtx_};
    return err_;
  }

private:
  mutable std::mutex mtx_;
  std::atomic<bool> raised_{false};
  caf::error err_;
};

double millis(clock_type::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double seconds(clock_type::duration d) {
  return std::chrono::duration<double>(d).count();
}

/// `err` with `what` in front of its detail, keeping its code:
/// "unavailable: <what>: <detail>" (errors from outside the store become
/// `database_error` with CAF's rendering as the detail).
caf::error in_context(const caf::error& err, const std::string& what) {
  if (err.category() != caf::atom("es"))
    return es::make_error(es::ec::database_error,
                          what + ": " + es::describe(err));
  auto code = static_cast<es::ec>(err.code());
  auto detail = es::describe(err);
  auto prefix = std::string{es::to_string(code)} + ": ";
  if (detail.rfind(prefix, 0) == 0)
    detail.erase(0, prefix.size());
  return es::make_error(code, what + ": " + detail);
}

/// Checks that an append of `n` events after `version` landed right after
/// it; returns what is wrong, if anything.
std::optional<std::string> check_versions(int64_t version, size_t n,
                                          int64_t first, int64_t last,
                                          size_t rows) {
  auto expect_last = version + static_cast<int64_t>(n);
  if (rows != n || first != version + 1 || last != expect_last)
    return "expected versions " + std::to_string(version + 1) + ".." +
           std::to_string(expect_last) + " (" + std::to_string(n) +
           " events), got " + std::to_string(first) + ".." +
           std::to_string(last) + " (" + std::to_string(rows) + " events)";
  return std::nullopt;
}

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
std::vector<double> merged(std::vector<std::vector<double>> parts) {
  std::vector<double> out;
  for (auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

// -- Actor path ---------------------------------------------------------------

/// Counters of the actor path beyond the summary.
struct actor_extra {
  uint64_t transactions = 0;
  uint64_t appends = 0;
};

/// Waits until every pool connection is up (at most `limit`).
caf::error wait_for_pool(es::store& store, size_t pool_size,
                         std::chrono::seconds limit) {
  auto until = clock_type::now() + limit;
  for (;;) {
    auto st = store.status();
    if (st && st->pool.connections_up >= pool_size)
      return {};
    if (clock_type::now() > until)
      return st ? es::make_error(es::ec::unavailable,
                                 "actor path: the pool did not connect "
                                 "within " +
                                     std::to_string(limit.count()) + " s")
                : in_context(st.error(), "actor path: status");
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

/// Counts finished callers; the main thread waits for all of them.
class countdown {
public:
  explicit countdown(size_t n) : left_(n) {}
  void done(size_t n = 1) {
    std::lock_guard<std::mutex> lock{mtx_};
    left_ -= std::min(n, left_);
    if (left_ == 0)
      cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait(lock, [this] { return left_ == 0; });
  }
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

/// What one caller of the actor path shares with the main thread.
struct caller_job {
  es::node_actor node;
  stream_plan* plan = nullptr;
  std::vector<double>* latencies = nullptr;
  failure* failed = nullptr;
  countdown* finished = nullptr;
  std::chrono::milliseconds timeout{0};
};

/// The body of a caller actor: sends call `call` of its plan (the stream
/// being at `version`), checks the reply, and goes on with the next call.
void call_from_actor(caf::event_based_actor* self, caller_job job,
                     size_t call, int64_t version) {
  auto& events = job.plan->calls[call];
  auto n = events.size();
  es::append_command cmd;
  cmd.part = es::stream_append{job.plan->stream,
                               es::expected_version::exact(version),
                               std::move(events)};
  cmd.mode = es::durability::full;
  auto t0 = clock_type::now();
  cmd.deadline = t0 + job.timeout;
  self->request(job.node, job.timeout, es::append_atom_v, std::move(cmd))
      .then(
          [=](es::append_result& res) {
            job.latencies->push_back(millis(clock_type::now() - t0));
            auto bad = check_versions(version, n, res.first_version,
                                      res.last_version, res.positions.size());
            if (bad || res.replayed) {
              job.failed->raise(es::make_error(
                  es::ec::database_error,
                  "actor path: append to " + job.plan->stream + ": "
                      + (bad ? *bad : "reported as a replay")));
            } else if (call + 1 < job.plan->calls.size()
                       && !job.failed->raised()) {
              call_from_actor(self, job, call + 1, res.last_version);
              return;
            }
            job.finished->done();
          },
          [=](caf::error& err) {
            job.failed->raise(in_context(
                err, "actor path: append to " + job.plan->stream
                         + " (expected version " + std::to_string(version)
                         + ")"));
            job.finished->done();
          });
}

/// Runs every stream's plan from its own actor (typed requests to the
/// node, one in flight per stream) and returns the wall-clock time from
/// the first spawn until the last reply.
clock_type::duration run_caller_actors(caf::actor_system& sys,
                                       const es::node_actor& node,
                                       std::vector<stream_plan>& plan,
                                       std::vector<std::vector<double>>& lat,
                                       failure& failed,
                                       std::chrono::milliseconds timeout) {
  countdown finished{plan.size()};
  auto started = clock_type::now();
  for (size_t k = 0; k < plan.size(); ++k) {
    caller_job job{node, &plan[k], &lat[k], &failed, &finished, timeout};
    if (plan[k].calls.empty()) {
      finished.done();
      continue;
    }
    sys.spawn([job](caf::event_based_actor* self) {
      call_from_actor(self, job, 0, 0);
    });
  }
  finished.wait();
  return clock_type::now() - started;
}

/// The actor system of the measured paths: CAF's scheduler as --scheduler
/// says.
struct bench_system_config : caf::actor_system_config {
  explicit bench_system_config(const options& opts) {
    set("scheduler.policy", caf::atom_from_string(opts.scheduler));
  }
};

/// Starts the store on `dsn` with the pool size of `opts` and waits until
/// every connection is up.
caf::expected<es::store> start_store(caf::actor_system& sys,
                                     const options& opts,
                                     const std::string& dsn,
                                     const std::string& what) {
  es::node_options nopts;
  nopts.dsn = dsn;
  nopts.pool_size = opts.pool_size;
  auto started = es::start(sys, nopts);
  if (!started)
    return in_context(started.error(), what + ": cannot start the store");
  if (auto err =
          wait_for_pool(*started, opts.pool_size, std::chrono::seconds{30}))
    return err;
  return started;
}

caf::expected<summary> run_actor_path(const options& opts,
                                      const std::string& dsn,
                                      const std::string& run,
                                      const es::event_data& tmpl,
                                      actor_extra& extra) {
  bench_system_config cfg{opts};
  caf::actor_system sys{cfg};
  auto started = start_store(sys, opts, dsn, "actor path");
  if (!started)
    return std::move(started.error());
  auto& store = *started;
  // One untimed append: the first use of the path (statements prepared,
  // stream actor and router warmed up).
  es::append_options aopts;
  aopts.timeout = std::chrono::seconds{60};
  auto warm =
      store.append("bench-" + run + "-warmup", es::expected_version::exact(0),
                   {fresh(tmpl)}, aopts);
  if (!warm)
    return in_context(warm.error(), "actor path: warm-up append");
  auto plan = make_plan("bench-" + run + "-a", opts.streams, opts.events,
                        opts.batch, tmpl);
  auto before = store.status();
  failure failed;
  std::vector<std::vector<double>> latencies(opts.streams);
  for (auto& l : latencies)
    l.reserve(opts.events / opts.streams + 1);
  auto elapsed =
      opts.callers == "actors"
          ? run_caller_actors(sys, store.node(), plan, latencies, failed,
                              std::chrono::duration_cast<
                                  std::chrono::milliseconds>(aopts.timeout))
          : run_timed(opts.streams, [&](size_t k) {
    auto& p = plan[k];
    auto& lat = latencies[k];
    lat.reserve(p.calls.size());
    int64_t version = 0;
    for (auto& events : p.calls) {
      if (failed.raised())
        return;
      auto n = events.size();
      auto t0 = clock_type::now();
      auto res = store.append(p.stream, es::expected_version::exact(version),
                              std::move(events), aopts);
      auto t1 = clock_type::now();
      if (!res) {
        failed.raise(
            in_context(res.error(), "actor path: append to " + p.stream +
                                        " (expected version " +
                                        std::to_string(version) + ")"));
        return;
      }
      if (auto bad = check_versions(version, n, res->first_version,
                                    res->last_version, res->positions.size());
          bad || res->replayed) {
        failed.raise(es::make_error(es::ec::database_error,
                                    "actor path: append to " + p.stream + ": " +
                                        (bad ? *bad : "reported as a replay")));
        return;
      }
      version = res->last_version;
      lat.push_back(millis(t1 - t0));
    }
  });
  if (failed.raised())
    return failed.error();
  auto after = store.status();
  if (before && after) {
    extra.transactions = after->pool.transactions - before->pool.transactions;
    extra.appends = after->pool.appends - before->pool.appends;
  }
  store.stop();
  return es::bench::summarize(merged(std::move(latencies)), opts.events,
                              seconds(elapsed));
}

// -- Baseline -----------------------------------------------------------------

/// One baseline call: one autocommit statement doing what the store does
/// for a group of one append (sql::bench_baseline_insert, with the store's
/// own parameters); checks where it landed and returns the new version.
caf::expected<int64_t>
baseline_call(es::pg::connection& conn, const std::string& stream,
              int64_t version, std::vector<es::event_data> events) {
  auto n = events.size();
  es::stream_append part{stream, es::expected_version::exact(version),
                         std::move(events)};
  auto res = conn.exec(es::sql::bench_baseline_insert,
                       es::storage::append_events_params(
                           {&part}, es::defaults::allow_stream_recreate));
  if (!res)
    return in_context(res.error(), "baseline: append to " + stream +
                                       " (expected version " +
                                       std::to_string(version) + ")");
  auto count = static_cast<size_t>(res->rows());
  auto first = count > 0 ? res->int64(0, 1) : 0;
  auto last = count > 0 ? res->int64(res->rows() - 1, 1) : 0;
  if (auto bad = check_versions(version, n, first, last, count))
    return es::make_error(es::ec::database_error,
                          "baseline: append to " + stream + ": " + *bad);
  return last;
}

caf::expected<summary> run_baseline(const options& opts, const std::string& dsn,
                                    const std::string& run,
                                    const es::event_data& tmpl,
                                    size_t& connections) {
  connections = std::min(opts.streams, opts.pool_size);
  // Connect, prepare and warm up every connection before the clock starts.
  std::vector<es::pg::connection> conns;
  for (size_t k = 0; k < connections; ++k) {
    auto conn = es::pg::connection::open(dsn);
    if (!conn)
      return in_context(conn.error(), "baseline: cannot connect");
    auto warm =
        baseline_call(*conn, "bench-" + run + "-warmup-b" + std::to_string(k),
                      0, {fresh(tmpl)});
    if (!warm)
      return std::move(warm.error());
    conns.push_back(std::move(*conn));
  }
  auto plan = make_plan("bench-" + run + "-b", opts.streams, opts.events,
                        opts.batch, tmpl);
  failure failed;
  std::vector<std::vector<double>> latencies(connections);
  auto elapsed = run_timed(connections, [&](size_t k) {
    auto& conn = conns[k];
    auto& lat = latencies[k];
    // This thread's streams, served in turn: one call of each per round.
    std::vector<stream_plan*> mine;
    for (size_t s = k; s < plan.size(); s += connections)
      mine.push_back(&plan[s]);
    std::vector<int64_t> versions(mine.size(), 0);
    for (size_t round = 0;; ++round) {
      bool any = false;
      for (size_t j = 0; j < mine.size(); ++j) {
        auto& p = *mine[j];
        if (round >= p.calls.size())
          continue;
        if (failed.raised())
          return;
        any = true;
        auto t0 = clock_type::now();
        auto res = baseline_call(conn, p.stream, versions[j], p.calls[round]);
        auto t1 = clock_type::now();
        if (!res) {
          failed.raise(std::move(res.error()));
          return;
        }
        versions[j] = *res;
        lat.push_back(millis(t1 - t0));
      }
      if (!any)
        return;
    }
  });
  if (failed.raised())
    return failed.error();
  return es::bench::summarize(merged(std::move(latencies)), opts.events,
                              seconds(elapsed));
}

// -- Catch-up -----------------------------------------------------------------

struct catchup_result {
  double seconds = 0;
  double events_per_s = 0;
};

/// Stores `opts.events` events (untimed, in calls of 1,000 over 16 streams
/// of a category of this run), then times a subscription from the origin
/// that delivers them all to a subscriber actor that only acknowledges.
caf::expected<catchup_result> run_catchup(const options& opts,
                                          const std::string& dsn,
                                          const std::string& run,
                                          const es::event_data& tmpl) {
  bench_system_config cfg{opts};
  caf::actor_system sys{cfg};
  auto started = start_store(sys, opts, dsn, "catchup");
  if (!started)
    return std::move(started.error());
  auto& store = *started;
  auto category = "bcu" + run;
  es::append_options aopts;
  aopts.timeout = std::chrono::seconds{120};
  for (size_t done = 0, k = 0; done < opts.events; ++k) {
    auto n = std::min<size_t>(1000, opts.events - done);
    std::vector<es::event_data> call;
    call.reserve(n);
    for (size_t i = 0; i < n; ++i)
      call.push_back(fresh(tmpl));
    auto res = store.append(category + "-" + std::to_string(k % 16),
                            es::expected_version::any(), std::move(call),
                            aopts);
    if (!res)
      return in_context(res.error(), "catchup: storing the events");
    done += n;
  }
  countdown delivered{opts.events};
  auto subscriber = sys.spawn(
      [&delivered](es::subscriber_actor::pointer)
          -> es::subscriber_actor::behavior_type {
        return {[&delivered](es::deliver_atom, const es::event_batch& batch) {
          delivered.done(batch.events.size());
          return es::batch_ack{batch.events.back()->global_position, {}};
        }};
      });
  es::subscription_spec spec;
  spec.name = "bench-catchup-" + run;
  spec.filter = es::log_filter::category(category);
  spec.start = es::start_from::origin;
  spec.page_size = 1000;
  spec.buffer_size = 1000;
  spec.batch_size = 250; // a projection takes large batches
  spec.subscriber = subscriber;
  auto t0 = clock_type::now();
  auto sub = store.subscribe(spec);
  if (!sub)
    return in_context(sub.error(), "catchup: subscribing");
  delivered.wait();
  auto elapsed = seconds(clock_type::now() - t0);
  caf::anon_send_exit(subscriber, caf::exit_reason::user_shutdown);
  store.stop();
  return catchup_result{elapsed,
                        static_cast<double>(opts.events) / elapsed};
}

// -- Fan-out ------------------------------------------------------------------

/// What one fan-out subscriber saw. Written by its actor only; read by the
/// main thread once the run is over.
struct fanout_sink {
  int64_t base = 0; // positions of this run are above it
  std::vector<bool> seen; // by position - base - 1
  size_t distinct = 0;
  size_t duplicates = 0;
  std::vector<double> latencies_ms;
};

struct fanout_result {
  size_t expected = 0;
  size_t delivered = 0;
  size_t duplicates = 0;
  double seconds = 0;
  double append_rate = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  size_t append_failures = 0;
};

/// Paces the appends of the fan-out: one event per append, `rate` per
/// second on average, over 16 streams of `category`, without waiting for
/// one to commit before the next goes (as many bot actors appending).
caf::behavior fanout_appender(caf::event_based_actor* self,
                              es::node_actor node, std::string category,
                              es::event_data tmpl, size_t total, double rate,
                              std::shared_ptr<countdown> finished,
                              std::shared_ptr<std::atomic<size_t>> failures) {
  auto sent = std::make_shared<size_t>(0);
  auto t0 = clock_type::now();
  auto tick = [=] {
    auto due = static_cast<size_t>(
        std::chrono::duration<double>(clock_type::now() - t0).count() * rate);
    for (; *sent < std::min(due + 1, total); ++*sent) {
      auto ev = fresh(tmpl);
      ev.created_at = es::now_utc(); // the latency starts here
      es::append_command cmd;
      cmd.part = es::stream_append{category + "-" + std::to_string(*sent % 16),
                                   es::expected_version::any(), {std::move(ev)}};
      cmd.deadline = clock_type::now() + std::chrono::seconds{60};
      self->request(node, std::chrono::seconds{61}, es::append_atom_v,
                    std::move(cmd))
          .then([=](es::append_result&) { finished->done(); },
                [=](caf::error& err) {
                  if (failures->fetch_add(1) == 0)
                    spdlog::error("fanout: an append failed: {}",
                                  es::describe(err));
                  finished->done();
                });
    }
  };
  self->send(self, es::timer_atom_v, uint64_t{0});
  return {[=](es::timer_atom, uint64_t) {
    tick();
    if (*sent < total)
      self->delayed_send(self, std::chrono::milliseconds{2}, es::timer_atom_v,
                         uint64_t{0});
  }};
}

/// K subscriptions (transient, from now, on this run's category), each
/// with its own subscriber actor; then N events appended at R per second;
/// then every subscriber must have received every event. The latency of an
/// event at a subscriber is its arrival time minus its `created_at`, set
/// just before its append was sent: it covers the commit as well as the
/// delivery (an upper bound of commit-to-delivery).
caf::expected<fanout_result> run_fanout(const options& opts,
                                        const std::string& dsn,
                                        const std::string& run,
                                        const es::event_data& tmpl) {
  bench_system_config cfg{opts};
  caf::actor_system sys{cfg};
  auto started = start_store(sys, opts, dsn, "fanout");
  if (!started)
    return std::move(started.error());
  auto& store = *started;
  auto category = "bfo" + run;
  auto horizon = store.read_all(std::numeric_limits<int64_t>::max() / 2, 1);
  if (!horizon)
    return in_context(horizon.error(), "fanout: reading the log horizon");
  auto received = std::make_shared<countdown>(opts.subscribers);
  std::vector<std::shared_ptr<fanout_sink>> sinks;
  std::vector<es::subscriber_actor> subscribers;
  std::vector<es::subscription_actor> subscriptions;
  size_t n = opts.events;
  for (size_t k = 0; k < opts.subscribers; ++k) {
    auto sink = std::make_shared<fanout_sink>();
    sink->base = horizon->horizon;
    sink->latencies_ms.reserve(n);
    sinks.push_back(sink);
    subscribers.push_back(sys.spawn(
        [sink, n, received](es::subscriber_actor::pointer)
            -> es::subscriber_actor::behavior_type {
          return {[=](es::deliver_atom, const es::event_batch& batch) {
            auto now = std::chrono::system_clock::now();
            for (auto& ev : batch.events) {
              auto i = static_cast<size_t>(ev->global_position - sink->base - 1);
              if (i >= sink->seen.size())
                sink->seen.resize(std::max(i + 1, 2 * sink->seen.size()));
              if (sink->seen[i]) {
                ++sink->duplicates;
                continue;
              }
              sink->seen[i] = true;
              sink->latencies_ms.push_back(millis(now - ev->created_at));
              if (++sink->distinct == n)
                received->done();
            }
            return es::batch_ack{batch.events.back()->global_position, {}};
          }};
        }));
    es::subscription_spec spec;
    spec.name = "bench-fanout-" + run + "-" + std::to_string(k);
    spec.filter = es::log_filter::category(category);
    spec.start = es::start_from::position;
    spec.after = horizon->horizon;
    spec.subscriber = subscribers.back();
    auto sub = store.subscribe(spec);
    if (!sub)
      return in_context(sub.error(), "fanout: subscribing");
    subscriptions.push_back(*sub);
  }
  // Steady state: every subscription has caught up and is live before the
  // first append.
  auto live_by = clock_type::now() + std::chrono::seconds{120};
  for (auto& sub : subscriptions)
    for (;;) {
      auto st = store.status_of(sub);
      if (!st)
        return in_context(st.error(), "fanout: subscription status");
      if (st->live)
        break;
      if (clock_type::now() > live_by)
        return es::make_error(es::ec::timeout,
                              "fanout: a subscription did not go live");
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  auto committed = std::make_shared<countdown>(n);
  auto failures = std::make_shared<std::atomic<size_t>>(0);
  auto t0 = clock_type::now();
  auto appender = sys.spawn(fanout_appender, store.node(), category, tmpl, n,
                            static_cast<double>(opts.rate), committed,
                            failures);
  committed->wait();
  auto append_seconds = seconds(clock_type::now() - t0);
  // Everything committed must arrive; allow a generous drain time.
  bool complete = failures->load() == 0
                  && received->wait_for(std::chrono::seconds{60});
  auto elapsed = seconds(clock_type::now() - t0);
  fanout_result out;
  out.expected = opts.subscribers * n;
  out.seconds = elapsed;
  out.append_rate = static_cast<double>(n) / append_seconds;
  out.append_failures = failures->load();
  // The subscribers stop before their sinks are read.
  for (auto& sub : subscribers)
    caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(appender, caf::exit_reason::user_shutdown);
  store.stop();
  sys.await_all_actors_done();
  std::vector<double> all;
  all.reserve(out.expected);
  for (auto& sink : sinks) {
    out.delivered += sink->distinct;
    out.duplicates += sink->duplicates;
    all.insert(all.end(), sink->latencies_ms.begin(),
               sink->latencies_ms.end());
  }
  auto lat = es::bench::summarize(std::move(all), out.delivered, elapsed);
  out.p50_ms = lat.p50_ms;
  out.p99_ms = lat.p99_ms;
  out.max_ms = lat.max_ms;
  if (!complete)
    spdlog::error("fanout: {} of {} deliveries arrived", out.delivered,
                  out.expected);
  return out;
}

// -- Output -------------------------------------------------------------------

struct report {
  const options& opts;
  summary actor;
  summary baseline;
  actor_extra extra;
  size_t baseline_connections = 0;
  bool embedded = false;
};

std::string to_json(const report& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  auto num = [&](const char* key, double value) {
    w.Key(key);
    w.Double(value);
  };
  auto count = [&](const char* key, uint64_t value) {
    w.Key(key);
    w.Uint64(value);
  };
  w.StartObject();
  w.Key("scenario");
  w.String(r.opts.scenario);
  count("batch", r.opts.batch);
  count("streams", r.opts.streams);
  count("events", r.opts.events);
  count("pool_size", r.opts.pool_size);
  num("events_per_s", r.actor.events_per_s);
  num("p50_ms", r.actor.p50_ms);
  num("p99_ms", r.actor.p99_ms);
  num("max_ms", r.actor.max_ms);
  count("calls", r.actor.calls);
  num("seconds", r.actor.seconds);
  count("transactions", r.extra.transactions);
  num("appends_per_transaction",
      es::bench::ratio(static_cast<double>(r.extra.appends),
                       static_cast<double>(r.extra.transactions)));
  num("baseline_events_per_s", r.baseline.events_per_s);
  num("baseline_p50_ms", r.baseline.p50_ms);
  num("baseline_p99_ms", r.baseline.p99_ms);
  num("baseline_max_ms", r.baseline.max_ms);
  count("baseline_calls", r.baseline.calls);
  num("baseline_seconds", r.baseline.seconds);
  count("baseline_connections", r.baseline_connections);
  num("ratio", es::bench::ratio(r.actor.events_per_s, r.baseline.events_per_s));
  w.Key("scheduler");
  w.String(r.opts.scheduler);
  w.Key("callers");
  w.String(r.opts.callers);
  w.Key("embedded_cluster");
  w.Bool(r.embedded);
  w.EndObject();
  return buf.GetString();
}

std::string to_table(const report& r) {
  std::ostringstream out;
  out << std::fixed;
  out << "es-bench: scenario " << r.opts.scenario << ", batch " << r.opts.batch
      << ", streams " << r.opts.streams << ", events " << r.opts.events
      << ", pool size " << r.opts.pool_size << ", CAF scheduler "
      << r.opts.scheduler << ", callers " << r.opts.callers
      << (r.embedded ? " (embedded cluster, fsync on)" : "")
      << "\n\n";
  out << std::left << std::setw(22) << "" << std::right << std::setw(12)
      << "events/s" << std::setw(10) << "p50 ms" << std::setw(10) << "p99 ms"
      << std::setw(10) << "max ms" << std::setw(9) << "calls" << std::setw(10)
      << "seconds"
      << "\n";
  auto row = [&](const char* name, const summary& s) {
    out << std::left << std::setw(22) << name << std::right
        << std::setprecision(1) << std::setw(12) << s.events_per_s
        << std::setprecision(2) << std::setw(10) << s.p50_ms << std::setw(10)
        << s.p99_ms << std::setw(10) << s.max_ms << std::setw(9) << s.calls
        << std::setprecision(2) << std::setw(10) << s.seconds << "\n";
  };
  row("actor (group commit)", r.actor);
  row("libpq baseline", r.baseline);
  out << "\nratio (events/s, actor / baseline): " << std::setprecision(2)
      << es::bench::ratio(r.actor.events_per_s, r.baseline.events_per_s)
      << "\nactor path: " << r.extra.transactions << " transactions, "
      << es::bench::ratio(static_cast<double>(r.extra.appends),
                          static_cast<double>(r.extra.transactions))
      << " appends per transaction; baseline: " << r.baseline_connections
      << " connections, one transaction per call\n";
  return out.str();
}

// -- Main ---------------------------------------------------------------------

/// A fresh temp dir for an ephemeral cluster, or an error.
caf::expected<std::filesystem::path> make_temp_dir() {
  std::string tmpl = "/var/tmp/es-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return es::make_error(es::ec::invalid_argument,
                          "cannot create a temp dir under /var/tmp");
  return std::filesystem::path{tmpl};
}

int run(const options& opts) {
  // The embedded cluster (if any) outlives both paths.
  std::optional<es::storage::embedded_cluster> cluster;
  std::optional<std::filesystem::path> temp_dir;
  std::string dsn = opts.dsn;
  if (dsn.empty()) {
    es::storage::cluster_options copts;
    if (opts.data_dir.empty()) {
      auto dir = make_temp_dir();
      if (!dir) {
        std::cerr << "es-bench: " << es::describe(dir.error()) << "\n";
        return exit_failed;
      }
      temp_dir = *dir;
      copts.data_dir = *dir;
      copts.ephemeral = true;
    } else {
      copts.data_dir = opts.data_dir;
    }
    copts.fsync = true;
    spdlog::info("starting an embedded cluster in {}", copts.data_dir.string());
    auto started = es::storage::embedded_cluster::start(copts);
    if (!started) {
      std::cerr << "es-bench: "
                << es::describe(in_context(started.error(),
                                           "cannot start the embedded "
                                           "cluster"))
                << "\n";
      return exit_failed;
    }
    cluster.emplace(std::move(*started));
    dsn = cluster->dsn();
  }
  auto cleanup = [&] {
    if (cluster)
      if (auto err = cluster->stop())
        std::cerr << "es-bench: stopping the cluster: " << es::describe(err)
                  << "\n";
    if (temp_dir) {
      std::error_code ignored;
      std::filesystem::remove_all(*temp_dir, ignored);
    }
  };
  auto fail = [&](const caf::error& err) {
    std::cerr << "es-bench: " << es::describe(err) << "\n";
    cleanup();
    return exit_failed;
  };
  auto cat = es::registry::game_catalog();
  auto tmpl = encode_template(cat);
  if (!tmpl)
    return fail(in_context(tmpl.error(), "cannot encode the sample event"));
  // A run id keeps this run's streams apart from earlier runs' (the random
  // tail of a UUIDv7).
  auto run_id = es::to_string(es::uuid::v7()).substr(24);
  if (opts.scenario == "catchup") {
    spdlog::info("run {}: catch-up of {} events", run_id, opts.events);
    auto res = run_catchup(opts, dsn, run_id, *tmpl);
    if (!res)
      return fail(res.error());
    cleanup();
    std::ostringstream line;
    line << std::fixed << std::setprecision(3);
    if (opts.json)
      line << R"({"scenario":"catchup","events":)" << opts.events
           << R"(,"seconds":)" << res->seconds << R"(,"events_per_s":)"
           << res->events_per_s << R"(,"scheduler":")" << opts.scheduler
           << R"(","embedded_cluster":)" << (cluster ? "true" : "false")
           << "}";
    else
      line << "es-bench: scenario catchup, " << opts.events << " events: "
           << res->seconds << " s, " << std::setprecision(0)
           << res->events_per_s << " events/s";
    std::cout << line.str() << std::endl;
    return exit_ok;
  }
  if (opts.scenario == "fanout") {
    spdlog::info("run {}: fan-out of {} events at {}/s to {} subscribers",
                 run_id, opts.events, opts.rate, opts.subscribers);
    auto res = run_fanout(opts, dsn, run_id, *tmpl);
    if (!res)
      return fail(res.error());
    cleanup();
    std::ostringstream line;
    line << std::fixed << std::setprecision(3);
    if (opts.json)
      line << R"({"scenario":"fanout","subscribers":)" << opts.subscribers
           << R"(,"events":)" << opts.events << R"(,"rate":)" << opts.rate
           << R"(,"expected":)" << res->expected << R"(,"delivered":)"
           << res->delivered << R"(,"duplicates":)" << res->duplicates
           << R"(,"p50_ms":)" << res->p50_ms << R"(,"p99_ms":)" << res->p99_ms
           << R"(,"max_ms":)" << res->max_ms << R"(,"append_rate":)"
           << res->append_rate << R"(,"append_failures":)"
           << res->append_failures << R"(,"seconds":)" << res->seconds
           << R"(,"scheduler":")" << opts.scheduler << R"(")"
           << R"(,"embedded_cluster":)" << (cluster ? "true" : "false")
           << "}";
    else
      line << "es-bench: scenario fanout, " << opts.subscribers
           << " subscribers, " << opts.events << " events at " << opts.rate
           << "/s: delivered " << res->delivered << " of " << res->expected
           << ", " << res->duplicates << " duplicates, latency p50 "
           << res->p50_ms << " ms, p99 " << res->p99_ms << " ms, max "
           << res->max_ms << " ms";
    std::cout << line.str() << std::endl;
    return res->delivered == res->expected && res->append_failures == 0
               ? exit_ok
               : exit_failed;
  }
  report r{opts, {}, {}, {}, 0, cluster.has_value()};
  spdlog::info("run {}: actor path", run_id);
  auto actor = run_actor_path(opts, dsn, run_id, *tmpl, r.extra);
  if (!actor)
    return fail(actor.error());
  r.actor = *actor;
  spdlog::info("run {}: libpq baseline", run_id);
  auto baseline =
      run_baseline(opts, dsn, run_id, *tmpl, r.baseline_connections);
  if (!baseline)
    return fail(baseline.error());
  r.baseline = *baseline;
  cleanup();
  if (opts.json)
    std::cout << to_json(r) << std::endl;
  else
    std::cout << to_table(r);
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  options opts;
  if (auto err = parse(argc, argv, opts)) {
    std::cerr << "es-bench: " << *err << "\n"
              << synopsis << "(es-bench --help for details)\n";
    return exit_usage;
  }
  if (opts.help) {
    std::cout << synopsis << details;
    return exit_ok;
  }
  // Logs go to stderr, so that stdout carries only the result.
  spdlog::set_default_logger(spdlog::stderr_color_mt("es-bench"));
  spdlog::set_level(opts.json ? spdlog::level::warn : spdlog::level::info);
  return run(opts);
}
