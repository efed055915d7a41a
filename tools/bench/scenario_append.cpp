// Scenario `append`: N events spread over S streams (stream i gets N / S,
// the first N % S streams one more), written in calls of at most B events,
// each call with expected_version exact(previous version), as a careful
// writer would.
//
// - store: `es::start` with the DSN and pool size P on an actor system with
//   the --scheduler policy, then S callers, one per stream, each appending
//   its calls in turn: event-based actors sending typed requests to the
//   node (--callers actors, the default) or threads calling the blocking
//   `store.append` (--callers threads). The node queues concurrent appends
//   and commits many per transaction (group commit).
// - raw, commanded, plain, physical: baselines.hpp.
//
// Every path uses stream ids of its own and runs after the previous one
// finished (the store is stopped before the baselines start).
#include "tools/bench/baselines.hpp"
#include "tools/bench/scenarios.hpp"

#include "messages/error.hpp"

#include <caf/event_based_actor.hpp>
#include <spdlog/spdlog.h>

namespace es::bench {

namespace {

/// Counters of the store path beyond the summary.
struct actor_extra {
  uint64_t transactions = 0;
  uint64_t appends = 0;
};

/// What one caller of the store path shares with the main thread.
struct caller_job {
  node_actor node;
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
  append_command cmd;
  cmd.part = stream_append{job.plan->stream, expected_version::exact(version),
                           std::move(events)};
  cmd.mode = durability::full;
  auto t0 = clock_type::now();
  cmd.deadline = t0 + job.timeout;
  self->request(job.node, job.timeout, append_atom_v, std::move(cmd))
      .then(
          [=](append_result& res) {
            job.latencies->push_back(millis(clock_type::now() - t0));
            auto bad = check_versions(version, n, res.first_version,
                                      res.last_version, res.positions.size());
            if (bad || res.replayed) {
              job.failed->raise(make_error(
                  ec::database_error,
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
                                       const node_actor& node,
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

caf::expected<summary> run_actor_path(const options& opts,
                                      const std::string& dsn,
                                      const std::string& run,
                                      const event_data& tmpl,
                                      actor_extra& extra) {
  bench_system_config cfg{opts};
  caf::actor_system sys{cfg};
  auto started = start_store(sys, opts, dsn, "actor path");
  if (!started)
    return std::move(started.error());
  auto& store = *started;
  // One untimed append: the first use of the path (statements prepared,
  // stream actor and router warmed up).
  append_options aopts;
  aopts.timeout = std::chrono::seconds{60};
  auto warm = store.append("bench-" + run + "-warmup",
                           expected_version::exact(0), {fresh(tmpl)}, aopts);
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
      auto res = store.append(p.stream, expected_version::exact(version),
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
        failed.raise(make_error(ec::database_error,
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
  return summarize(merged(std::move(latencies)), opts.events,
                   seconds(elapsed));
}

/// A baseline's summary as a path, with its connection count.
path_figures baseline_path(const std::string& name,
                           const caf::expected<summary>& res,
                           size_t connections) {
  if (!res)
    return failed_path(name, res.error());
  auto out = figures_from(name, *res);
  out.counters.emplace_back("connections", static_cast<double>(connections));
  return out;
}

/// Adds the read-back count of `streams` to a path that succeeded, and
/// fails it when that is not what it wrote.
void read_back(const context& ctx, const std::string& prefix,
               path_figures& out) {
  if (!out.error.empty())
    return;
  auto stored
      = stored_events(ctx.dsn, stream_names(prefix, ctx.opts.streams));
  if (!stored) {
    out.error = describe(stored.error());
    return;
  }
  out.counters.emplace_back("stored", static_cast<double>(*stored));
  out.error = check_stored(*stored, ctx.opts.events);
}

} // namespace

scenario_plan plan_append(const context& ctx) {
  const auto& o = ctx.opts;
  scenario_plan plan;
  auto& spec = plan.spec;
  spec.scenario = "append";
  spec.title = "es-bench: scenario append, batch " + std::to_string(o.batch)
               + ", streams " + std::to_string(o.streams) + ", events "
               + std::to_string(o.events) + ", pool size "
               + std::to_string(o.pool_size) + ", CAF scheduler "
               + o.scheduler + ", callers " + o.callers
               + (ctx.embedded ? " (embedded cluster, fsync on)" : "");
  spec.params = {{"batch", static_cast<double>(o.batch)},
                 {"streams", static_cast<double>(o.streams)},
                 {"events", static_cast<double>(o.events)},
                 {"pool_size", static_cast<double>(o.pool_size)},
                 {"callers", o.callers}};
  finish_params(ctx, spec);
  // The store's figures at the top level and the raw baseline's as
  // baseline_*, as es-bench printed them before it had more baselines.
  spec.flat_path = "store";
  spec.prefixed = {{"raw", "baseline_"}};
  spec.ratios = {{"store/raw", "store", "raw"},
                 {"store/physical", "store", "physical"},
                 {"commanded/raw", "commanded", "raw"},
                 {"store/commanded", "store", "commanded"},
                 {"raw/physical", "raw", "physical"},
                 {"raw/plain", "raw", "plain"},
                 {"commanded/plain", "commanded", "plain"}};
  spec.flat_ratios = {{"ratio", "store/raw"}};
  spec.columns = rate_columns();
  spec.columns.push_back({"connections", "conns", 0});
  spec.columns.push_back({"appends_per_transaction", "appends/tx", 1});
  spec.notes = {
      "store: the actor runtime, one caller per stream, group commit",
      "raw: one autocommit multi-row unnest INSERT per call "
      "(sql::bench_baseline_insert)",
      "commanded: the same calls, each first updating one global $all row "
      "under a row lock",
      "plain: the same calls as a plain multi-row INSERT into a table "
      "without the NOTIFY trigger, no locks (sql::bench_plain_insert)",
      "physical: the same number of events inserted server-side "
      "(generate_series, 1,000 per statement)"};
  plan.prepare = [&ctx] { return prepare_bench_schema(ctx.dsn); };
  plan.paths.push_back({"store", [&ctx] {
    spdlog::info("run {}: store path", ctx.run_id);
    actor_extra extra;
    auto res = run_actor_path(ctx.opts, ctx.dsn, ctx.run_id, ctx.tmpl, extra);
    if (!res)
      return failed_path("store", res.error());
    auto out = figures_from("store", *res);
    out.counters.emplace_back("transactions",
                              static_cast<double>(extra.transactions));
    out.counters.emplace_back(
        "appends_per_transaction",
        ratio(static_cast<double>(extra.appends),
              static_cast<double>(extra.transactions)));
    read_back(ctx, "bench-" + ctx.run_id + "-a", out);
    return out;
  }});
  plan.paths.push_back({"raw", [&ctx] {
    spdlog::info("run {}: raw baseline", ctx.run_id);
    size_t conns = 0;
    auto res = raw_append(ctx, conns);
    auto out = baseline_path("raw", res, conns);
    read_back(ctx, "bench-" + ctx.run_id + "-b", out);
    return out;
  }});
  plan.paths.push_back({"commanded", [&ctx] {
    spdlog::info("run {}: commanded-style baseline", ctx.run_id);
    size_t conns = 0;
    auto res = commanded_append(ctx, conns);
    return baseline_path("commanded", res, conns);
  }});
  plan.paths.push_back({"plain", [&ctx] {
    spdlog::info("run {}: plain baseline", ctx.run_id);
    size_t conns = 0;
    auto res = plain_append(ctx, conns);
    return baseline_path("plain", res, conns);
  }});
  plan.paths.push_back({"physical", [&ctx] {
    spdlog::info("run {}: physical limit", ctx.run_id);
    size_t conns = 0;
    auto res = physical_insert(ctx, conns);
    return baseline_path("physical", res, conns);
  }});
  return plan;
}

} // namespace es::bench
