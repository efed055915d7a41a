// What es-bench prints: the figures of each measured path of a scenario,
// the ratios between paths, as a readable table or as exactly one JSON line.
//
// Google Benchmark runs every path as one benchmark named "SCENARIO/PATH"
// (one iteration, manual time, figures as user counters; a path that failed
// calls SkipWithError). `collecting_reporter` is the display reporter: it
// collects the runs and prints everything once, at Finalize. The formatting
// itself (`to_json`, `to_table`, `compute_ratios`) is pure and unit-tested
// (tests/tools/bench_unit_test.cpp).
//
// JSON: {"scenario":..., <params>, <the flat path's figures>,
//        <prefixed paths' figures>, <flat ratios>,
//        "paths":{"store":{...},"raw":{...}}, "ratios":{"store/raw":...},
//        "errors":{"raw":"..."} (only when a path failed)}
// Numbers that are whole print without a fraction (counts stay integers).
#pragma once

#include <benchmark/benchmark.h>

#include <iosfwd>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace es::bench {

/// What one path of a scenario measured.
struct path_figures {
  /// "store", "raw", ...: the part of the benchmark name after the '/'.
  std::string path;
  /// Named figures in print order (events_per_s, p50_ms, delivered, ...).
  std::vector<std::pair<std::string, double>> counters;
  /// Wall-clock time of the measured part, in seconds.
  double seconds = 0;
  /// Empty when the path succeeded; else what went wrong (an error, or a
  /// wrong count: lost or duplicated events, wrong versions).
  std::string error;

  /// The figure `name`, or nullptr.
  const double* find(const std::string& name) const;
};

/// A value of the run's parameters: text, number or flag.
using param_value = std::variant<std::string, double, bool>;

/// numerator.counter / denominator.counter, printed as `name`.
struct ratio_spec {
  std::string name;
  std::string numerator;
  std::string denominator;
  std::string counter = "events_per_s";
};

/// A column of the table: a counter, its header and its decimals.
struct column {
  std::string counter;
  std::string header;
  int precision = 2;
};

/// How a scenario's report looks.
struct report_spec {
  std::string scenario;
  /// The first line of the table ("es-bench: scenario append, ...").
  std::string title;
  /// The run's parameters, first in the JSON line, in order.
  std::vector<std::pair<std::string, param_value>> params;
  /// The path whose figures also appear at the top level of the JSON line,
  /// unprefixed (the store's, so that older readers find them); may be
  /// empty.
  std::string flat_path;
  /// (path, prefix): that path's figures also appear at the top level with
  /// the prefix ("raw" as "baseline_": baseline_events_per_s, ...).
  std::vector<std::pair<std::string, std::string>> prefixed;
  std::vector<ratio_spec> ratios;
  /// (key, ratio name): that ratio also at the top level as `key`.
  std::vector<std::pair<std::string, std::string>> flat_ratios;
  std::vector<column> columns;
  /// Lines printed under the table (what each path is), may be empty.
  std::vector<std::string> notes;
};

/// The ratios of `spec` that can be computed: both paths present, neither
/// failed, both with the counter; a zero denominator gives 0. In the order
/// of `spec.ratios`.
std::vector<std::pair<std::string, double>>
compute_ratios(const report_spec& spec, const std::vector<path_figures>& paths);

/// True when any path failed.
bool any_failed(const std::vector<path_figures>& paths);

/// `x` as JSON: whole numbers (|x| < 2^53) without a fraction, others
/// with up to 6 significant decimals; non-finite numbers as 0.
std::string json_number(double x);

/// The one JSON line (no newline).
std::string to_json(const report_spec& spec,
                    const std::vector<path_figures>& paths);

/// The readable table, ratios and notes (several lines, newline-ended).
std::string to_table(const report_spec& spec,
                     const std::vector<path_figures>& paths);

/// The header of es-bench's CSV (`--csv FILE`): one row per figure, in
/// long form, so that runs of every scenario share one file.
inline constexpr const char* csv_header = "scenario,config,path,figure,value";

/// The rows of one run (newline-ended): every path's figures, then each
/// ratio as path "ratio". `config` is the run's parameters as
/// "name=value" joined by spaces (no commas or quotes in any field);
/// a failed path's row has figure "error" and value 1.
std::string to_csv_rows(const report_spec& spec,
                        const std::vector<path_figures>& paths);

/// Figures recorded by the benchmarks themselves, for paths that failed:
/// Google Benchmark drops the counters of a run that called SkipWithError,
/// and a failed fan-out must still print how much was delivered.
using figures_log = std::map<std::string, path_figures>;

/// Google Benchmark's display reporter for es-bench (see the file comment).
/// Prints on `out` at Finalize; failures also go to `err`, one line each.
class collecting_reporter : public benchmark::BenchmarkReporter {
public:
  collecting_reporter(report_spec spec, const figures_log& log, bool json,
                      std::ostream& out, std::ostream& err);

  bool ReportContext(const Context&) override;
  void ReportRuns(const std::vector<Run>& runs) override;
  void Finalize() override;

  /// The paths reported so far, in run order.
  const std::vector<path_figures>& paths() const noexcept { return paths_; }

  /// True when any path failed.
  bool failed() const { return any_failed(paths_); }

private:
  report_spec spec_;
  const figures_log& log_;
  bool json_;
  std::ostream& out_;
  std::ostream& err_;
  std::vector<path_figures> paths_;
};

/// `run`'s path figures: its counters (or, when it failed, what `log`
/// recorded for it) and its error message. The path is the part of the
/// run's name after the first '/'.
path_figures figures_of(const benchmark::BenchmarkReporter::Run& run,
                        const figures_log& log);

} // namespace es::bench
