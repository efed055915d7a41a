#include "config/es_config.hpp"

#include "messages/error.hpp"

#include <caf/config_option_adder.hpp>
#include <caf/config_value.hpp>
#include <caf/pec.hpp>
#include <caf/settings.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <type_traits>

namespace es {

// The resilience options' durations bind to CAF options as they are.
static_assert(std::is_same_v<storage::breaker_options::duration, caf::timespan>);
static_assert(std::is_same_v<storage::backoff_options::duration, caf::timespan>);
static_assert(std::is_same_v<delivery_options::duration, caf::timespan>);

namespace {

caf::error bad(const std::string& name, const std::string& why) {
  return make_error(ec::invalid_argument, "option " + name + ": " + why);
}

/// "store.pool-size", or "dsn" for a global option.
std::string display_name(const caf::config_option& opt) {
  if (opt.category() == "global")
    return std::string{opt.long_name().begin(), opt.long_name().end()};
  auto full = opt.full_name();
  return std::string{full.begin(), full.end()};
}

caf::timespan to_timespan(std::chrono::milliseconds x) {
  return std::chrono::duration_cast<caf::timespan>(x);
}

std::chrono::milliseconds to_ms(caf::timespan x) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(x);
}

/// A duration option must hold whole milliseconds (the node's unit).
caf::error check_ms(const char* name, caf::timespan x) {
  if (x != to_timespan(to_ms(x)))
    return bad(name, "must be a whole number of milliseconds");
  return {};
}

/// A duration option in microseconds must hold whole microseconds.
caf::error check_us(const char* name, caf::timespan x) {
  using std::chrono::microseconds;
  if (x != std::chrono::duration_cast<caf::timespan>(
               std::chrono::duration_cast<microseconds>(x)))
    return bad(name, "must be a whole number of microseconds");
  return {};
}

std::string pec_text(const caf::error& err) {
  if (err.category() == caf::atom("parser"))
    return caf::to_string(static_cast<caf::pec>(err.code()));
  return caf::to_string(err);
}

} // namespace

void subscription_defaults::apply(subscription_spec& spec) const {
  spec.delivery = delivery;
  spec.buffer_size = buffer_size;
  spec.batch_size = batch_size;
  spec.page_size = page_size;
}

caf::error validate(const subscription_defaults& opts) {
  if (auto err = validate(opts.delivery))
    return err;
  if (opts.buffer_size == 0 || opts.buffer_size > opts.delivery.max_buffered)
    return bad("subscription.buffer-size",
               "must be between 1 and subscription.max-buffered ("
                   + std::to_string(opts.delivery.max_buffered) + ")");
  if (opts.batch_size == 0 || opts.batch_size > opts.buffer_size)
    return bad("subscription.batch-size",
               "must be between 1 and subscription.buffer-size ("
                   + std::to_string(opts.buffer_size) + ")");
  if (opts.page_size == 0 || opts.page_size > defaults::max_page_size)
    return bad("subscription.page-size",
               "must be between 1 and "
                   + std::to_string(defaults::max_page_size));
  return {};
}

bool is_loopback(std::string_view address) {
  if (address == "localhost" || address == "::1" || address == "[::1]")
    return true;
  // 127.0.0.0/8, written as a dotted quad.
  if (address.substr(0, 4) != "127.")
    return false;
  int dots = 0;
  int digits = 0;
  for (auto c : address) {
    if (c == '.') {
      if (digits == 0)
        return false;
      ++dots;
      digits = 0;
    } else if (c >= '0' && c <= '9' && digits < 3) {
      ++digits;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

caf::error validate_listener(const char* group, const std::string& bind,
                             bool allow_remote, std::string* warning) {
  auto name = std::string{group};
  if (bind.empty())
    return bad(name + ".bind", "must name an address (e.g. 127.0.0.1)");
  if (is_loopback(bind))
    return {};
  if (!allow_remote)
    return bad(name + ".bind",
               "'" + bind
                   + "' is not a loopback address; it would accept "
                     "connections from other machines without "
                     "authentication (set "
                   + name + ".allow-remote to do it anyway)");
  if (warning != nullptr)
    *warning = name + " listens on " + bind
               + ", reachable from other machines, and has no "
                 "authentication: anyone who can connect can "
               + (name == "console" ? std::string{"inspect and control the "
                                                  "event store"}
                                    : std::string{"read its metrics"})
               + "; restrict access with a firewall";
  return {};
}

config::config() {
  using caf::timespan;
  auto& n = node;
  auto& gc = node.group_commit;
  auto& br = node.breaker;
  auto& bo = node.backoff;
  auto& sd = subscription;
  auto& dl = subscription.delivery;
  own_begin_ = custom_options_.size();
  opt_group{custom_options_, "global"}
      .add(n.dsn, "dsn",
           "libpq connection string (key=value or postgresql:// URI); "
           "empty: the embedded cluster in data-dir (env: ES_DSN)")
      .add(n.data_dir, "data-dir",
           "data directory of the embedded PostgreSQL cluster");
  opt_group{custom_options_, "store"}
      .add(n.pool_size, "pool-size",
           "connection workers in the pool (one PGconn and thread each)")
      .add(request_timeout_, "request-timeout",
           "how long a caller waits for an append or read")
      .add(query_timeout_, "query-timeout",
           "a connection silent this long is broken by the watchdog")
      .add(health_interval_, "health-interval",
           "how often each idle connection is checked")
      .add(stream_idle_timeout_, "stream-idle-timeout",
           "a stream actor without appends this long is passivated")
      .add(dispatcher_poll_interval_, "dispatcher-poll-interval",
           "how often the dispatcher reads the log when nothing woke it")
      .add(dispatcher_read_interval_, "dispatcher-read-interval",
           "the most time between two reads of the dispatcher when commits "
           "wake it faster (latency against CPU with many subscriptions)")
      .add(dispatcher_read_interval_min_, "dispatcher-read-interval-min",
           "the least time between two reads of the dispatcher")
      .add(dispatcher_read_interval_per_subscription_,
           "dispatcher-read-interval-per-subscription",
           "time between two reads of the dispatcher per live subscription, "
           "within dispatcher-read-interval-min and -interval")
      .add(n.max_restarts, "max-restarts",
           "component restarts within restart-window before the node stops")
      .add(restart_window_, "restart-window",
           "the window of max-restarts")
      .add(n.store.max_event_bytes, "max-event-bytes",
           "largest encoded event payload (data or metadata), in bytes")
      .add(n.store.max_stream_id_bytes, "max-stream-id-bytes",
           "longest stream id, in bytes")
      .add(n.store.max_event_type_bytes, "max-event-type-bytes",
           "longest event type name, in bytes")
      .add(n.store.max_events_per_append, "max-events-per-append",
           "most events in one append")
      .add(n.store.max_page_size, "max-page-size",
           "largest page a read may ask for")
      .add(n.store.allow_stream_recreate, "allow-stream-recreate",
           "a soft-deleted stream may be appended to again")
      .add(n.store.enable_hard_deletes, "enable-hard-deletes",
           "hard deletes physically remove a stream's events")
      .add(gc.max_group_events, "group-commit-max-events",
           "most events in one group-commit transaction")
      .add(gc.max_group_bytes, "group-commit-max-bytes",
           "most payload bytes in one group-commit transaction")
      .add(gc.min_parallel_group, "group-commit-min-parallel",
           "appends that must wait before a group starts beside one in "
           "flight")
      .add(gc.min_parallel_events, "group-commit-min-parallel-events",
           "or the events that must wait, in however few appends")
      .add(gc.max_queue_items, "outage-queue-max-items",
           "most appends waiting for a transaction")
      .add(gc.max_queue_bytes, "outage-queue-max-bytes",
           "most payload bytes waiting for a transaction")
      .add(br.window, "breaker-window",
           "the circuit breaker's sliding window")
      .add(br.failure_threshold, "breaker-failure-threshold",
           "connection failures within the window that open the breaker")
      .add(br.failure_rate, "breaker-failure-rate",
           "share of failed calls within the window that opens it")
      .add(br.min_calls, "breaker-min-calls",
           "calls in the window before breaker-failure-rate counts")
      .add(br.open_duration, "breaker-open-duration",
           "how long an open breaker fails calls before probing")
      .add(br.half_open_probes, "breaker-half-open-probes",
           "probes a half-open breaker admits")
      .add(bo.initial, "backoff-initial", "first reconnect delay")
      .add(bo.multiplier, "backoff-multiplier",
           "factor by which each reconnect delay grows")
      .add(bo.max, "backoff-max", "largest reconnect delay")
      .add(bo.jitter, "backoff-jitter",
           "randomized share of each reconnect delay (0-1)");
  opt_group{custom_options_, "subscription"}
      .add(sd.buffer_size, "buffer-size",
           "events at most in flight at one subscriber")
      .add(sd.batch_size, "batch-size", "events per message to a subscriber")
      .add(sd.page_size, "page-size", "events per catch-up read")
      .add(dl.max_buffered, "max-buffered",
           "events a subscription holds in memory")
      .add(dl.max_attempts, "max-attempts",
           "deliveries of one event before it is parked")
      .add(dl.ack_timeout, "ack-timeout",
           "how long a subscriber has to acknowledge")
      .add(dl.retry_delay, "retry-delay",
           "delay before the first redelivery (doubles per attempt)")
      .add(dl.retry_delay_max, "retry-delay-max", "largest redelivery delay")
      .add(dl.checkpoint_every, "checkpoint-every",
           "settled events after which the checkpoint is written")
      .add(dl.checkpoint_interval, "checkpoint-interval",
           "time after which a moved checkpoint is written");
  opt_group{custom_options_, "console"}
      .add(console.bind, "bind", "address es-console connects to")
      .add(console.port, "port", "port es-console connects to (0: any)")
      .add(console.allow_remote, "allow-remote",
           "allow a non-loopback console.bind (no authentication!)");
  opt_group{custom_options_, "http"}
      .add(http.enabled, "enabled",
           "serve /metrics, /healthz and /readyz over HTTP")
      .add(http.bind, "bind", "address of the HTTP endpoint")
      .add(http.port, "port", "port of the HTTP endpoint (0: any)")
      .add(http.allow_remote, "allow-remote",
           "allow a non-loopback http.bind (no authentication)");
  own_end_ = custom_options_.size();
  sync_staging_from_node();
}

void config::sync_staging_from_node() {
  request_timeout_ = to_timespan(node.request_timeout);
  query_timeout_ = to_timespan(node.query_timeout);
  health_interval_ = to_timespan(node.health_interval);
  stream_idle_timeout_ = to_timespan(node.stream_idle_timeout);
  dispatcher_poll_interval_ = to_timespan(node.dispatcher_poll_interval);
  dispatcher_read_interval_ = to_timespan(node.dispatcher_read_interval);
  dispatcher_read_interval_min_ =
      to_timespan(node.dispatcher_read_interval_min);
  dispatcher_read_interval_per_subscription_ =
      std::chrono::duration_cast<caf::timespan>(
          node.dispatcher_read_interval_per_subscription);
  restart_window_ = to_timespan(node.restart_window);
}

void config::sync_node_from_staging() {
  node.request_timeout = to_ms(request_timeout_);
  node.query_timeout = to_ms(query_timeout_);
  node.health_interval = to_ms(health_interval_);
  node.stream_idle_timeout = to_ms(stream_idle_timeout_);
  node.dispatcher_poll_interval = to_ms(dispatcher_poll_interval_);
  node.dispatcher_read_interval = to_ms(dispatcher_read_interval_);
  node.dispatcher_read_interval_min = to_ms(dispatcher_read_interval_min_);
  node.dispatcher_read_interval_per_subscription =
      std::chrono::duration_cast<std::chrono::microseconds>(
          dispatcher_read_interval_per_subscription_);
  node.restart_window = to_ms(restart_window_);
}

std::vector<std::string> config::store_option_names() const {
  std::vector<std::string> out;
  auto first = custom_options_.begin() + static_cast<ptrdiff_t>(own_begin_);
  auto last = custom_options_.begin() + static_cast<ptrdiff_t>(own_end_);
  for (auto i = first; i != last; ++i)
    out.push_back(display_name(*i));
  return out;
}

caf::error config::store(const caf::config_option& opt,
                         caf::config_value value, const std::string& where) {
  // A file may write a real as an integer (backoff-multiplier=2).
  if (opt.type_name() == "real64")
    if (auto i = caf::get_if<caf::config_value::integer>(&value))
      value = caf::config_value{static_cast<double>(*i)};
  if (auto err = opt.check(value))
    return bad(display_name(opt),
               "invalid value " + caf::to_string(value) + where + " (expected "
                   + std::string{opt.type_name().begin(),
                                 opt.type_name().end()}
                   + ")");
  opt.store(value);
  if (opt.category() == "global")
    caf::put(content, opt.long_name(), std::move(value));
  else
    caf::put(content, opt.full_name(), std::move(value));
  return {};
}

caf::error config::apply_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(ec::invalid_argument,
                      "option config-file: cannot open '" + path + "'");
  auto parsed = parse_config(in);
  if (!parsed)
    return make_error(ec::invalid_argument,
                      "config file " + path + ": " + caf::to_string(
                          parsed.error())
                          + " (strings need double quotes, durations a "
                            "unit)");
  auto where = " in " + path;
  auto apply = [&](const std::string& category, const std::string& key,
                   const caf::config_value& value) -> caf::error {
    auto opt = custom_options_.qualified_name_lookup(category, key);
    if (opt == nullptr)
      return make_error(ec::invalid_argument,
                        "config file " + path + ": unknown option "
                            + (category == "global" ? key
                                                    : category + "." + key));
    return store(*opt, value, where);
  };
  for (auto& [key, value] : *parsed) {
    if (auto section = caf::get_if<caf::settings>(&value)) {
      for (auto& [k, v] : *section)
        if (auto err = apply(key, k, v))
          return err;
    } else if (auto err = apply("global", key, value)) {
      return err;
    }
  }
  loaded_file_ = path;
  return {};
}

caf::error config::apply_cli(std::vector<std::string>& args) {
  std::vector<std::string> rest;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<ptrdiff_t>(i) + 1,
                  args.end());
      break;
    }
    if (arg == "-h" || arg == "-?") {
      caf::put(content, "help", true);
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      if (!arg.empty() && arg[0] == '-' && arg.size() > 1)
        return make_error(ec::invalid_argument,
                          "unknown option " + arg + " (see --help)");
      rest.push_back(arg);
      continue;
    }
    auto eq = arg.find('=');
    auto name = arg.substr(2, eq == std::string::npos ? std::string::npos
                                                      : eq - 2);
    const caf::config_option* opt = nullptr;
    if (name.find('.') == std::string::npos)
      opt = custom_options_.qualified_name_lookup("global", name);
    else
      opt = custom_options_.qualified_name_lookup(name);
    if (opt == nullptr)
      return make_error(ec::invalid_argument,
                        "unknown option --" + name + " (see --help)");
    if (name == "config-file") {
      // Read before the rest (see parse).
      if (eq == std::string::npos)
        ++i;
      continue;
    }
    std::string text;
    if (opt->is_flag()) {
      text = eq == std::string::npos ? "true" : arg.substr(eq + 1);
      if (text != "true" && text != "false")
        return bad(display_name(*opt), "invalid value '" + text
                                           + "' (expected true or false)");
      if (auto err = store(*opt, caf::config_value{text == "true"}, ""))
        return err;
      continue;
    }
    if (eq != std::string::npos) {
      text = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      text = args[++i];
    } else {
      return bad(display_name(*opt), "needs a value");
    }
    auto value = opt->parse(text);
    if (!value)
      return bad(display_name(*opt),
                 "invalid value '" + text + "' ("
                     + pec_text(value.error()) + ", expected "
                     + std::string{opt->type_name().begin(),
                                   opt->type_name().end()}
                     + ")");
    if (auto err = store(*opt, std::move(*value), ""))
      return err;
  }
  remainder.insert(remainder.end(), rest.begin(), rest.end());
  return {};
}

std::string config::dump() const {
  std::ostringstream out;
  auto first = custom_options_.begin() + static_cast<ptrdiff_t>(own_begin_);
  for (auto i = first; i != custom_options_.end(); ++i) {
    auto name = display_name(*i);
    auto value = i->get();
    if (!value)
      continue;
    std::string text;
    if (auto str = caf::get_if<std::string>(&*value))
      text = "\"" + (name == "dsn" ? redact_dsn(*str) : *str) + "\"";
    else
      text = caf::to_string(*value);
    out << name << " = " << text << '\n';
  }
  return out.str();
}

caf::error config::parse(int argc, char** argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i]);
  return parse(std::move(args));
}

caf::error config::parse(std::vector<std::string> args) {
  warnings_.clear();
  remainder.clear();
  loaded_file_.clear();
  cli_helptext_printed = false;
  // Defaults (or values set before parse), then the environment...
  if (auto env = std::getenv("ES_DSN"); env != nullptr && *env != '\0')
    node.dsn = env;
  sync_staging_from_node();
  // ...then the file...
  std::string file;
  for (size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg == "--")
      break;
    if (arg == "--config-file") {
      if (i + 1 >= args.size())
        return bad("config-file", "needs a value");
      file = args[i + 1];
    } else if (arg.compare(0, 14, "--config-file=") == 0) {
      file = arg.substr(14);
    }
  }
  if (!file.empty())
    if (auto err = apply_file(file))
      return err;
  // ...then the command line.
  if (auto err = apply_cli(args))
    return err;
  if (caf::get_or(content, "help", false)
      || caf::get_or(content, "long-help", false)) {
    cli_helptext_printed = true;
    std::cout << custom_options_.help_text(
        !caf::get_or(content, "long-help", false))
              << std::endl;
    return {};
  }
  for (auto* name : {"request-timeout", "query-timeout", "health-interval",
                     "stream-idle-timeout", "dispatcher-poll-interval",
                     "dispatcher-read-interval", "dispatcher-read-interval-min",
                     "restart-window"}) {
    auto opt = custom_options_.qualified_name_lookup("store", name);
    auto value = opt->get();
    if (auto x = value ? caf::get_if<caf::timespan>(&*value) : nullptr)
      if (auto err = check_ms((std::string{"store."} + name).c_str(), *x))
        return err;
  }
  if (auto err = check_us("store.dispatcher-read-interval-per-subscription",
                          dispatcher_read_interval_per_subscription_))
    return err;
  sync_node_from_staging();
  if (auto err = validate(node))
    return err;
  if (auto err = validate(subscription))
    return err;
  std::string warning;
  if (auto err = validate_listener("console", console.bind,
                                   console.allow_remote, &warning))
    return err;
  if (!warning.empty())
    warnings_.push_back(std::move(warning));
  warning.clear();
  if (http.enabled) {
    if (auto err = validate_listener("http", http.bind, http.allow_remote,
                                     &warning))
      return err;
    if (!warning.empty())
      warnings_.push_back(std::move(warning));
  }
  if (caf::get_or(content, "dump-config", false)) {
    cli_helptext_printed = true;
    std::cout << dump() << std::flush;
  }
  return {};
}

} // namespace es
