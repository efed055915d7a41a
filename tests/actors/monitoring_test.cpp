// The HTTP monitoring endpoint (actors/monitoring.hpp) against a node on the
// test database: /healthz, /readyz and /metrics over real HTTP, read with
// cpp-httplib's client.
#define BOOST_TEST_MODULE monitoring
#include <boost/test/unit_test.hpp>

#include "actors/monitoring.hpp"
#include "actors/subscriber.hpp"
#include "messages/error.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <httplib.h>

#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;

namespace {

struct monitoring_fixture {
  test_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<const registry::catalog> cat =
      std::make_shared<const registry::catalog>(registry::game_catalog());

  store start_store() {
    auto s = start(sys, test_options(), cat);
    BOOST_REQUIRE_MESSAGE(s, error_of(s));
    return std::move(*s);
  }

  monitoring_endpoint serve(const store& s) {
    http_options opts;
    opts.enabled = true;
    opts.port = 0;
    auto ep = monitoring_endpoint::start(sys, s.node(), opts);
    BOOST_REQUIRE_MESSAGE(ep, error_of(ep));
    BOOST_REQUIRE(ep->active());
    BOOST_REQUIRE(ep->port() != 0);
    return std::move(*ep);
  }
};

struct reply {
  int status = 0;
  std::string body;
  std::string content_type;
};

/// GET `path` on 127.0.0.1:`port`; nullopt when nothing answers.
std::optional<reply> get(uint16_t port, const std::string& path) {
  httplib::Client client{"127.0.0.1", port};
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  auto res = client.Get(path.c_str());
  if (!res)
    return std::nullopt;
  return reply{res->status, res->body,
               res->get_header_value("Content-Type")};
}

/// Samples of a /metrics page by series ("name{labels}"), after checking
/// that the page is well formed: every sample belongs to a family whose
/// HELP and TYPE came before it, once each, and every line parses.
std::map<std::string, double> parse_metrics(const std::string& text) {
  static const std::regex help{R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+)"};
  static const std::regex type{
      R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))"};
  static const std::regex sample{
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")"
      R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*")*\})? (\S+))"};
  std::map<std::string, double> out;
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  std::istringstream in{text};
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, help)) {
      BOOST_TEST(helped.insert(m[1]).second, "one HELP for " << m[1]);
      continue;
    }
    if (std::regex_match(line, m, type)) {
      BOOST_TEST(helped.count(m[1]) == 1u, "HELP before TYPE of " << m[1]);
      BOOST_TEST(types.emplace(m[1], m[2]).second, "one TYPE for " << m[1]);
      continue;
    }
    BOOST_TEST_REQUIRE(std::regex_match(line, m, sample),
                       "a well-formed line: '" << line << "'");
    std::string name = m[1];
    auto family = name;
    for (auto suffix : {"_bucket", "_sum", "_count"}) {
      auto n = std::string{suffix}.size();
      if (types.count(family) == 0 && name.size() > n
          && name.compare(name.size() - n, n, suffix) == 0)
        family = name.substr(0, name.size() - n);
    }
    BOOST_TEST(types.count(family) == 1u, "a TYPE line for " << name);
    if (family != name)
      BOOST_TEST(types[family] == "histogram");
    auto value = m[3].str();
    out[name + m[2].str()] = value == "+Inf" ? 1e300 : std::stod(value);
  }
  return out;
}

/// The series of /metrics now.
std::map<std::string, double> metrics(uint16_t port) {
  auto r = get(port, "/metrics");
  BOOST_REQUIRE(r.has_value());
  BOOST_REQUIRE_MESSAGE(r->status == 200, r->body);
  BOOST_TEST(r->content_type.find("text/plain; version=0.0.4")
             != std::string::npos);
  return parse_metrics(r->body);
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(monitoring, monitoring_fixture)

BOOST_AUTO_TEST_CASE(off_by_default_nothing_listens) {
  auto s = start_store();
  http_options defaults_only;
  BOOST_TEST(!defaults_only.enabled);
  auto ep = monitoring_endpoint::start(sys, s.node(), defaults_only);
  BOOST_REQUIRE_MESSAGE(ep, error_of(ep));
  BOOST_TEST(!ep->active());
  BOOST_TEST(ep->port() == 0);
  BOOST_TEST(!get(defaults::http_port, "/healthz").has_value());
}

BOOST_AUTO_TEST_CASE(health_and_readiness) {
  auto s = start_store();
  auto ep = serve(s);
  auto health = get(ep.port(), "/healthz");
  BOOST_REQUIRE(health.has_value());
  BOOST_TEST(health->status == 200);
  BOOST_TEST(health->body == "ok\n");
  // Ready once a pool connection is up (the pool connects at start).
  BOOST_TEST(eventually([&] {
    auto r = get(ep.port(), "/readyz");
    return r && r->status == 200 && r->body == "ready\n";
  }));
  BOOST_TEST(get(ep.port(), "/nope")->status == 404);
  // Once the node is gone, neither holds.
  s.stop();
  health = get(ep.port(), "/healthz");
  BOOST_REQUIRE(health.has_value());
  BOOST_TEST(health->status == 503);
  BOOST_TEST(health->body.find("does not answer") != std::string::npos,
             health->body);
  auto ready = get(ep.port(), "/readyz");
  BOOST_REQUIRE(ready.has_value());
  BOOST_TEST(ready->status == 503);
  BOOST_TEST(ready->body.find("not ready") != std::string::npos, ready->body);
  BOOST_TEST(get(ep.port(), "/metrics")->status == 503);
}

BOOST_AUTO_TEST_CASE(not_ready_names_the_reason) {
  node_status st;
  st.pool.connections_up = 0;
  st.pool.health = pool_health::down;
  BOOST_TEST(not_ready_reason(st).find("no connection") != std::string::npos);
  st.pool.connections_up = 2;
  st.pool.breaker = storage::breaker_state::open;
  BOOST_TEST(not_ready_reason(st).find("breaker is open") != std::string::npos);
  st.pool.breaker = storage::breaker_state::closed;
  BOOST_TEST(not_ready_reason(st) == "");
}

BOOST_AUTO_TEST_CASE(metrics_count_appends_and_show_the_pool) {
  auto s = start_store();
  auto ep = serve(s);
  BOOST_REQUIRE(eventually([&] {
    return metrics(ep.port())["es_pool_connections_up"] == 2;
  }));
  auto before = metrics(ep.port());
  BOOST_TEST(before["es_up"] == 1);
  BOOST_TEST(before["es_pool_size"] == 2);
  BOOST_TEST(before["es_breaker_state{state=\"closed\"}"] == 1);
  BOOST_TEST(before["es_breaker_state{state=\"open\"}"] == 0);
  BOOST_TEST(before["es_pool_health{health=\"connected\"}"] == 1);
  BOOST_TEST(before["es_pool_connections{state=\"idle\"}"]
                 + before["es_pool_connections{state=\"busy\"}"]
             == 2);
  BOOST_TEST(before.count("es_outage_queue_appends") == 1u);
  BOOST_TEST(before.count("es_component_restarts_total") == 1u);
  auto stream = unique_stream("mon");
  auto res = s.append(stream, expected_version::no_stream(),
                      joined_events(*cat, 3));
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  auto after = metrics(ep.port());
  BOOST_TEST(after["es_appends_total"] == before["es_appends_total"] + 1);
  BOOST_TEST(after["es_events_appended_total"]
             == before["es_events_appended_total"] + 3);
  BOOST_TEST(after["es_transactions_total"]
             >= before["es_transactions_total"] + 1);
  BOOST_TEST(after["es_append_duration_seconds_count"]
             == before["es_append_duration_seconds_count"] + 1);
  BOOST_TEST(after["es_append_duration_seconds_bucket{le=\"+Inf\"}"]
             == after["es_append_duration_seconds_count"]);
  BOOST_TEST(after["es_append_duration_seconds_sum"]
             > before["es_append_duration_seconds_sum"]);
  BOOST_TEST(after["es_group_commit_events_count"]
             >= before["es_group_commit_events_count"] + 1);
  BOOST_TEST(after["es_group_commit_events_sum"]
             >= before["es_group_commit_events_sum"] + 3);
  BOOST_TEST(after["es_streams_active"] >= 1);
  // A read shows up in the read histogram.
  auto page = s.read_stream(stream, 1, 10);
  BOOST_REQUIRE_MESSAGE(page, error_of(page));
  auto read = metrics(ep.port());
  BOOST_TEST(read["es_read_duration_seconds_count"]
             >= after["es_read_duration_seconds_count"] + 1);
  // The same figures ride in pool_status, for the console.
  auto st = s.status();
  BOOST_REQUIRE_MESSAGE(st, error_of(st));
  BOOST_TEST(st->pool.metrics.events >= 3u);
  BOOST_TEST(st->pool.metrics.append_latency.count() >= 1u);
  BOOST_TEST(st->pool.metrics.connections.size() == 2u);
}

BOOST_AUTO_TEST_CASE(metrics_show_each_subscription_with_its_lag) {
  auto s = start_store();
  auto ep = serve(s);
  // A category of its own: "monsub_<pid>x<n>".
  auto category = unique_stream("monsub");
  category[category.find('-')] = '_';
  std::atomic<size_t> seen{0};
  subscription_spec spec;
  spec.name = category;
  spec.filter = log_filter::category(category);
  spec.start = start_from::origin;
  spec.subscriber = spawn_subscriber(sys, [&](const recorded_event&) {
    ++seen;
    return true;
  });
  auto sub = s.subscribe(spec);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  auto res = s.append(category + "-1", expected_version::any(),
                      joined_events(*cat, 2));
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  BOOST_REQUIRE(eventually([&] { return seen == 2; }));
  auto label = "{subscription=\"" + category + "\"}";
  // Caught up: no lag once its checkpoint reaches the head of the log.
  BOOST_TEST(eventually([&] {
    auto m = metrics(ep.port());
    return m.count("es_subscription_lag_events" + label) == 1
           && m["es_subscription_lag_events" + label] == 0
           && m["es_subscription_delivered_total" + label] == 2;
  }));
  auto m = metrics(ep.port());
  BOOST_TEST(m["es_subscriptions"] >= 1);
  BOOST_TEST(m["es_subscriptions_unanswered"] == 0);
  BOOST_TEST(m["es_subscription_parked_events" + label] == 0);
  BOOST_TEST(m["es_log_position"] >= res->positions.back());
}

BOOST_AUTO_TEST_CASE(a_busy_port_is_an_error_naming_the_address) {
  auto s = start_store();
  auto first = serve(s);
  http_options opts;
  opts.enabled = true;
  opts.port = first.port();
  auto second = monitoring_endpoint::start(sys, s.node(), opts);
  BOOST_REQUIRE(!second);
  BOOST_TEST(describe(second.error()).find(
                 "127.0.0.1:" + std::to_string(first.port()))
             != std::string::npos);
  // Stopping frees the port.
  first.stop();
  BOOST_TEST(!first.active());
  BOOST_TEST(!get(opts.port, "/healthz").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
