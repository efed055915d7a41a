// Scenario `append-multi`: N events in atomic appends that span 2-5 streams
// per call (call j of a writer spans 2 + j % 4 streams), B events per
// stream, each stream with its exact expected version. W = min(P, S / 5)
// writers, each with streams of its own (stream k belongs to writer k % W),
// so calls never wait for each other's stream locks.
//
// - store: each writer calls the storage layer's multi-stream append
//   (`storage::event_store::append(std::vector<stream_append>)`: one
//   transaction, one statement) on a connection of its own. The actor
//   runtime's node takes single-stream appends only, so this path measures
//   the storage layer, without group commit.
// - raw: baselines.hpp (one pipelined transaction of one prepared INSERT
//   per stream).
#include "messages/error.hpp"
#include "storage/event_store.hpp"
#include "tools/bench/baselines.hpp"
#include "tools/bench/scenarios.hpp"

#include <spdlog/spdlog.h>

namespace es::bench {

namespace {

/// The writers' calls: streams "<prefix><k>", N events in total.
std::vector<multi_writer> make_writers(const options& o,
                                       const std::string& prefix,
                                       const event_data& tmpl) {
  size_t count =
      std::max<size_t>(1, std::min(o.pool_size, o.streams / multi_max_streams));
  std::vector<multi_writer> out(count);
  for (size_t s = 0; s < o.streams; ++s)
    out[s % count].streams.push_back(prefix + std::to_string(s));
  for (size_t k = 0; k < count; ++k) {
    auto& w = out[k];
    size_t left = o.events / count + (k < o.events % count ? 1 : 0);
    size_t cursor = 0;
    for (size_t j = 0; left > 0; ++j) {
      auto width =
          multi_min_streams + j % (multi_max_streams - multi_min_streams + 1);
      std::vector<std::pair<size_t, std::vector<event_data>>> call;
      for (size_t m = 0; m < width && left > 0; ++m) {
        auto n = std::min(o.batch, left);
        call.emplace_back((cursor + m) % w.streams.size(),
                          fresh_events(tmpl, n));
        left -= n;
      }
      cursor = (cursor + width) % w.streams.size();
      w.calls.push_back(std::move(call));
    }
  }
  return out;
}

caf::expected<summary> store_multi_append(const context& ctx,
                                          std::vector<multi_writer> writers,
                                          size_t& calls) {
  std::vector<storage::event_store> stores;
  for (size_t k = 0; k < writers.size(); ++k) {
    auto st = storage::event_store::open(ctx.dsn);
    if (!st)
      return in_context(st.error(), "store: cannot connect");
    // Warm-up: the statements prepared, a two-stream append.
    auto warm = "bench-" + ctx.run_id + "-warmup-m" + std::to_string(k);
    std::vector<stream_append> parts{
        {warm + "a", expected_version::exact(0), {fresh(ctx.tmpl)}},
        {warm + "b", expected_version::exact(0), {fresh(ctx.tmpl)}}};
    if (auto res = st->append(std::move(parts)); !res)
      return in_context(res.error(), "store: warm-up append");
    stores.push_back(std::move(*st));
  }
  failure failed;
  std::vector<std::vector<double>> latencies(writers.size());
  auto elapsed = run_timed(writers.size(), [&](size_t k) {
    auto& w = writers[k];
    std::vector<int64_t> versions(w.streams.size(), 0);
    for (auto& call : w.calls) {
      if (failed.raised())
        return;
      std::vector<stream_append> parts;
      std::vector<size_t> sizes;
      for (auto& [idx, events] : call) {
        sizes.push_back(events.size());
        parts.push_back({w.streams[idx], expected_version::exact(versions[idx]),
                         std::move(events)});
      }
      auto t0 = clock_type::now();
      auto res = stores[k].append(std::move(parts));
      auto t1 = clock_type::now();
      if (!res) {
        failed.raise(in_context(res.error(), "store: multi-stream append"));
        return;
      }
      if (res->size() != call.size()) {
        failed.raise(make_error(
            ec::database_error,
            "store: multi-stream append: " + std::to_string(res->size()) +
                " results for " + std::to_string(call.size()) + " streams"));
        return;
      }
      for (size_t i = 0; i < call.size(); ++i) {
        auto idx = call[i].first;
        auto& r = (*res)[i];
        if (auto bad = check_versions(versions[idx], sizes[i], r.first_version,
                                      r.last_version, r.positions.size());
            bad || r.replayed) {
          failed.raise(make_error(ec::database_error,
                                  "store: append to " + w.streams[idx] + ": " +
                                      (bad ? *bad : "reported as a replay")));
          return;
        }
        versions[idx] = r.last_version;
      }
      latencies[k].push_back(millis(t1 - t0));
    }
  });
  if (failed.raised())
    return failed.error();
  calls = 0;
  for (auto& l : latencies)
    calls += l.size();
  return summarize(merged(std::move(latencies)), ctx.opts.events,
                   seconds(elapsed));
}

/// The path's figures, with what was stored in its streams read back.
path_figures multi_path(const context& ctx, const std::string& name,
                        const std::string& prefix,
                        const caf::expected<summary>& res, size_t writers) {
  if (!res)
    return failed_path(name, res.error());
  auto out = figures_from(name, *res);
  out.counters.emplace_back("connections", static_cast<double>(writers));
  auto stored = stored_events(ctx.dsn, stream_names(prefix, ctx.opts.streams));
  if (!stored)
    return failed_path(name, stored.error());
  out.counters.emplace_back("stored", static_cast<double>(*stored));
  out.error = check_stored(*stored, ctx.opts.events);
  return out;
}

} // namespace

scenario_plan plan_append_multi(const context& ctx) {
  const auto& o = ctx.opts;
  scenario_plan plan;
  auto& spec = plan.spec;
  spec.scenario = "append-multi";
  spec.title = "es-bench: scenario append-multi, " + std::to_string(o.events) +
               " events, " + std::to_string(o.batch) +
               " per stream per call, 2-5 streams per call, " +
               std::to_string(o.streams) + " streams, pool size " +
               std::to_string(o.pool_size) +
               (ctx.embedded ? " (embedded cluster, fsync on)" : "");
  spec.params = {{"batch", static_cast<double>(o.batch)},
                 {"streams", static_cast<double>(o.streams)},
                 {"events", static_cast<double>(o.events)},
                 {"pool_size", static_cast<double>(o.pool_size)}};
  finish_params(ctx, spec);
  spec.ratios = {{"store/raw", "store", "raw"}};
  spec.columns = rate_columns();
  spec.columns.push_back({"connections", "conns", 0});
  spec.notes = {"store: storage::event_store's multi-stream append, one "
                "statement per call, a connection per writer",
                "raw: one pipelined transaction per call, one prepared "
                "INSERT (sql::bench_baseline_insert) per stream"};
  plan.paths.push_back(
      {"store", [&ctx] {
         spdlog::info("run {}: multi-stream appends, store", ctx.run_id);
         auto prefix = "bench-" + ctx.run_id + "-ma";
         auto writers = make_writers(ctx.opts, prefix, ctx.tmpl);
         auto count = writers.size();
         size_t calls = 0;
         auto res = store_multi_append(ctx, std::move(writers), calls);
         return multi_path(ctx, "store", prefix, res, count);
       }});
  plan.paths.push_back(
      {"raw", [&ctx] {
         spdlog::info("run {}: multi-stream appends, raw", ctx.run_id);
         auto prefix = "bench-" + ctx.run_id + "-mb";
         auto writers = make_writers(ctx.opts, prefix, ctx.tmpl);
         auto count = writers.size();
         auto res = raw_multi_append(ctx.dsn, ctx.run_id, ctx.tmpl,
                                     std::move(writers), ctx.opts.events);
         return multi_path(ctx, "raw", prefix, res, count);
       }});
  return plan;
}

} // namespace es::bench
