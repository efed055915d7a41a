// Statistics of es-bench (tools/bench/) as small pure functions (no clocks, no
// I/O), so they can be unit-tested on their own.
//
// Percentiles use the nearest-rank method on sorted samples: the p-th
// percentile of n samples is the sample at 1-based rank ceil(p / 100 * n),
// clamped to [1, n]. It is always one of the samples (no interpolation), the
// 100th percentile is the maximum, and any p of a single sample is that
// sample. An empty sample set has no percentile; the functions return 0.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace es::bench {

/// The 1-based nearest rank of percentile `p` (0..100) among `n` samples,
/// clamped to [1, n]; 0 when `n` is 0.
inline size_t nearest_rank(double p, size_t n) {
  if (n == 0)
    return 0;
  // p * n first: exact for integral p and n, whereas p / 100 * n may land
  // just above an integer (7 / 100.0 * 100 is 7.000000000000001).
  auto rank =
      static_cast<size_t>(std::ceil(p * static_cast<double>(n) / 100.0));
  return std::clamp<size_t>(rank, 1, n);
}

/// Percentile `p` (0..100) of `sorted` (ascending), nearest-rank; 0 when
/// empty.
inline double percentile(const std::vector<double>& sorted, double p) {
  auto rank = nearest_rank(p, sorted.size());
  return rank == 0 ? 0.0 : sorted[rank - 1];
}

/// `count` items over `seconds`, per second; 0 when no time passed.
inline double rate(size_t count, double seconds) {
  return seconds > 0 ? static_cast<double>(count) / seconds : 0.0;
}

/// `x / y`, or 0 when `y` is 0 (a ratio of two rates).
inline double ratio(double x, double y) {
  return y > 0 ? x / y : 0.0;
}

/// What a benchmark run reports: throughput and call latencies.
struct summary {
  size_t calls = 0;
  size_t events = 0;
  double seconds = 0;
  double events_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

/// Summarizes one run: `latencies_ms` holds one sample per call (any
/// order; taken by value and sorted), `events` were written in `seconds`
/// of wall-clock time.
inline summary summarize(std::vector<double> latencies_ms, size_t events,
                         double seconds) {
  std::sort(latencies_ms.begin(), latencies_ms.end());
  summary out;
  out.calls = latencies_ms.size();
  out.events = events;
  out.seconds = seconds;
  out.events_per_s = rate(events, seconds);
  out.p50_ms = percentile(latencies_ms, 50);
  out.p99_ms = percentile(latencies_ms, 99);
  out.p999_ms = percentile(latencies_ms, 99.9);
  out.max_ms = percentile(latencies_ms, 100);
  return out;
}

} // namespace es::bench
