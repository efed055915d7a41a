// Metrics as values: a fixed-bucket histogram, the pool's metrics that ride
// in `pool_status`, and a writer for Prometheus' text exposition format
// (version 0.0.4).
//
// Pure and single-threaded: the connection supervisor records into its own
// copy; a status request returns a copy. The monitoring endpoint
// (actors/monitoring.hpp) renders them for Prometheus; the console computes
// percentiles with `histogram::quantile`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace es {

/// Counts of observations in fixed buckets: `counts[i]` counts values `v`
/// with `bounds[i-1] < v <= bounds[i]`, and `counts.back()` those above
/// every bound (+Inf). Plus their number and sum, as Prometheus wants.
class histogram {
public:
  /// Upper bounds, ascending. Precondition: non-empty, strictly ascending.
  explicit histogram(std::vector<double> bounds);

  /// Latencies in seconds: 0.5 ms to 10 s.
  static histogram latency_seconds();

  /// Sizes (e.g. appends per transaction): 1, 2, 4, ... 4096.
  static histogram sizes();

  void record(double value);

  const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// One per bound, then the +Inf bucket (not cumulative).
  const std::vector<uint64_t>& counts() const noexcept { return counts_; }
  uint64_t count() const noexcept { return count_; }
  double sum() const noexcept { return sum_; }

  /// An estimate of the `q` quantile (0 < q <= 1): linear within the
  /// bucket that holds it, as Prometheus' histogram_quantile does; the
  /// largest bound when it falls in +Inf; 0 when empty.
  double quantile(double q) const;

private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
};

/// What the connection supervisor measures beyond its counters.
struct pool_metrics {
  /// From an append's arrival at the pool to its acknowledgement after
  /// COMMIT (queueing included), successful appends only.
  histogram append_latency = histogram::latency_seconds();
  /// From a read's (or stream info's, a checkpoint's, a projection
  /// operation's) arrival at the pool to its answer, successful ones only.
  histogram read_latency = histogram::latency_seconds();
  /// Appends and events per group-commit transaction.
  histogram group_appends = histogram::sizes();
  histogram group_events = histogram::sizes();
  /// Events appended (committed) since start.
  uint64_t events = 0;
  /// Times the circuit breaker opened since start.
  uint64_t breaker_opened = 0;
  /// Connection failures and calls in the breaker's window.
  size_t breaker_window_failures = 0;
  size_t breaker_window_calls = 0;
  /// Each connection's state: "down", "connecting", "idle" or "busy".
  std::vector<std::string> connections;
};

/// Labels of one sample, in order: (name, value).
using metric_labels = std::vector<std::pair<std::string, std::string>>;

/// Builds a page in Prometheus' text format. Each metric family gets its
/// HELP and TYPE lines once, before its first sample; write the samples of
/// one family together. Names must match [a-zA-Z_:][a-zA-Z0-9_:]*; label
/// values are escaped.
class prometheus_writer {
public:
  void counter(std::string_view name, std::string_view help, double value,
               const metric_labels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value,
             const metric_labels& labels = {});
  /// `name_bucket{le=...}` (cumulative), `name_sum`, `name_count`.
  void histogram(std::string_view name, std::string_view help,
                 const es::histogram& h, const metric_labels& labels = {});

  const std::string& text() const noexcept { return out_; }

  /// `value` escaped for a label value (\\, \", \n).
  static std::string escape(std::string_view value);

private:
  void family(std::string_view name, std::string_view help,
              std::string_view type);
  void sample(std::string_view name, const metric_labels& labels,
              double value);

  std::string out_;
  std::string last_family_;
};

} // namespace es
