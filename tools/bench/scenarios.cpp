#include "tools/bench/scenarios.hpp"

#include "messages/error.hpp"

namespace es::bench {

scenario_plan plan_for(const context& ctx) {
  const auto& name = ctx.opts.scenario;
  if (name == "append-multi")
    return plan_append_multi(ctx);
  if (name == "read-stream")
    return plan_read_stream(ctx);
  if (name == "read-all")
    return plan_read_all(ctx);
  if (name == "catchup")
    return plan_catchup(ctx);
  if (name == "fanout")
    return plan_fanout(ctx);
  if (name == "outage")
    return plan_outage(ctx);
  if (name == "memory")
    return plan_memory(ctx);
  return plan_append(ctx);
}

path_figures figures_from(const std::string& name, const summary& s) {
  path_figures out;
  out.path = name;
  out.seconds = s.seconds;
  out.counters = {{"events_per_s", s.events_per_s},
                  {"p50_ms", s.p50_ms},
                  {"p99_ms", s.p99_ms},
                  {"p999_ms", s.p999_ms},
                  {"max_ms", s.max_ms},
                  {"calls", static_cast<double>(s.calls)},
                  {"seconds", s.seconds}};
  return out;
}

path_figures failed_path(const std::string& name, const caf::error& err) {
  path_figures out;
  out.path = name;
  out.error = describe(err);
  return out;
}

void finish_params(const context& ctx, report_spec& spec) {
  spec.params.emplace_back("scheduler", ctx.opts.scheduler);
  spec.params.emplace_back("embedded_cluster", ctx.embedded);
}

std::vector<column> rate_columns() {
  return {{"events_per_s", "events/s", 1}, {"p50_ms", "p50 ms", 2},
          {"p99_ms", "p99 ms", 2},         {"max_ms", "max ms", 2},
          {"calls", "calls", 0},           {"seconds", "seconds", 2}};
}

} // namespace es::bench
