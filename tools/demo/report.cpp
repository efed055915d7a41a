#include "tools/demo/report.hpp"

#include "tools/bench/stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace es::demo {

int64_t percentile(std::vector<int64_t> xs, double q) {
  if (xs.empty())
    return 0;
  // The rank as es-bench computes it (tools/bench/stats.hpp); the sample
  // by selection rather than a full sort.
  auto at = bench::nearest_rank(std::clamp(q, 0.0, 1.0) * 100, xs.size()) - 1;
  std::nth_element(xs.begin(), xs.begin() + static_cast<long>(at), xs.end());
  return xs[at];
}

namespace {

std::string fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string ms(int64_t us) {
  return fixed(static_cast<double>(us) / 1000.0, 1) + " ms";
}

} // namespace

std::string progress_line(size_t done, size_t total, uint64_t events,
                          double seconds, size_t width) {
  auto filled = total == 0 ? width : std::min(width, done * width / total);
  std::string out = "[";
  out.append(filled, '#');
  out.append(width - filled, '.');
  out += "] " + std::to_string(done) + "/" + std::to_string(total)
         + " games, " + std::to_string(events) + " events";
  if (seconds > 0)
    out += ", " + fixed(static_cast<double>(events) / seconds, 0)
           + " events/s";
  return out;
}

std::string format_summary(const run_summary& s) {
  std::ostringstream out;
  auto line = [&](const char* what, const std::string& value) {
    char label[24];
    std::snprintf(label, sizeof label, "%-20s", what);
    out << label << value << "\n";
  };
  line("games played",
       std::to_string(s.games_played) + " of " + std::to_string(s.games_planned)
           + " in " + std::to_string(s.guilds) + " guilds"
           + (s.games_failed ? ", " + std::to_string(s.games_failed) + " failed"
                             : std::string{})
           + (s.interrupted ? " (interrupted)" : ""));
  line("events appended",
       std::to_string(s.events) + " in " + std::to_string(s.appends)
           + " appends (" + std::to_string(s.retries) + " sent again, "
           + std::to_string(s.replays) + " retries recognised as replays)");
  line("events/s", s.seconds > 0
                       ? fixed(static_cast<double>(s.events) / s.seconds, 0)
                             + " over " + fixed(s.seconds, 1) + " s"
                       : std::string{"-"});
  line("append latency", "p50 " + ms(percentile(s.latencies_us, 0.50))
                             + ", p99 " + ms(percentile(s.latencies_us, 0.99)));
  line("subscription lag", "at most " + std::to_string(s.max_lag)
                               + " events behind while playing, "
                               + std::to_string(s.final_lag) + " at the end");
  line("store holds", std::to_string(s.stored_games) + " games, "
                          + std::to_string(s.leaderboard_rows)
                          + " leaderboard rows (all runs)");
  for (auto& why : s.why)
    out << "  " << why << "\n";
  out << "projections consistent: " << (s.consistent ? "yes" : "no") << "\n";
  return out.str();
}

} // namespace es::demo
