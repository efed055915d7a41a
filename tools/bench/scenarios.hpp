// The scenarios of es-bench. Each one is a plan: an untimed preparation
// (data to read, tables of the baselines), the measured paths in the order
// they run (each a function returning its figures), and how its report
// looks. tools/es_bench.cpp registers every path with Google Benchmark.
//
// A path runs on its own: it starts what it needs (an actor system and a
// store, or libpq connections), warms up untimed, measures, checks every
// result (a failed call, wrong versions, a lost or duplicated event: the
// path fails with that as its error), and stops what it started.
//
// Files: scenario_append.cpp (append), scenario_multi.cpp (append-multi),
// scenario_read.cpp (read-stream, read-all), scenario_catchup.cpp,
// scenario_fanout.cpp, scenario_outage.cpp, scenario_memory.cpp (over
// memory.hpp); the baselines they share are in baselines.hpp.
#pragma once

#include "tools/bench/reporter.hpp"
#include "tools/bench/stats.hpp"
#include "tools/bench/workload.hpp"

#include <caf/error.hpp>

#include <functional>
#include <string>
#include <vector>

namespace es::bench {

/// One measured path: "store", "raw", ...
struct path {
  std::string name;
  std::function<path_figures()> run;
};

struct scenario_plan {
  report_spec spec;
  /// Untimed work before the first path (may be empty).
  std::function<caf::error()> prepare;
  std::vector<path> paths;
};

/// The plan of `ctx.opts.scenario`. `ctx` must outlive the plan.
scenario_plan plan_for(const context& ctx);

scenario_plan plan_append(const context& ctx);
scenario_plan plan_append_multi(const context& ctx);
scenario_plan plan_read_stream(const context& ctx);
scenario_plan plan_read_all(const context& ctx);
scenario_plan plan_catchup(const context& ctx);
scenario_plan plan_fanout(const context& ctx);
scenario_plan plan_outage(const context& ctx);
scenario_plan plan_memory(const context& ctx);

/// The figures of a throughput-and-latency path, in print order:
/// events_per_s, p50_ms, p99_ms, p999_ms, max_ms, calls, seconds.
path_figures figures_from(const std::string& name, const summary& s);

/// A failed path: `name` with `err` rendered as its error.
path_figures failed_path(const std::string& name, const caf::error& err);

/// Appends the parameters every report ends with: scheduler and
/// embedded_cluster.
void finish_params(const context& ctx, report_spec& spec);

/// Columns of throughput-and-latency paths.
std::vector<column> rate_columns();

} // namespace es::bench
