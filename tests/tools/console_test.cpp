// The operator console end to end: a node in a child process
// (es-test-peer console: a few events, a persistent subscription with one
// parked event, the game-state projection, the inspector published on a
// free port), and es-console run as a process for each command, its
// stdout, stderr and exit status checked, as text and with --json. The
// error cases: an unknown command, a stream that does not exist, nothing
// listening on the port, and a console that speaks another protocol
// version. In-process: a store with a published inspector still shuts
// down (also while a console tails it), status and health answer while the
// database is unreachable, and binding beyond loopback needs permission.
#define BOOST_TEST_MODULE console
#include "actors/console_commands.hpp"
#include "actors/inspector.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/tcp_proxy.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/io/middleman.hpp>
#include <rapidjson/document.h>

#include <algorithm>
#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <optional>
#include <spawn.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The line of `text` that starts with `prefix` ("" when none does).
std::string line_of(const std::string& text, const std::string& prefix) {
  std::istringstream lines{text};
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(prefix, 0) == 0)
      return line;
  return {};
}

/// A file name of this test process's own.
std::string temp_path(const std::string& what) {
  static int n = 0;
  return "/tmp/es-console-test-" + std::to_string(::getpid()) + "-" +
         std::to_string(++n) + "-" + what;
}

/// A child process (tests/support/child_process.hpp).
using child = es::test::child_process;

/// What a finished es-console run printed, and its exit status.
struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};

run_result run_console_on(uint16_t port, std::vector<std::string> args,
                          std::vector<std::string> env = {}) {
  args.insert(args.begin(), {"--port", std::to_string(port)});
  child c{ES_CONSOLE, std::move(args), std::move(env)};
  run_result r;
  r.status = c.wait();
  r.out = c.out();
  r.err = c.err();
  return r;
}

/// The result object of a --json reply (the reply must be one).
rapidjson::Document json_result(const run_result& r) {
  rapidjson::Document doc;
  doc.Parse(r.out.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                        "not JSON: " << r.out << " / " << r.err);
  BOOST_REQUIRE_MESSAGE(doc.HasMember("result"), "no result: " << r.out);
  rapidjson::Document out;
  out.CopyFrom(doc["result"], out.GetAllocator());
  return out;
}

/// The node of the suite: one es-test-peer for every test case.
struct console_peer {
  std::string category = "cons" + std::to_string(::getpid());
  std::string port_file = temp_path("port");
  std::optional<child> process;
  uint16_t port = 0;

  console_peer() {
    process.emplace(ES_TEST_PEER,
                    std::vector<std::string>{"console", test_database(),
                                             category, port_file});
    BOOST_REQUIRE_MESSAGE(
        eventually(
            [&] {
              std::ifstream in{port_file};
              return static_cast<bool>(in >> port);
            },
            60s),
        "the peer published no console port: " << process->err());
  }
  ~console_peer() { std::remove(port_file.c_str()); }

  run_result run(std::vector<std::string> args,
                 std::vector<std::string> env = {}) {
    return run_console_on(port, std::move(args), std::move(env));
  }
};

console_peer& peer() {
  static console_peer instance;
  return instance;
}

/// A port on 127.0.0.1 that nothing listens on (bound, read and closed).
uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace

BOOST_AUTO_TEST_SUITE(one_shot)

BOOST_AUTO_TEST_CASE(status_lists_components_and_versions) {
  auto r = peer().run({"status"});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, std::string{"store "} + store_version()));
  BOOST_TEST(contains(r.out, "console protocol 1"));
  BOOST_TEST(contains(r.out, "PostgreSQL 15."));
  for (auto c : {"registry", "pool", "router", "dispatcher", "session"})
    BOOST_TEST(contains(r.out, c), c);
  BOOST_TEST(!contains(r.out, "DOWN"));
  auto j = json_result(peer().run({"--json", "status"}));
  BOOST_TEST(j["protocol"].GetUint() == console_protocol_version);
  BOOST_TEST(j["store_version"].GetString() == std::string{store_version()});
  BOOST_TEST(j["components"].Size() == 5u);
  for (auto& c : j["components"].GetArray())
    BOOST_TEST(c["running"].GetBool(), c["name"].GetString());
  BOOST_TEST(j["uptime_s"].GetDouble() > 0);
  BOOST_TEST(j["projections"].GetUint() == 1u);
}

BOOST_AUTO_TEST_CASE(health_shows_pool_breaker_and_queue) {
  auto r = peer().run({"health"});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "connected (1 of 1 connections up)"));
  BOOST_TEST(contains(r.out, "circuit breaker"));
  BOOST_TEST(contains(r.out, "outage queue"));
  auto j = json_result(peer().run({"--json", "health"}));
  BOOST_TEST(j["health"].GetString() == std::string{"connected"});
  BOOST_TEST(j["breaker"].GetString() == std::string{"closed"});
  BOOST_TEST(j["pool_size"].GetUint() == 1u);
  BOOST_TEST(j["queued"].GetUint() == 0u);
  BOOST_TEST(j["appends"].GetUint() >= 4u);
  // The breaker's counts and each connection's state.
  BOOST_TEST(j["breaker_opened"].GetUint() == 0u);
  BOOST_TEST(j["breaker_window_calls"].GetUint() >= 1u);
  BOOST_TEST(j["connections"].Size() == 1u);
  BOOST_TEST(contains(r.out, "calls of its window; opened 0 times"));
}

BOOST_AUTO_TEST_CASE(streams_are_paged_with_their_versions) {
  auto& p = peer();
  // Streams after the category's name: its own two come first.
  auto r = p.run({"streams", p.category, "1"});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, p.category + "-1"));
  BOOST_TEST(!contains(r.out, p.category + "-bad"));
  BOOST_TEST(contains(r.out, "more: streams " + p.category + "-1"));
  auto j = json_result(p.run({"--json", "streams", p.category + "-1", "1"}));
  BOOST_REQUIRE(j["streams"].Size() == 1u);
  BOOST_TEST(j["streams"][0]["stream"].GetString() == p.category + "-bad");
  BOOST_TEST(j["streams"][0]["version"].GetInt64() == 1);
  auto all = json_result(p.run({"--json", "streams", p.category, "2"}));
  BOOST_REQUIRE(all["streams"].Size() == 2u);
  BOOST_TEST(all["streams"][0]["version"].GetInt64() == 3);
}

BOOST_AUTO_TEST_CASE(stream_prints_events_pretty) {
  auto& p = peer();
  auto r = p.run({"stream", p.category + "-1"});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "stream " + p.category + "-1: version 3"));
  BOOST_TEST(contains(r.out, "#1  PlayerJoined"));
  BOOST_TEST(contains(r.out, "#3  PlayerJoined"));
  BOOST_TEST(contains(r.out, "      \"display_name\": \"Ann\""));
  auto j =
      json_result(p.run({"--json", "stream", p.category + "-1", "2", "1"}));
  BOOST_REQUIRE(j["events"].Size() == 1u);
  BOOST_TEST(j["events"][0]["version"].GetInt64() == 2);
  BOOST_TEST(j["events"][0]["data"]["display_name"].GetString() ==
             std::string{"Bob"});
  BOOST_TEST(j["info"]["version"].GetInt64() == 3);
}

BOOST_AUTO_TEST_CASE(a_missing_stream_is_an_error_with_exit_status_1) {
  auto& p = peer();
  auto r = p.run({"stream", p.category + "-nope"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(contains(r.err, "not_found"), r.err);
  BOOST_TEST(contains(r.err, p.category + "-nope"), r.err);
  BOOST_TEST(r.out.empty());
  auto j = p.run({"--json", "stream", p.category + "-nope"});
  BOOST_TEST(j.status == 1);
  rapidjson::Document doc;
  doc.Parse(j.out.c_str());
  BOOST_REQUIRE(doc.IsObject());
  BOOST_TEST(doc["error"]["code"].GetString() == std::string{"not_found"});
}

BOOST_AUTO_TEST_CASE(subscriptions_show_position_lag_and_parked) {
  auto& p = peer();
  auto name = p.category + "-sub";
  // The subscription parks the event of <category>-bad on its first try.
  rapidjson::Document j;
  auto parked = [&] {
    j = json_result(p.run({"--json", "subscriptions"}));
    for (auto& s : j["subscriptions"].GetArray())
      if (s["name"].GetString() == name && s["parked"].GetUint() == 1 &&
          s["position"].GetInt64() >= 4)
        return true;
    return false;
  };
  BOOST_REQUIRE(eventually(parked, 60s));
  for (auto& s : j["subscriptions"].GetArray())
    if (s["name"].GetString() == name) {
      BOOST_TEST(s["running"].GetBool());
      BOOST_TEST(s["owner"].GetString() == std::string{"this process"});
      BOOST_TEST(s["lag"].GetInt64() >= 0);
      BOOST_TEST(s.HasMember("in_flight"));
    }
  auto r = p.run({"subscriptions"});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "NAME"));
  BOOST_TEST(contains(r.out, "LAG"));
  BOOST_TEST(contains(line_of(r.out, name + " "), "this process"), r.out);
}

BOOST_AUTO_TEST_CASE(parked_lists_the_parked_event_and_replay_keeps_it) {
  auto& p = peer();
  auto name = p.category + "-sub";
  BOOST_REQUIRE(eventually(
      [&] {
        auto j = json_result(p.run({"--json", "parked", name}));
        return j["parked"].Size() == 1u;
      },
      60s));
  auto r = p.run({"parked", name});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, p.category + "-bad"));
  BOOST_TEST(contains(r.out, "the subscriber declined it"));
  // The subscriber declines it again: replayed 0, still parked.
  auto replay = p.run({"replay", name});
  BOOST_TEST(replay.status == 0, replay.err);
  BOOST_TEST(contains(replay.out, "replayed 0 parked events of " + name));
  auto j = json_result(p.run({"--json", "parked", name}));
  BOOST_TEST(j["parked"].Size() == 1u);
  auto missing = p.run({"parked", "no-such-sub"});
  BOOST_TEST(missing.status == 1);
  BOOST_TEST(contains(missing.err, "does not exist"), missing.err);
}

BOOST_AUTO_TEST_CASE(registry_lists_types_versions_and_upcasters) {
  auto r = peer().run({"registry"});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "PlayerJoined"));
  BOOST_TEST(contains(r.out, "1->2"));
  auto j = json_result(peer().run({"--json", "registry"}));
  bool joined = false;
  for (auto& t : j["types"].GetArray())
    if (t["type"].GetString() == std::string{"PlayerJoined"}) {
      joined = true;
      BOOST_TEST(t["latest"].GetInt() == 2);
      BOOST_TEST(t["upcasters"].Size() == 1u);
    }
  BOOST_TEST(joined);
}

BOOST_AUTO_TEST_CASE(metrics_report_rates_groups_and_lag) {
  auto r = peer().run({"metrics"});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "append rate (10 s)"));
  BOOST_TEST(contains(r.out, "mean group size"));
  BOOST_TEST(contains(r.out, "dispatch lag"));
  BOOST_TEST(contains(r.out, "append latency"));
  BOOST_TEST(contains(r.out, " appends)")); // "p50 ... ms, p99 ... ms (N appends)"
  BOOST_TEST(contains(r.out, "events per transaction"));
  auto j = json_result(peer().run({"--json", "metrics"}));
  BOOST_TEST(j["appends"].GetUint() >= 4u);
  BOOST_TEST(j["mean_group_size"].GetDouble() >= 1.0);
  BOOST_TEST(j["log_horizon"].GetInt64() >= 4);
  BOOST_TEST(j["dispatch_lag"].GetInt64() >= 0);
  // Percentiles from the pool's latency histogram.
  BOOST_TEST(j["append_latency"]["count"].GetUint64() >= 4u);
  BOOST_TEST(j["append_latency"]["p99_ms"].GetDouble() > 0.0);
  BOOST_TEST(j["append_latency"]["p50_ms"].GetDouble()
             <= j["append_latency"]["p99_ms"].GetDouble());
  BOOST_TEST(j["group_events_mean"].GetDouble() >= 1.0);
}

BOOST_AUTO_TEST_CASE(rebuild_shows_progress_and_finishes) {
  auto& p = peer();
  auto name = p.category + "-state";
  auto before = json_result(p.run({"--json", "projections", name}));
  auto generation = before["projections"][0]["generation"].GetInt64();
  auto r = p.run({"rebuild", name});
  BOOST_TEST(r.status == 0, r.err);
  BOOST_TEST(contains(r.out, "rebuild of " + name + " started"));
  BOOST_TEST(contains(r.out, "] 100% ("));
  BOOST_TEST(contains(r.out, "rebuild of " + name + " finished"));
  auto after = json_result(p.run({"--json", "projections", name}));
  BOOST_TEST(after["projections"][0]["generation"].GetInt64() > generation);
  auto unknown = p.run({"rebuild", "nothing-here"});
  BOOST_TEST(unknown.status == 1);
  BOOST_TEST(contains(unknown.err, "no projection nothing-here"), unknown.err);
}

BOOST_AUTO_TEST_CASE(an_unknown_command_is_a_usage_error) {
  auto r = peer().run({"frobnicate"});
  BOOST_TEST(r.status == 2);
  BOOST_TEST(contains(r.err, "unknown command 'frobnicate'"), r.err);
  BOOST_TEST(contains(r.err, "help"));
  auto args = peer().run({"stream"});
  BOOST_TEST(args.status == 2);
  BOOST_TEST(contains(args.err, "usage: stream ID"), args.err);
}

BOOST_AUTO_TEST_CASE(nothing_listening_is_named) {
  auto port = closed_port();
  auto r = run_console_on(port, {"status"});
  BOOST_TEST(r.status == 3);
  BOOST_TEST(contains(r.err, "nothing is listening on 127.0.0.1:" +
                                 std::to_string(port)),
             r.err);
}

BOOST_AUTO_TEST_CASE(a_protocol_version_mismatch_is_named) {
  auto r = peer().run({"status"}, {"ES_CONSOLE_PROTOCOL=999"});
  BOOST_TEST(r.status == 3);
  BOOST_TEST(contains(r.err, "version mismatch"), r.err);
  BOOST_TEST(contains(r.err, "console protocol 999"), r.err);
  BOOST_TEST(contains(r.err, "speaks protocol " +
                                 std::to_string(console_protocol_version)),
             r.err);
  BOOST_TEST(r.out.empty());
}

BOOST_AUTO_TEST_CASE(tail_follows_new_events_until_interrupted) {
  auto& p = peer();
  child tail{
      ES_CONSOLE,
      {"--port", std::to_string(p.port), "tail", "category:" + p.category}};
  BOOST_REQUIRE_MESSAGE(
      eventually([&] { return contains(tail.out(), "following category:"); }),
      tail.err());
  // Another process appends: the node learns of it through NOTIFY.
  auto direct = open_store();
  auto cat = registry::game_catalog();
  stream_append part{
      p.category + "-2", expected_version::any(), {joined_event(cat, "Eve")}};
  auto appended = direct.append(std::move(part));
  BOOST_REQUIRE(appended);
  BOOST_REQUIRE_MESSAGE(eventually([&] {
                          return contains(tail.out(),
                                          "\"display_name\": \"Eve\"");
                        }),
                        tail.out() << tail.err());
  BOOST_TEST(contains(tail.out(), "stream " + p.category + "-2"));
  BOOST_TEST(!contains(tail.out(), "\"Ann\""));
  tail.signal(SIGINT);
  BOOST_TEST(tail.wait() == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(interactive)

BOOST_AUTO_TEST_CASE(runs_commands_line_by_line_until_quit) {
  auto& p = peer();
  auto input = temp_path("input");
  {
    std::ofstream in{input};
    in << "status\n\nstream " << p.category << "-nope\nfrobnicate\nhealth\n"
       << "quit\nstatus\n";
  }
  auto home = temp_path("home");
  ::mkdir(home.c_str(), 0700);
  child c{
      ES_CONSOLE, {"--port", std::to_string(p.port)}, {"HOME=" + home}, input};
  BOOST_TEST(c.wait() == 0);
  auto out = c.out();
  auto err = c.err();
  BOOST_TEST(contains(out, "connected. Type help"));
  BOOST_TEST(contains(out, "COMPONENT"));
  BOOST_TEST(contains(out, "circuit breaker"));
  // Errors are printed and the session goes on; nothing after quit runs.
  BOOST_TEST(contains(err, p.category + "-nope"), err);
  BOOST_TEST(contains(err, "unknown command 'frobnicate'"), err);
  auto first = out.find("COMPONENT");
  BOOST_TEST(out.find("COMPONENT", first + 1) == std::string::npos);
  // The history is kept in the home directory.
  auto history = slurp(home + "/.es_console_history");
  BOOST_TEST(contains(history, "health"), history);
  std::remove((home + "/.es_console_history").c_str());
  ::rmdir(home.c_str());
  std::remove(input.c_str());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(in_process)

struct middleman_config : test_system_config {
  middleman_config() { load<caf::io::middleman>(); }
};

BOOST_AUTO_TEST_CASE(a_published_inspector_lets_the_store_shut_down) {
  middleman_config cfg;
  caf::actor_system sys{cfg};
  auto s = start(sys, test_options());
  BOOST_REQUIRE(s);
  auto port = publish_inspector(sys, s->node(), {});
  BOOST_REQUIRE_MESSAGE(port, (port ? "" : describe(port.error())));
  auto r = run_console_on(*port, {"status"});
  BOOST_TEST(r.status == 0, r.err);
  s->stop();
  // The inspector quits with the node: the system's destructor returns.
}

BOOST_AUTO_TEST_CASE(a_store_stops_while_a_console_tails_it) {
  std::optional<child> tail;
  {
    middleman_config cfg;
    caf::actor_system sys{cfg};
    auto s = start(sys, test_options());
    BOOST_REQUIRE(s);
    auto port = publish_inspector(sys, s->node(), {});
    BOOST_REQUIRE(port);
    tail.emplace(ES_CONSOLE, std::vector<std::string>{
                                 "--port", std::to_string(*port), "tail"});
    BOOST_REQUIRE_MESSAGE(
        eventually([&] { return contains(tail->out(), "following all"); }),
        tail->err());
    s->stop();
    // Leaving the block destroys the system: it must not wait for the
    // console (the tail's forwarder goes with the inspector).
  }
  BOOST_TEST(tail->wait() == 3);
  BOOST_TEST(contains(tail->err(), "connection to the store was lost"),
             tail->err());
}

BOOST_AUTO_TEST_CASE(status_and_health_answer_while_the_database_is_down) {
  tcp_proxy proxy{upstream_of(test_database())};
  middleman_config cfg;
  caf::actor_system sys{cfg};
  auto opts = test_options();
  opts.dsn = proxied_dsn(test_database(), proxy.port());
  opts.health_interval = 100ms;
  opts.backoff.initial = 10ms;
  opts.backoff.max = 200ms;
  opts.breaker.open_duration = 200ms;
  auto s = start(sys, opts);
  BOOST_REQUIRE(s);
  inspector_endpoint where;
  where.request_timeout = 2s;
  auto port = publish_inspector(sys, s->node(), where);
  BOOST_REQUIRE(port);
  proxy.set_mode(proxy_mode::refuse);
  proxy.cut_all();
  BOOST_REQUIRE(eventually([&] {
    auto j = json_result(run_console_on(*port, {"--json", "health"}));
    return j["health"].GetString() == std::string{"down"};
  }));
  auto health = run_console_on(*port, {"health"});
  BOOST_TEST(health.status == 0, health.err);
  BOOST_TEST(contains(health.out, "down (0 of 2 connections up)"), health.out);
  auto status = run_console_on(*port, {"status"});
  BOOST_TEST(status.status == 0, status.err);
  BOOST_TEST(contains(status.out, "PostgreSQL unavailable"), status.out);
  BOOST_TEST(!contains(status.out, "DOWN"), status.out);
  // Reads of the database fail with the store's error, and say so.
  auto streams = run_console_on(*port, {"streams"});
  BOOST_TEST(streams.status == 1);
  BOOST_TEST(!streams.err.empty());
  BOOST_TEST_MESSAGE("streams while the database is down: " << streams.err);
  proxy.set_mode(proxy_mode::pass);
  BOOST_REQUIRE(eventually([&] {
    auto j = json_result(run_console_on(*port, {"--json", "health"}));
    return j["health"].GetString() == std::string{"connected"};
  }));
  s->stop();
}

BOOST_AUTO_TEST_CASE(binding_beyond_loopback_needs_permission) {
  middleman_config cfg;
  caf::actor_system sys{cfg};
  auto s = start(sys, test_options());
  BOOST_REQUIRE(s);
  inspector_endpoint anywhere;
  anywhere.bind = "0.0.0.0";
  auto refused = publish_inspector(sys, s->node(), anywhere);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(contains(describe(refused.error()), "no authentication"));
  test_system_config plain;
  caf::actor_system without{plain};
  auto no_mm = publish_inspector(without, s->node(), {});
  BOOST_REQUIRE(!no_mm);
  BOOST_TEST(contains(describe(no_mm.error()), "middleman"));
}

BOOST_AUTO_TEST_SUITE_END()
