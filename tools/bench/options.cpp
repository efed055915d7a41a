#include "tools/bench/options.hpp"

#include "config/defaults.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>

namespace es::bench {

const std::vector<std::string>& scenario_names() {
  static const std::vector<std::string> names{
      "append",  "append-multi", "read-stream", "read-all",
      "catchup", "fanout",       "outage",    "memory"};
  return names;
}

const char* const synopsis =
    "usage: es-bench --scenario append --batch B --streams S --events N\n"
    "       es-bench --scenario append-multi --events N [--streams S] "
    "[--batch B]\n"
    "       es-bench --scenario read-stream [--events N] [--page K]\n"
    "       es-bench --scenario read-all [--events N] [--page K]\n"
    "       es-bench --scenario catchup --events N\n"
    "       es-bench --scenario fanout --subscribers K --events N --rate R\n"
    "       es-bench --scenario outage [--events N] [--rate R] "
    "[--outage-ms D]\n"
    "       es-bench --scenario memory [--streams S] [--subscribers K] "
    "[--events N]\n"
    "                [--pool-size P] [--dsn DSN] [--data-dir DIR] [--json]\n"
    "                [--scheduler stealing|sharing] [--callers "
    "actors|threads]\n"
    "                [--benchmark_filter=REGEX] [--benchmark_out=FILE] ...\n";

const char* const details =
    "\n"
    "Each scenario measures the store and, in the same run, baselines doing\n"
    "the same database work without it; Google Benchmark runs each path once\n"
    "(one benchmark per path, named SCENARIO/PATH) and es-bench prints their\n"
    "figures and ratios.\n"
    "\n"
    "  --scenario NAME   what to measure:\n"
    "     append         N events to S streams in calls of B events, each\n"
    "                    call with the exact expected version. Paths: store\n"
    "                    (the actor runtime: S callers, group commit over P\n"
    "                    connections), raw (min(S, P) libpq connections,\n"
    "                    one autocommit statement per call: a prepared\n"
    "                    multi-row unnest INSERT doing the store's checks),\n"
    "                    commanded (the same calls in commanded/eventstore's\n"
    "                    way: every append updates one global $all row under\n"
    "                    a row lock first), plain (the same calls as a\n"
    "                    multi-row INSERT into a copy of es_events without\n"
    "                    its NOTIFY trigger, locks or checks), physical (the\n"
    "                    same number of events inserted by the server itself\n"
    "                    from generate_series, 1,000 per statement over P\n"
    "                    connections: the most the database absorbs)\n"
    "     append-multi   N events in atomic appends across 2-5 streams per\n"
    "                    call (B events per stream, default 1; S streams in\n"
    "                    all, default 20; min(P, S / 5) writers, each with\n"
    "                    streams of its own). Paths: store (the storage\n"
    "                    layer's multi-stream append: one statement per call)\n"
    "                    and raw (one transaction per call with one prepared\n"
    "                    INSERT per stream)\n"
    "     read-stream    one stream of N events (default 10,000) read forward\n"
    "                    in pages of K (default 1,000). Paths: store (the\n"
    "                    node: upcast through the catalog, then every event\n"
    "                    decoded into its typed game event) and raw (the same\n"
    "                    SELECT over one libpq connection, no decoding)\n"
    "     read-all       the global log of N events (default 1,000,000)\n"
    "                    forward in pages of K; store and raw as read-stream\n"
    "     catchup        N events stored first, then the time a subscription\n"
    "                    from the origin takes to deliver them all to a\n"
    "                    subscriber that does nothing\n"
    "     fanout         K subscriber actors, each on its own subscription,\n"
    "                    receive every one of N events appended at R "
    "events/s;\n"
    "                    prints expected (K*N), delivered, duplicates and the\n"
    "                    commit-to-delivery latency (p50_ms, p99_ms, max_ms)\n"
    "     outage         N events (default 3,000) appended at R/s (default\n"
    "                    200) while PostgreSQL is stopped for D ms (default\n"
    "                    5,000) a third into the run and started again\n"
    "                    (embedded cluster only); prints acknowledged,\n"
    "                    failed, lost and duplicated (both must be 0) and\n"
    "                    recovery_ms\n"
    "     memory         resident memory: S streams (default 10,000) touched\n"
    "                    with one event each, then again once every stream\n"
    "                    actor is passivated; then K subscribers (default\n"
    "                    1,000) on their own subscriptions, live, after N\n"
    "                    events (default 100) reached them all\n"
    "  --subscribers K   fanout: subscribers (1-10000)\n"
    "  --rate R          fanout, outage: events appended per second\n"
    "                    (1-1000000)\n"
    "  --outage-ms D     outage: how long PostgreSQL is down (1-60000)\n"
    "  --batch B         events per call (per stream for append-multi;\n"
    "                    1-10000)\n"
    "  --streams S       streams (append: one caller each, 1-4096; memory:\n"
    "                    1-100000)\n"
    "  --events N        events in total per path (1-100000000)\n"
    "  --page K          read-stream, read-all: events per page (1-10000)\n"
    "  --pool-size P     connections of the actor runtime's pool and most\n"
    "                    connections of a baseline (1-256; default 4)\n"
    "  --dsn DSN         libpq connection string (default: $ES_DSN; without\n"
    "                    one, an embedded cluster with fsync on)\n"
    "  --data-dir DIR    data dir of the embedded cluster (default: a fresh\n"
    "                    temp dir under /var/tmp, removed at the end)\n"
    "  --json            print one JSON line instead of the table\n"
    "  --csv FILE        also append the figures to FILE, one row per figure\n"
    "                    (scenario,config,path,figure,value; scripts/bench)\n"
    "  --scheduler NAME  CAF scheduler policy: 'sharing' (one queue and a\n"
    "                    condition variable; the default but for fanout,\n"
    "                    where stealing's polling idle workers cost more\n"
    "                    context switches than they save on few cores:\n"
    "                    catch-up 158k events/s against 93k) or 'stealing'\n"
    "                    (CAF's own default, and es-demo's; the default for\n"
    "                    fanout, whose thousand busy actors keep the workers\n"
    "                    fed: a third of sharing's p99)\n"
    "  --callers KIND    append: who calls the store on the store path, one\n"
    "                    per stream: 'actors' (default: event-based actors\n"
    "                    sending typed requests to the node, as bot code in\n"
    "                    actors does) or 'threads' (threads calling the\n"
    "                    blocking es::store facade, as code outside actors\n"
    "                    does)\n"
    "  --benchmark_...   passed to Google Benchmark, e.g.\n"
    "                    --benchmark_filter=append/raw to run one path, or\n"
    "                    --benchmark_out=FILE for its own JSON report\n"
    "  --help            print this and exit\n"
    "\n"
    "Exit status: 0 done, 1 a path failed (an error, or a wrong count: lost\n"
    "or duplicated events, delivered != expected, wrong versions), 2 bad\n"
    "arguments.\n";

std::optional<size_t> parse_count(std::string_view text, size_t lo, size_t hi) {
  uint64_t value = 0;
  auto* end = text.data() + text.size();
  auto [ptr, err] = std::from_chars(text.data(), end, value);
  if (text.empty() || err != std::errc{} || ptr != end || value < lo ||
      value > hi)
    return std::nullopt;
  return static_cast<size_t>(value);
}

namespace {

bool one_of(const std::string& x, const std::vector<std::string>& xs) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

std::string joined(const std::vector<std::string>& xs) {
  std::string out;
  for (auto& x : xs)
    out += (out.empty() ? "" : ", ") + x;
  return out;
}

} // namespace

std::optional<std::string> parse(const std::vector<std::string>& args,
                                 const char* env_dsn, options& out) {
  if (env_dsn != nullptr && *env_dsn != '\0')
    out.dsn = env_dsn;
  out.pool_size = defaults::pool_size;
  bool has_batch = false, has_streams = false, has_events = false;
  bool has_page = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      return std::nullopt;
    }
    if (arg == "--json") {
      out.json = true;
      continue;
    }
    if (arg.rfind("--benchmark_", 0) == 0) {
      out.benchmark_args.push_back(arg);
      continue;
    }
    // Every other option takes a value: "--opt VALUE" or "--opt=VALUE".
    std::string name = arg;
    std::optional<std::string> value;
    if (auto eq = name.find('=');
        name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    static const std::vector<std::string> known{
        "--scenario", "--batch",    "--streams",   "--events",  "--pool-size",
        "--dsn",      "--data-dir", "--scheduler", "--callers", "--subscribers",
        "--rate",     "--page",     "--outage-ms", "--csv"};
    if (!one_of(name, known))
      return "unknown argument '" + arg + "'";
    if (!value) {
      if (i + 1 >= args.size())
        return name + ": missing value";
      value = args[++i];
    }
    auto count = [&](size_t lo, size_t hi,
                     size_t& field) -> std::optional<std::string> {
      auto n = parse_count(*value, lo, hi);
      if (!n)
        return name + ": expected an integer in " + std::to_string(lo) + "-" +
               std::to_string(hi) + ", got '" + *value + "'";
      field = *n;
      return std::nullopt;
    };
    std::optional<std::string> err;
    if (name == "--scenario") {
      if (!one_of(*value, scenario_names()))
        return "--scenario: unknown scenario '" + *value +
               "' (known: " + joined(scenario_names()) + ")";
      out.scenario = *value;
    } else if (name == "--batch") {
      err = count(1, defaults::max_events_per_append, out.batch);
      has_batch = true;
    } else if (name == "--streams") {
      err = count(1, 100'000, out.streams);
      has_streams = true;
    } else if (name == "--events") {
      err = count(1, 100'000'000, out.events);
      has_events = true;
    } else if (name == "--outage-ms") {
      err = count(1, 60'000, out.outage_ms);
    } else if (name == "--page") {
      err = count(1, 10'000, out.page);
      has_page = true;
    } else if (name == "--pool-size") {
      err = count(1, 256, out.pool_size);
    } else if (name == "--subscribers") {
      err = count(1, 10'000, out.subscribers);
    } else if (name == "--rate") {
      err = count(1, 1'000'000, out.rate);
    } else if (name == "--dsn") {
      if (value->empty())
        return "--dsn: empty connection string";
      out.dsn = *value;
    } else if (name == "--callers") {
      if (*value != "actors" && *value != "threads")
        return "--callers: unknown kind '" + *value +
               "' (known: actors, threads)";
      out.callers = *value;
    } else if (name == "--scheduler") {
      if (*value != "stealing" && *value != "sharing")
        return "--scheduler: unknown policy '" + *value +
               "' (known: stealing, sharing)";
      out.scheduler = *value;
    } else if (name == "--csv") {
      if (value->empty())
        return "--csv: empty path";
      out.csv = *value;
    } else { // --data-dir
      if (value->empty())
        return "--data-dir: empty path";
      out.data_dir = *value;
    }
    if (err)
      return err;
  }
  if (out.scenario.empty())
    return "missing --scenario";
  const auto& sc = out.scenario;
  if (out.scheduler.empty())
    out.scheduler = sc == "fanout" ? "stealing" : "sharing";
  if (!has_page)
    out.page = default_page;
  if (sc == "read-stream" || sc == "read-all") {
    if (!has_events)
      out.events = sc == "read-stream" ? default_read_stream_events
                                       : default_read_all_events;
    return std::nullopt;
  }
  if (sc == "outage") {
    if (!has_events)
      out.events = default_outage_events;
    if (out.rate == 0)
      out.rate = default_outage_rate;
    if (out.outage_ms == 0)
      out.outage_ms = default_outage_ms;
    return std::nullopt;
  }
  if (sc == "memory") {
    if (!has_streams)
      out.streams = default_memory_streams;
    if (out.subscribers == 0)
      out.subscribers = default_memory_subscribers;
    if (!has_events)
      out.events = default_memory_events;
    return std::nullopt;
  }
  if (has_streams && out.streams > 4096)
    return "--streams: expected an integer in 1-4096, got '" +
           std::to_string(out.streams) + "'";
  if (!has_events)
    return "missing --events";
  if (sc == "catchup")
    return std::nullopt;
  if (sc == "fanout") {
    if (out.subscribers == 0)
      return "missing --subscribers";
    if (out.rate == 0)
      return "missing --rate";
    return std::nullopt;
  }
  if (sc == "append-multi") {
    if (!has_batch)
      out.batch = 1;
    if (!has_streams)
      out.streams = default_multi_streams;
    if (out.streams < multi_max_streams)
      return "--streams: append-multi needs at least " +
             std::to_string(multi_max_streams) + " streams, got " +
             std::to_string(out.streams);
    return std::nullopt;
  }
  // append
  if (!has_batch)
    return "missing --batch";
  if (!has_streams)
    return "missing --streams";
  if (out.events < out.streams)
    return "--events: " + std::to_string(out.events) +
           " is fewer than --streams " + std::to_string(out.streams) +
           " (every stream needs at least one event)";
  return std::nullopt;
}

} // namespace es::bench
