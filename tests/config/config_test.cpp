// es::config (config/es_config.hpp) and es::redact_dsn (config/redact.hpp):
// pure, no PostgreSQL, no actor system.
#define BOOST_TEST_MODULE config
#include <boost/test/unit_test.hpp>

#include "config/defaults.hpp"
#include "config/es_config.hpp"
#include "messages/error.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
namespace defaults = es::defaults;

namespace {

const std::string example_file = ES_SOURCE_DIR "/config/gamebot-es.ini";

/// A file in the temporary directory, removed at the end of the scope.
struct temp_file {
  std::string path;
  explicit temp_file(const std::string& text) {
    path = "/tmp/es_config_test_" + std::to_string(::getpid()) + "_"
           + std::to_string(counter()++) + ".ini";
    std::ofstream{path} << text;
  }
  ~temp_file() { std::remove(path.c_str()); }
  static int& counter() {
    static int n = 0;
    return n;
  }
};

/// Sets (or unsets, with nullptr) ES_DSN for the scope.
struct env_dsn {
  explicit env_dsn(const char* value) {
    if (value)
      ::setenv("ES_DSN", value, 1);
    else
      ::unsetenv("ES_DSN");
  }
  ~env_dsn() { ::unsetenv("ES_DSN"); }
};

/// An application's configuration: its own options beside the store's.
struct app_config : es::config {
  int games = 3;
  caf::timespan duration = std::chrono::seconds{10};
  bool reset = false;
  size_t guilds = 2;
  app_config() {
    opt_group{custom_options_, "global"}
        .add(games, "games", "games to play")
        .add(duration, "duration", "how long to play")
        .add(reset, "reset", "start from an empty store")
        .add(console.port, "console-port", "short for --console.port")
        .add<int>("seed", "unbound: read with caf::get_or");
    opt_group{custom_options_, "demo"}.add(guilds, "guilds", "guilds");
  }
};

/// The error's text, "" for none.
std::string message(const caf::error& err) {
  return err ? es::describe(err) : std::string{};
}

/// Parses `args` into a fresh config; returns the error's text ("" if
/// none).
std::string parse_error(std::vector<std::string> args) {
  env_dsn env{nullptr};
  app_config cfg;
  return message(cfg.parse(std::move(args)));
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_test)

BOOST_AUTO_TEST_CASE(the_example_file_holds_every_default) {
  env_dsn env{nullptr};
  es::config cfg;
  auto err = cfg.parse({"--config-file", example_file});
  BOOST_TEST_REQUIRE(message(err) == "");
  BOOST_TEST(cfg.loaded_file() == example_file);
  const auto& n = cfg.node;
  BOOST_TEST(n.dsn == "");
  BOOST_TEST(n.data_dir == defaults::data_dir);
  BOOST_TEST(n.pool_size == defaults::pool_size);
  BOOST_TEST(n.request_timeout.count() == defaults::request_timeout.count());
  BOOST_TEST(n.query_timeout.count() == defaults::query_timeout.count());
  BOOST_TEST(n.health_interval.count() == defaults::health_interval.count());
  BOOST_TEST(n.stream_idle_timeout.count()
             == defaults::stream_idle_timeout.count());
  BOOST_TEST(n.dispatcher_poll_interval.count()
             == defaults::dispatcher_poll_interval.count());
  BOOST_TEST(n.dispatcher_read_interval.count()
             == defaults::dispatcher_read_interval.count());
  BOOST_TEST(n.dispatcher_read_interval_min.count()
             == defaults::dispatcher_read_interval_min.count());
  BOOST_TEST(n.dispatcher_read_interval_per_subscription.count()
             == defaults::dispatcher_read_interval_per_subscription.count());
  BOOST_TEST(n.max_restarts == defaults::max_restarts);
  BOOST_TEST(n.restart_window.count() == defaults::restart_window.count());
  BOOST_TEST(n.store.max_event_bytes == defaults::max_event_bytes);
  BOOST_TEST(n.store.max_stream_id_bytes == defaults::max_stream_id_bytes);
  BOOST_TEST(n.store.max_event_type_bytes == defaults::max_event_type_bytes);
  BOOST_TEST(n.store.max_events_per_append
             == defaults::max_events_per_append);
  BOOST_TEST(n.store.max_page_size == defaults::max_page_size);
  BOOST_TEST(n.store.allow_stream_recreate
             == defaults::allow_stream_recreate);
  BOOST_TEST(n.store.enable_hard_deletes == defaults::enable_hard_deletes);
  BOOST_TEST(n.group_commit.max_group_events
             == defaults::group_commit_max_events);
  BOOST_TEST(n.group_commit.max_group_bytes
             == defaults::group_commit_max_bytes);
  BOOST_TEST(n.group_commit.min_parallel_group
             == defaults::group_commit_min_parallel);
  BOOST_TEST(n.group_commit.min_parallel_events
             == defaults::group_commit_min_parallel_events);
  BOOST_TEST(n.group_commit.max_queue_items
             == defaults::outage_queue_max_items);
  BOOST_TEST(n.group_commit.max_queue_bytes
             == defaults::outage_queue_max_bytes);
  BOOST_TEST((n.breaker.window == defaults::breaker_window));
  BOOST_TEST(n.breaker.failure_threshold
             == defaults::breaker_failure_threshold);
  BOOST_TEST(n.breaker.failure_rate == defaults::breaker_failure_rate);
  BOOST_TEST(n.breaker.min_calls == defaults::breaker_min_calls);
  BOOST_TEST((n.breaker.open_duration == defaults::breaker_open_duration));
  BOOST_TEST(n.breaker.half_open_probes
             == defaults::breaker_half_open_probes);
  BOOST_TEST((n.backoff.initial == defaults::backoff_initial));
  BOOST_TEST(n.backoff.multiplier == defaults::backoff_multiplier);
  BOOST_TEST((n.backoff.max == defaults::backoff_max));
  BOOST_TEST(n.backoff.jitter == defaults::backoff_jitter);
  const auto& s = cfg.subscription;
  BOOST_TEST(s.buffer_size == defaults::subscription_buffer_size);
  BOOST_TEST(s.batch_size == defaults::subscription_batch_size);
  BOOST_TEST(s.page_size == defaults::subscription_page_size);
  BOOST_TEST(s.delivery.max_buffered == defaults::subscription_max_buffered);
  BOOST_TEST(s.delivery.max_attempts == defaults::subscription_max_attempts);
  BOOST_TEST((s.delivery.ack_timeout == defaults::subscription_ack_timeout));
  BOOST_TEST((s.delivery.retry_delay == defaults::subscription_retry_delay));
  BOOST_TEST((s.delivery.retry_delay_max
              == defaults::subscription_retry_delay_max));
  BOOST_TEST(s.delivery.checkpoint_every
             == defaults::subscription_checkpoint_every);
  BOOST_TEST((s.delivery.checkpoint_interval
              == defaults::subscription_checkpoint_interval));
  BOOST_TEST(cfg.console.bind == defaults::console_bind);
  BOOST_TEST(cfg.console.port == defaults::console_port);
  BOOST_TEST(cfg.console.allow_remote == defaults::console_allow_remote);
  BOOST_TEST(cfg.http.enabled == defaults::http_enabled);
  BOOST_TEST(cfg.http.bind == defaults::http_bind);
  BOOST_TEST(cfg.http.port == defaults::http_port);
  BOOST_TEST(cfg.http.allow_remote == defaults::http_allow_remote);
  BOOST_TEST(cfg.warnings().empty());
  // And the same through the option set: each option's value after the
  // file equals its value in a configuration that read nothing.
  es::config fresh;
  for (const auto& name : cfg.store_option_names()) {
    auto qualified = name.find('.') == std::string::npos ? "global." + name
                                                          : name;
    auto a = cfg.options().qualified_name_lookup(qualified);
    auto b = fresh.options().qualified_name_lookup(qualified);
    BOOST_TEST_REQUIRE((a != nullptr && b != nullptr), name);
    BOOST_TEST(caf::to_string(*a->get()) == caf::to_string(*b->get()),
               name);
  }
}

BOOST_AUTO_TEST_CASE(the_example_file_lists_every_option) {
  // Keys per section, as written (a commented-out "; key = value" counts:
  // the file explains why dsn is one).
  std::ifstream in{example_file};
  BOOST_TEST_REQUIRE(in.good());
  std::set<std::string> listed;
  std::string section;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') {
      section = line.substr(1, line.find(']') - 1);
      continue;
    }
    auto text = line;
    if (text.rfind("; ", 0) == 0)
      text = text.substr(2);
    auto eq = text.find(" = ");
    if (eq == std::string::npos || text.find(' ') < eq)
      continue;
    auto key = text.substr(0, eq);
    listed.insert(section.empty() ? key : section + "." + key);
  }
  es::config cfg;
  auto names = cfg.store_option_names();
  BOOST_TEST(names.size() > 40u);
  for (const auto& name : names)
    BOOST_TEST(listed.count(name) == 1u, name << " is in the example file");
  for (const auto& key : listed)
    BOOST_TEST(std::count(names.begin(), names.end(), key) == 1,
               key << " is an option");
}

BOOST_AUTO_TEST_CASE(command_line_over_file_over_environment_over_default) {
  temp_file file{"dsn = \"host=file\"\n[store]\npool-size = 7\n"};
  temp_file pool_only{"[store]\npool-size = 7\n"};
  {
    env_dsn env{nullptr};
    es::config cfg;
    BOOST_TEST(message(cfg.parse(std::vector<std::string>{})) == "");
    BOOST_TEST(cfg.node.dsn == "");
    BOOST_TEST(cfg.node.pool_size == defaults::pool_size);
  }
  {
    env_dsn env{"host=env"};
    es::config cfg;
    BOOST_TEST(message(cfg.parse(std::vector<std::string>{})) == "");
    BOOST_TEST(cfg.node.dsn == "host=env");
  }
  {
    env_dsn env{"host=env"};
    es::config cfg;
    BOOST_TEST(message(cfg.parse({"--config-file=" + pool_only.path})) == "");
    BOOST_TEST(cfg.node.dsn == "host=env");
    BOOST_TEST(cfg.node.pool_size == 7u);
  }
  {
    env_dsn env{"host=env"};
    es::config cfg;
    BOOST_TEST(message(cfg.parse({"--config-file", file.path})) == "");
    BOOST_TEST(cfg.node.dsn == "host=file");
    BOOST_TEST(cfg.node.pool_size == 7u);
  }
  {
    env_dsn env{"host=env"};
    es::config cfg;
    // The command line wins wherever --config-file stands.
    BOOST_TEST(message(cfg.parse({"--dsn", "host=cli", "--store.pool-size=3",
                                  "--config-file", file.path}))
               == "");
    BOOST_TEST(cfg.node.dsn == "host=cli");
    BOOST_TEST(cfg.node.pool_size == 3u);
  }
  {
    // A value set in code before parse is a default that the environment,
    // the file and the command line override.
    env_dsn env{nullptr};
    es::config cfg;
    cfg.node.pool_size = 9;
    cfg.node.request_timeout = 1234ms;
    BOOST_TEST(message(cfg.parse(std::vector<std::string>{})) == "");
    BOOST_TEST(cfg.node.pool_size == 9u);
    BOOST_TEST(cfg.node.request_timeout.count() == 1234);
  }
}

BOOST_AUTO_TEST_CASE(both_spellings_of_an_option) {
  env_dsn env{nullptr};
  for (auto args : std::vector<std::vector<std::string>>{
           {"--store.pool-size", "8", "--games", "5", "--dsn", "host=x",
            "--store.request-timeout", "250ms", "--demo.guilds", "4",
            "--console.port", "0", "--http.enabled", "--reset"},
           {"--store.pool-size=8", "--games=5", "--dsn=host=x",
            "--store.request-timeout=250ms", "--demo.guilds=4",
            "--console.port=0", "--http.enabled=true", "--reset=true"}}) {
    app_config cfg;
    BOOST_TEST_REQUIRE(message(cfg.parse(args)) == "");
    BOOST_TEST(cfg.node.pool_size == 8u);
    BOOST_TEST(cfg.games == 5);
    BOOST_TEST(cfg.node.dsn == "host=x");
    BOOST_TEST(cfg.node.request_timeout.count() == 250);
    BOOST_TEST(cfg.guilds == 4u);
    BOOST_TEST(cfg.console.port == 0);
    BOOST_TEST(cfg.http.enabled);
    BOOST_TEST(cfg.reset);
  }
  // An application's short name for a store option sets the same value.
  {
    app_config cfg;
    BOOST_TEST_REQUIRE(message(cfg.parse({"--console-port", "4711"})) == "");
    BOOST_TEST(cfg.console.port == 4711);
  }
  // The dispatcher's read interval, in ms and (per subscription) in us.
  {
    app_config cfg;
    BOOST_TEST_REQUIRE(
        message(cfg.parse({"--store.dispatcher-read-interval=12ms",
                           "--store.dispatcher-read-interval-min=0ms",
                           "--store.dispatcher-read-interval-per-subscription",
                           "15us"}))
        == "");
    BOOST_TEST(cfg.node.dispatcher_read_interval.count() == 12);
    BOOST_TEST(cfg.node.dispatcher_read_interval_min.count() == 0);
    BOOST_TEST(cfg.node.dispatcher_read_interval_per_subscription.count()
               == 15);
  }
  // An unbound option lands in the content, as with CAF's own parser.
  {
    app_config cfg;
    BOOST_TEST_REQUIRE(message(cfg.parse({"--seed", "42"})) == "");
    BOOST_TEST(caf::get_or(cfg, "seed", 0) == 42);
  }
  // A boolean can be turned off on the command line over a file.
  temp_file file{"[http]\nenabled = true\n"};
  app_config cfg;
  BOOST_TEST_REQUIRE(message(cfg.parse({"--config-file", file.path,
                                        "--http.enabled=false"}))
                     == "");
  BOOST_TEST(!cfg.http.enabled);
  // An application's options are read from the file too.
  temp_file app_file{"games = 11\nduration = 2s\n[demo]\nguilds = 6\n"};
  app_config app;
  BOOST_TEST_REQUIRE(message(app.parse({"--config-file", app_file.path}))
                     == "");
  BOOST_TEST(app.games == 11);
  BOOST_TEST((app.duration == caf::timespan{2s}));
  BOOST_TEST(app.guilds == 6u);
}

BOOST_AUTO_TEST_CASE(arguments_that_are_not_options_are_the_remainder) {
  env_dsn env{nullptr};
  app_config cfg;
  BOOST_TEST_REQUIRE(
      message(cfg.parse({"stream", "--games=2", "x", "--", "--not-mine"}))
      == "");
  BOOST_TEST(cfg.games == 2);
  BOOST_TEST((cfg.remainder
              == std::vector<std::string>{"stream", "x", "--not-mine"}));
}

BOOST_AUTO_TEST_CASE(invalid_values_name_the_option) {
  auto names = [](const std::string& text, const std::string& what) {
    BOOST_TEST(text.find(what) != std::string::npos,
               "'" << text << "' names " << what);
  };
  names(parse_error({"--store.pool-size=abc"}), "store.pool-size");
  names(parse_error({"--store.pool-size", "-1"}), "store.pool-size");
  names(parse_error({"--store.pool-size=0"}), "store.pool-size");
  names(parse_error({"--store.pool-size"}), "store.pool-size");
  names(parse_error({"--console.port=70000"}), "console.port");
  names(parse_error({"--http.port=-1"}), "http.port");
  names(parse_error({"--store.request-timeout=5"}), "store.request-timeout");
  names(parse_error({"--store.request-timeout=0s"}), "store.request-timeout");
  names(parse_error({"--store.request-timeout=1500us"}),
        "store.request-timeout");
  names(parse_error({"--store.breaker-failure-rate=1.5"}),
        "store.breaker-failure-rate");
  names(parse_error({"--store.backoff-max=1ms"}), "store.backoff-max");
  names(parse_error({"--store.dispatcher-read-interval-min=30ms"}),
        "store.dispatcher-read-interval");
  names(parse_error({"--store.dispatcher-read-interval-per-subscription=1500ns"}),
        "store.dispatcher-read-interval-per-subscription");
  names(parse_error({"--store.group-commit-max-events=0"}),
        "store.group-commit-max-events");
  names(parse_error({"--subscription.batch-size=500"}),
        "subscription.batch-size");
  names(parse_error({"--subscription.max-attempts=0"}),
        "subscription.max-attempts");
  names(parse_error({"--http.enabled=maybe"}), "http.enabled");
  names(parse_error({"--games=many"}), "games");
  names(parse_error({"--data-dir="}), "data-dir");
  names(parse_error({"--nope=1"}), "--nope");
  names(parse_error({"--store.nope", "1"}), "--store.nope");
  names(parse_error({"-x"}), "-x");
  names(parse_error({"--config-file"}), "config-file");
  names(parse_error({"--config-file=/nonexistent/es.ini"}),
        "/nonexistent/es.ini");
  // In a file too, where CAF alone would ignore them.
  temp_file negative{"[store]\npool-size = -3\n"};
  names(parse_error({"--config-file", negative.path}), "store.pool-size");
  temp_file port{"[console]\nport = 70000\n"};
  names(parse_error({"--config-file", port.path}), "console.port");
  temp_file unknown{"[store]\nnope = 1\n"};
  names(parse_error({"--config-file", unknown.path}), "store.nope");
  temp_file unit{"[store]\nrequest-timeout = 5000\n"};
  names(parse_error({"--config-file", unit.path}), "store.request-timeout");
  temp_file bare{"[console]\nbind = localhost\n"};
  names(parse_error({"--config-file", bare.path}), bare.path);
  // Every error is an invalid_argument.
  env_dsn env{nullptr};
  es::config cfg;
  auto err = cfg.parse({"--store.pool-size=0"});
  BOOST_TEST((err == es::ec::invalid_argument));
}

BOOST_AUTO_TEST_CASE(listeners_stay_on_loopback_unless_allowed) {
  BOOST_TEST(es::is_loopback("127.0.0.1"));
  BOOST_TEST(es::is_loopback("127.1.2.3"));
  BOOST_TEST(es::is_loopback("localhost"));
  BOOST_TEST(es::is_loopback("::1"));
  BOOST_TEST(!es::is_loopback("0.0.0.0"));
  BOOST_TEST(!es::is_loopback("127.0.0.1.example.com"));
  BOOST_TEST(!es::is_loopback("1270.0.0.1"));
  BOOST_TEST(!es::is_loopback("10.0.0.1"));
  BOOST_TEST(!es::is_loopback(""));
  auto text = parse_error({"--console.bind", "0.0.0.0"});
  BOOST_TEST(text.find("console.bind") != std::string::npos, text);
  BOOST_TEST(text.find("console.allow-remote") != std::string::npos, text);
  text = parse_error({"--http.enabled", "--http.bind=10.1.2.3"});
  BOOST_TEST(text.find("http.bind") != std::string::npos, text);
  // A disabled endpoint's address does not matter.
  BOOST_TEST(parse_error({"--http.bind=10.1.2.3"}) == "");
  env_dsn env{nullptr};
  es::config cfg;
  BOOST_TEST_REQUIRE(message(cfg.parse({"--console.bind=0.0.0.0",
                                        "--console.allow-remote",
                                        "--http.enabled", "--http.bind",
                                        "0.0.0.0", "--http.allow-remote"}))
                     == "");
  BOOST_TEST_REQUIRE(cfg.warnings().size() == 2u);
  BOOST_TEST(cfg.warnings()[0].find("no authentication") != std::string::npos);
  BOOST_TEST(cfg.warnings()[0].find("console") != std::string::npos);
  BOOST_TEST(cfg.warnings()[1].find("http") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(subscription_defaults_go_into_specs) {
  env_dsn env{nullptr};
  es::config cfg;
  BOOST_TEST_REQUIRE(message(cfg.parse({"--subscription.buffer-size=20",
                                        "--subscription.batch-size=5",
                                        "--subscription.page-size=77",
                                        "--subscription.max-attempts=2",
                                        "--subscription.ack-timeout=3s"}))
                     == "");
  es::subscription_spec spec;
  cfg.subscription.apply(spec);
  BOOST_TEST(spec.buffer_size == 20u);
  BOOST_TEST(spec.batch_size == 5u);
  BOOST_TEST(spec.page_size == 77u);
  BOOST_TEST(spec.delivery.max_attempts == 2u);
  BOOST_TEST((spec.delivery.ack_timeout == caf::timespan{3s}));
}

BOOST_AUTO_TEST_CASE(help_and_dump_stop_the_program_and_hide_passwords) {
  env_dsn env{nullptr};
  std::ostringstream out;
  auto* old = std::cout.rdbuf(out.rdbuf());
  app_config help;
  auto help_err = help.parse({"--help"});
  app_config dump;
  auto dump_err = dump.parse({"--dsn", "host=db password=s3cret",
                              "--dump-config", "--games=4"});
  std::cout.rdbuf(old);
  BOOST_TEST(message(help_err) == "");
  BOOST_TEST(help.cli_helptext_printed);
  BOOST_TEST(message(dump_err) == "");
  BOOST_TEST(dump.cli_helptext_printed);
  auto text = out.str();
  BOOST_TEST(text.find("store.pool-size") != std::string::npos);
  BOOST_TEST(text.find("dsn = \"host=db password=***\"") != std::string::npos,
             text);
  BOOST_TEST(text.find("games = 4") != std::string::npos, text);
  BOOST_TEST(text.find("s3cret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(caf_options_reach_the_actor_system) {
  env_dsn env{nullptr};
  es::config cfg;
  BOOST_TEST_REQUIRE(message(cfg.parse({"--scheduler.max-threads", "3"})) == "");
  caf::actor_system sys{cfg};
  BOOST_TEST(sys.scheduler().num_workers() == 3u);
}

BOOST_AUTO_TEST_CASE(redact_dsn_hides_every_password) {
  using es::redact_dsn;
  BOOST_TEST(redact_dsn("host=/tmp password=s3cret dbname=x")
             == "host=/tmp password=*** dbname=x");
  BOOST_TEST(redact_dsn("password = 'a b\\' c' user=u")
             == "password = *** user=u");
  BOOST_TEST(redact_dsn("host=db PASSWORD='x y'") == "host=db PASSWORD=***");
  BOOST_TEST(redact_dsn("host=db password='unterminated rest")
             == "host=db password=***");
  BOOST_TEST(redact_dsn("host=db sslpassword=k3y") == "host=db sslpassword=***");
  BOOST_TEST(redact_dsn("postgresql://bob:s3cret@db:5432/x")
             == "postgresql://bob:***@db:5432/x");
  BOOST_TEST(redact_dsn("postgres://bob:s3cret@db/x?sslmode=require")
             == "postgres://bob:***@db/x?sslmode=require");
  BOOST_TEST(redact_dsn("postgresql://bob@db/x?password=s3cret&sslmode=require")
             == "postgresql://bob@db/x?password=***&sslmode=require");
  BOOST_TEST(redact_dsn("postgresql://db/x?sslmode=require&password=s3cret")
             == "postgresql://db/x?sslmode=require&password=***");
  BOOST_TEST(redact_dsn("postgresql://bob:p%40ss@db/x")
             == "postgresql://bob:***@db/x");
  BOOST_TEST(redact_dsn("postgresql://bob@db/x") == "postgresql://bob@db/x");
  BOOST_TEST(redact_dsn("postgresql://db:5432/x") == "postgresql://db:5432/x");
  BOOST_TEST(redact_dsn("host=/tmp dbname=x") == "host=/tmp dbname=x");
  BOOST_TEST(redact_dsn("") == "");
  for (auto dsn : {"password=s3cret", "host=a password = s3cret port=1",
                   "postgresql://u:s3cret@h/d", "postgresql://h/d?password=s3cret",
                   "postgresql://u:s3cret@h/d?password=s3cret"})
    BOOST_TEST(redact_dsn(dsn).find("s3cret") == std::string::npos, dsn);
}

BOOST_AUTO_TEST_SUITE_END()
