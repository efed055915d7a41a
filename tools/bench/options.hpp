// es-bench's command line: what each scenario takes, parsed into `options`
// by a pure function (no I/O, no environment lookups), unit-tested in
// tests/tools/bench_unit_test.cpp.
//
// Every option takes "--name VALUE" or "--name=VALUE". Arguments that start
// with "--benchmark_" are not ours: they are kept in `benchmark_args`, in
// order, for Google Benchmark (e.g. --benchmark_filter=append/raw,
// --benchmark_out=FILE). Anything else unknown is an error.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::bench {

/// The scenarios es-bench knows, in the order --help lists them.
const std::vector<std::string>& scenario_names();

struct options {
  std::string scenario;
  /// append: events per call; append-multi: events per stream per call.
  size_t batch = 0;
  /// append: streams, one caller each; append-multi: streams in all.
  size_t streams = 0;
  /// Events per path (append, append-multi, catchup, fanout); the stream's
  /// length (read-stream) or the log's (read-all).
  size_t events = 0;
  size_t pool_size = 0;
  size_t subscribers = 0;
  size_t rate = 0;
  /// read-stream, read-all: events per page.
  size_t page = 0;
  /// outage: how long PostgreSQL stays down, in milliseconds.
  size_t outage_ms = 0;
  std::string dsn;
  std::string data_dir;
  /// CAF's scheduler.policy: by default 'stealing' (CAF's own) for fanout,
  /// 'sharing' for the others (see --help).
  std::string scheduler;
  /// Who calls the store on the append actor path: "actors" or "threads".
  std::string callers = "actors";
  bool json = false;
  /// Appends the run's figures to this CSV file (created with its header).
  std::string csv;
  bool help = false;
  /// Arguments for Google Benchmark ("--benchmark_..."), in order.
  std::vector<std::string> benchmark_args;
};

/// The defaults that do not depend on the scenario.
inline constexpr size_t default_page = 1000;
inline constexpr size_t default_read_stream_events = 10'000;
inline constexpr size_t default_read_all_events = 1'000'000;
inline constexpr size_t default_multi_streams = 20;
inline constexpr size_t default_outage_ms = 5000;
inline constexpr size_t default_outage_rate = 200;
inline constexpr size_t default_outage_events = 3000;
/// memory: issue 7's targets (10,000 streams, 1,000 subscribers).
inline constexpr size_t default_memory_streams = 10'000;
inline constexpr size_t default_memory_subscribers = 1000;
inline constexpr size_t default_memory_events = 100;
/// append-multi: each call spans this many streams at least and at most.
inline constexpr size_t multi_min_streams = 2;
inline constexpr size_t multi_max_streams = 5;

/// Parses an integer in [lo, hi]; nullopt when `text` is anything else.
std::optional<size_t> parse_count(std::string_view text, size_t lo, size_t hi);

/// Fills `out` from `args` (without the program name). `env_dsn` is the
/// value of ES_DSN (or null); --dsn overrides it. Returns the message naming
/// the bad or missing option, if any; `out` is then incomplete. Sets the
/// scenario-dependent defaults (page, events of the read scenarios,
/// scheduler, ...) when the option was not given.
std::optional<std::string> parse(const std::vector<std::string>& args,
                                 const char* env_dsn, options& out);

/// One line per scenario: how to call it.
extern const char* const synopsis;

/// What --help prints after the synopsis.
extern const char* const details;

} // namespace es::bench
