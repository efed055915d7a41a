// What es-demo shows: its progress bar and its closing summary, as pure
// functions of the numbers the run collected (tested without a store).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace es::demo {

/// The figures of one run of the demo.
struct run_summary {
  size_t games_planned = 0;
  size_t games_played = 0;
  size_t games_failed = 0;
  size_t guilds = 0;
  uint64_t events = 0;
  uint64_t appends = 0;
  uint64_t retries = 0;
  uint64_t replays = 0;
  double seconds = 0;
  /// Append latencies (request to reply), microseconds, in any order.
  std::vector<int64_t> latencies_us;
  /// How far the slower projection was behind the log's head: the most
  /// seen while the games ran, and at the end (events).
  int64_t max_lag = 0;
  int64_t final_lag = 0;
  /// What the store holds after the run (all runs, it persists).
  size_t stored_games = 0;
  size_t leaderboard_rows = 0;
  /// Each projection equals a fresh replay of the store; `why` says where
  /// they differ when they do not.
  bool consistent = false;
  std::vector<std::string> why;
  /// The run was cut short by a signal.
  bool interrupted = false;
};

/// The `q`-quantile (0 <= q <= 1) of `xs` by the nearest-rank method; 0
/// when `xs` is empty.
int64_t percentile(std::vector<int64_t> xs, double q);

/// One line: a bar of `width` cells, games done of total, events, rate.
std::string progress_line(size_t done, size_t total, uint64_t events,
                          double seconds, size_t width = 30);

/// The summary, one figure per line; its last line is exactly
/// "projections consistent: yes" or "projections consistent: no".
std::string format_summary(const run_summary& s);

} // namespace es::demo
