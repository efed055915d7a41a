// es-bench: the store's hot paths against baselines doing the same database
// work without it, in the same run, on the same database.
//
//   es-bench --scenario NAME [scenario options] [--dsn DSN] [--json]
//            [--benchmark_...]        (es-bench --help lists them)
//
// Scenarios, their paths and baselines: tools/bench/scenarios.hpp and
// tools/bench/baselines.hpp; options: tools/bench/options.hpp; output:
// tools/bench/reporter.hpp.
//
// Without --dsn (or ES_DSN) es-bench starts an embedded PostgreSQL cluster
// with fsync on (we measure durable commits): ephemeral, in a fresh temp dir
// under /var/tmp, removed at the end; with --data-dir, in DIR, kept.
//
// Google Benchmark is the runner: every path of the scenario is one
// benchmark ("append/store", "append/raw", ...) run once (a path is one
// timed pass of many concurrent callers, so one iteration, with its own
// wall-clock time as manual time), its figures as user counters; a path that
// fails calls SkipWithError. The collecting reporter prints a table or, with
// --json, exactly one JSON line on stdout (logs go to stderr).
//
// Exit status: 0 done, 1 a path failed (or the run could not start), 2 bad
// arguments.
#include "messages/error.hpp"
#include "registry/game_catalog.hpp"
#include "storage/embedded_cluster.hpp"
#include "tools/bench/options.hpp"
#include "tools/bench/reporter.hpp"
#include "tools/bench/scenarios.hpp"

#include <benchmark/benchmark.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdlib.h> // mkdtemp
#include <string>
#include <vector>

namespace {

using namespace es::bench;

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

/// A fresh temp dir for an ephemeral cluster, or an error.
caf::expected<std::filesystem::path> make_temp_dir() {
  std::string tmpl = "/var/tmp/es-bench-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr)
    return es::make_error(es::ec::invalid_argument,
                          "cannot create a temp dir under /var/tmp");
  return std::filesystem::path{tmpl};
}

/// The embedded cluster (if any) and its temp dir, for the whole run.
struct cluster_guard {
  std::optional<es::storage::embedded_cluster> cluster;
  std::optional<std::filesystem::path> temp_dir;

  cluster_guard() = default;
  cluster_guard(const cluster_guard&) = delete;
  cluster_guard& operator=(const cluster_guard&) = delete;

  ~cluster_guard() {
    if (cluster)
      if (auto err = cluster->stop())
        std::cerr << "es-bench: stopping the cluster: " << es::describe(err)
                  << "\n";
    if (temp_dir) {
      std::error_code ignored;
      std::filesystem::remove_all(*temp_dir, ignored);
    }
  }

  /// Starts the cluster as `opts` says; returns its DSN.
  caf::expected<std::string> start(const options& opts) {
    es::storage::cluster_options copts;
    if (opts.data_dir.empty()) {
      auto dir = make_temp_dir();
      if (!dir)
        return std::move(dir.error());
      temp_dir = *dir;
      copts.data_dir = *dir;
      copts.ephemeral = true;
    } else {
      copts.data_dir = opts.data_dir;
    }
    copts.fsync = true;
    spdlog::info("starting an embedded cluster in {}", copts.data_dir.string());
    auto started = es::storage::embedded_cluster::start(copts);
    if (!started)
      return in_context(started.error(), "cannot start the embedded cluster");
    cluster.emplace(std::move(*started));
    return cluster->dsn();
  }
};

/// Registers `p` as the benchmark "<scenario>/<path>".
void register_path(const std::string& scenario, const path& p,
                   figures_log& log) {
  auto name = scenario + "/" + p.name;
  auto fn = p.run;
  auto path_name = p.name;
  benchmark::RegisterBenchmark(
      name.c_str(),
      [fn, path_name, &log](benchmark::State& state) {
        path_figures figures;
        for (auto _ : state) {
          figures = fn();
          // Manual time must be positive; a failed path may have none.
          state.SetIterationTime(figures.seconds > 0 ? figures.seconds : 1e-9);
        }
        for (auto& [key, value] : figures.counters)
          state.counters[key] = value;
        log[path_name] = figures;
        if (!figures.error.empty())
          state.SkipWithError(figures.error.c_str());
      })
      ->Iterations(1)
      ->UseManualTime()
      ->Unit(benchmark::kMillisecond);
}

int run(const options& opts) {
  cluster_guard guard;
  context ctx;
  ctx.opts = opts;
  ctx.dsn = opts.dsn;
  if (ctx.dsn.empty()) {
    auto dsn = guard.start(opts);
    if (!dsn) {
      std::cerr << "es-bench: " << es::describe(dsn.error()) << "\n";
      return exit_failed;
    }
    ctx.dsn = *dsn;
    ctx.embedded = true;
    ctx.data_dir = guard.cluster->data_dir();
  }
  auto cat = es::registry::game_catalog();
  auto tmpl = encode_template(cat);
  if (!tmpl) {
    std::cerr << "es-bench: "
              << es::describe(
                     in_context(tmpl.error(), "cannot encode the sample event"))
              << "\n";
    return exit_failed;
  }
  ctx.tmpl = std::move(*tmpl);
  // A run id keeps this run's streams apart from earlier runs' (the random
  // tail of a UUIDv7).
  ctx.run_id = es::to_string(es::uuid::v7()).substr(24);
  auto plan = plan_for(ctx);
  if (plan.prepare)
    if (auto err = plan.prepare()) {
      std::cerr << "es-bench: " << es::describe(err) << "\n";
      return exit_failed;
    }
  figures_log log;
  for (auto& p : plan.paths)
    register_path(plan.spec.scenario, p, log);
  collecting_reporter reporter{plan.spec, log, opts.json, std::cout, std::cerr};
  auto ran = benchmark::RunSpecifiedBenchmarks(&reporter);
  if (ran == 0) {
    std::cerr << "es-bench: --benchmark_filter matched no path of scenario "
              << plan.spec.scenario << "\n";
    return exit_usage;
  }
  if (!opts.csv.empty()) {
    bool fresh = !std::filesystem::exists(opts.csv)
                 || std::filesystem::file_size(opts.csv) == 0;
    std::ofstream csv{opts.csv, std::ios::app};
    if (fresh)
      csv << csv_header << '\n';
    csv << to_csv_rows(plan.spec, reporter.paths());
    if (!csv) {
      std::cerr << "es-bench: --csv: cannot write " << opts.csv << "\n";
      return exit_failed;
    }
  }
  return reporter.failed() ? exit_failed : exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  options opts;
  if (auto err = parse(args, std::getenv("ES_DSN"), opts)) {
    std::cerr << "es-bench: " << *err << "\n"
              << synopsis << "(es-bench --help for details)\n";
    return exit_usage;
  }
  if (opts.help) {
    std::cout << synopsis << details;
    return exit_ok;
  }
  // Google Benchmark gets the program name and its own arguments only.
  std::vector<char*> bargv{argv[0]};
  for (auto& arg : opts.benchmark_args)
    bargv.push_back(arg.data());
  int bargc = static_cast<int>(bargv.size());
  benchmark::Initialize(&bargc, bargv.data());
  if (benchmark::ReportUnrecognizedArguments(bargc, bargv.data()))
    return exit_usage;
  // Logs go to stderr, so that stdout carries only the result.
  spdlog::set_default_logger(spdlog::stderr_color_mt("es-bench"));
  spdlog::set_level(opts.json ? spdlog::level::warn : spdlog::level::info);
  return run(opts);
}
