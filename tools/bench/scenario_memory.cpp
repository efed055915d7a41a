// Scenario `memory`: the resident memory of a process embedding the store
// with S streams touched and then idle (every stream actor passivated), and
// with K subscribers live (tools/bench/memory.hpp does the work). The store
// runs with a stream idle timeout of 1 s, so that the passivation comes
// within the run. No baseline: issue 7's targets are absolute (10,000
// idle streams under 64 MiB, 1,000 subscribers under 256 MiB).
#include "tools/bench/memory.hpp"
#include "tools/bench/scenarios.hpp"

namespace es::bench {

scenario_plan plan_memory(const context& ctx) {
  const auto& o = ctx.opts;
  scenario_plan plan;
  auto& spec = plan.spec;
  spec.scenario = "memory";
  spec.title = "es-bench: scenario memory, " + std::to_string(o.streams) +
               " streams touched then idle, " + std::to_string(o.subscribers) +
               " subscribers after " + std::to_string(o.events) + " events";
  spec.params = {{"streams", static_cast<double>(o.streams)},
                 {"subscribers", static_cast<double>(o.subscribers)},
                 {"events", static_cast<double>(o.events)},
                 {"pool_size", static_cast<double>(o.pool_size)}};
  finish_params(ctx, spec);
  spec.flat_path = "store";
  spec.columns = {{"start_mib", "start MiB", 1},
                  {"streams_peak_mib", "streams MiB", 1},
                  {"streams_idle_mib", "idle MiB", 1},
                  {"subscribers_mib", "subscribers MiB", 1},
                  {"delivered", "delivered", 0}};
  spec.notes = {"resident memory of the es-bench process (/proc/self/statm)",
                "idle: once the router passivated every stream actor "
                "(idle timeout 1 s); subscribers: with them all live, after "
                "every event reached every one"};
  plan.paths.push_back({"store", [&ctx] {
    const auto& opts = ctx.opts;
    auto t0 = clock_type::now();
    bench_system_config cfg{opts};
    caf::actor_system sys{cfg};
    auto started = start_store(sys, opts, ctx.dsn, "memory",
                               [](node_options& n) {
                                 n.stream_idle_timeout =
                                     std::chrono::seconds{1};
                               });
    if (!started)
      return failed_path("store", started.error());
    memory_plan mp;
    mp.streams = opts.streams;
    mp.subscribers = opts.subscribers;
    mp.events = opts.events;
    auto res = run_memory(sys, *started, "bme" + ctx.run_id, ctx.tmpl, mp);
    started->stop();
    if (!res)
      return failed_path("store", res.error());
    path_figures out;
    out.path = "store";
    out.seconds = seconds(clock_type::now() - t0);
    auto expected = opts.subscribers * opts.events;
    out.counters = {
        {"start_mib", res->start_mib},
        {"streams_peak_mib", res->streams_peak_mib},
        {"streams_idle_mib", res->streams_idle_mib},
        {"active_streams", static_cast<double>(res->active_streams)},
        {"subscribers_mib", res->subscribers_mib},
        {"expected", static_cast<double>(expected)},
        {"delivered", static_cast<double>(res->delivered)},
        {"seconds", out.seconds}};
    if (res->delivered != expected)
      out.error = std::to_string(res->delivered) + " of " +
                  std::to_string(expected) + " deliveries arrived";
    return out;
  }});
  return plan;
}

} // namespace es::bench
