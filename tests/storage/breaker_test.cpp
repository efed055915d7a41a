// The circuit breaker: when it opens, how it fails fast, how it probes and
// closes, and that time (passed in, never read from a clock) drives it.
#include "messages/error.hpp"
#include "storage/breaker.hpp"
#include "tests/printing.hpp"
#include "tests/storage/resilience_printing.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace es;
using namespace es::storage;
using namespace std::chrono_literals;

namespace {

using time_point = circuit_breaker::time_point;

const time_point t0 = time_point{} + 1h;

/// Count criterion only (the rate criterion needs more calls than we make).
breaker_options by_count(size_t threshold = 5) {
  breaker_options opts;
  opts.window = 10s;
  opts.failure_threshold = threshold;
  opts.failure_rate = 0.5;
  opts.min_calls = 1000;
  opts.open_duration = 5s;
  opts.half_open_probes = 1;
  return opts;
}

/// Rate criterion only.
breaker_options by_rate(double rate = 0.5, size_t min_calls = 10) {
  auto opts = by_count(1000);
  opts.failure_rate = rate;
  opts.min_calls = min_calls;
  return opts;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// A breaker whose hook keeps every transition.
struct fixture {
  std::vector<breaker_transition> log;
  circuit_breaker make(breaker_options opts) {
    return circuit_breaker{
        opts, [this](const breaker_transition& x) { log.push_back(x); }};
  }
  /// Opens a count-criterion breaker at `t0`.
  circuit_breaker opened(breaker_options opts = by_count(1)) {
    auto b = make(opts);
    b.record_failure(t0);
    BOOST_REQUIRE(b.state(t0) == breaker_state::open);
    return b;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(breaker, fixture)

BOOST_AUTO_TEST_CASE(defaults_come_from_config_and_are_valid) {
  breaker_options opts;
  BOOST_TEST(opts.window == defaults::breaker_window);
  BOOST_TEST(opts.failure_threshold == defaults::breaker_failure_threshold);
  BOOST_TEST(opts.failure_rate == defaults::breaker_failure_rate);
  BOOST_TEST(opts.min_calls == defaults::breaker_min_calls);
  BOOST_TEST(opts.open_duration == defaults::breaker_open_duration);
  BOOST_TEST(opts.half_open_probes == defaults::breaker_half_open_probes);
  BOOST_TEST(!validate(opts));
}

BOOST_AUTO_TEST_CASE(validation_names_the_option) {
  auto check = [](breaker_options opts, const char* name) {
    auto err = validate(opts);
    BOOST_TEST(err == ec::invalid_argument);
    BOOST_TEST(contains(describe(err), name), describe(err));
  };
  auto opts = by_count();
  opts.window = 0s;
  check(opts, "breaker-window");
  opts = by_count(0);
  check(opts, "breaker-failure-threshold");
  opts = by_rate(0.0);
  check(opts, "breaker-failure-rate");
  opts = by_rate(1.01);
  check(opts, "breaker-failure-rate");
  opts = by_rate(0.5, 0);
  check(opts, "breaker-min-calls");
  opts = by_count();
  opts.open_duration = -1s;
  check(opts, "breaker-open-duration");
  opts = by_count();
  opts.half_open_probes = 0;
  check(opts, "breaker-half-open-probes");
}

BOOST_AUTO_TEST_CASE(starts_closed_and_admits) {
  auto b = make(by_count());
  BOOST_TEST(b.state(t0) == breaker_state::closed);
  auto a = b.admit(t0);
  BOOST_TEST(a.allowed);
  BOOST_TEST(!a.probe);
  BOOST_TEST(!b.last_transition());
  BOOST_TEST(log.empty());
}

BOOST_AUTO_TEST_CASE(opens_after_count) {
  auto b = make(by_count(5));
  for (int i = 0; i < 4; ++i) {
    b.record_success(t0 + i * 100ms);
    b.record_failure(t0 + i * 100ms + 50ms);
  }
  BOOST_TEST(b.state(t0 + 1s) == breaker_state::closed);
  BOOST_TEST(b.window_failures() == 4u);
  BOOST_TEST(b.window_calls() == 8u);
  BOOST_TEST(log.empty());
  b.record_failure(t0 + 1s);
  BOOST_TEST(b.state(t0 + 1s) == breaker_state::open);
  BOOST_TEST(!b.admit(t0 + 1s).allowed);
  BOOST_REQUIRE_EQUAL(log.size(), 1u);
  BOOST_TEST(log[0].from == breaker_state::closed);
  BOOST_TEST(log[0].to == breaker_state::open);
  BOOST_TEST(log[0].at == t0 + 1s);
  BOOST_TEST(log[0].cause == "5 failures of 9 calls in the last 10s "
                             "(threshold 5)");
  BOOST_REQUIRE(b.last_transition());
  BOOST_TEST(b.last_transition()->cause == log[0].cause);
}

BOOST_AUTO_TEST_CASE(opens_after_rate_once_min_calls_are_reached) {
  auto b = make(by_rate(0.5, 10));
  // 5 failures of 8 calls: above the rate, but too few calls to judge.
  for (int i = 0; i < 3; ++i)
    b.record_success(t0 + i * 1ms);
  for (int i = 0; i < 5; ++i)
    b.record_failure(t0 + 10ms + i * 1ms);
  BOOST_TEST(b.state(t0 + 20ms) == breaker_state::closed);
  b.record_success(t0 + 21ms);
  BOOST_TEST(b.state(t0 + 21ms) == breaker_state::closed);
  // The 10th call: 6 of 10 failed.
  b.record_failure(t0 + 22ms);
  BOOST_TEST(b.state(t0 + 22ms) == breaker_state::open);
  BOOST_REQUIRE_EQUAL(log.size(), 1u);
  BOOST_TEST(log[0].cause == "failure rate 0.60 (6 of 10 calls) in the last "
                             "10s (threshold 0.50 over at least 10 calls)");
}

BOOST_AUTO_TEST_CASE(a_rate_below_the_threshold_stays_closed) {
  auto b = make(by_rate(0.5, 10));
  for (int i = 0; i < 60; ++i)
    b.record_success(t0 + i * 1ms);
  for (int i = 0; i < 40; ++i)
    b.record_failure(t0 + 100ms + i * 1ms);
  BOOST_TEST(b.state(t0 + 200ms) == breaker_state::closed);
  BOOST_TEST(b.window_calls() == 100u);
  // Exactly at the rate opens: 60 of 120.
  for (int i = 0; i < 19; ++i)
    b.record_failure(t0 + 200ms + i * 1ms);
  BOOST_TEST(b.state(t0 + 300ms) == breaker_state::closed);
  b.record_failure(t0 + 300ms);
  BOOST_TEST(b.state(t0 + 300ms) == breaker_state::open);
}

BOOST_AUTO_TEST_CASE(sliding_window_forgets_old_failures) {
  auto b = make(by_count(5));
  for (int i = 0; i < 4; ++i)
    b.record_failure(t0 + i * 1s); // t0, t0+1s, t0+2s, t0+3s
  // At t0+10s the failure of t0 is exactly one window old: forgotten.
  b.record_failure(t0 + 10s);
  BOOST_TEST(b.state(t0 + 10s) == breaker_state::closed);
  BOOST_TEST(b.window_failures() == 4u);
  // Just before t0+1s's failure leaves the window, a fifth one opens it.
  b.record_failure(t0 + 11s - 1ns);
  BOOST_TEST(b.state(t0 + 11s) == breaker_state::open);
  BOOST_REQUIRE_EQUAL(log.size(), 1u);
  BOOST_TEST(contains(log[0].cause, "5 failures of 5 calls"), log[0].cause);
}

BOOST_AUTO_TEST_CASE(failures_spread_thinly_never_open) {
  auto b = make(by_count(5));
  for (int i = 0; i < 1000; ++i)
    b.record_failure(t0 + i * 2500ms); // 4 per window at most
  BOOST_TEST(b.state(t0 + 2600s) == breaker_state::closed);
  BOOST_TEST(b.window_failures() <= 4u);
  BOOST_TEST(log.empty());
}

BOOST_AUTO_TEST_CASE(the_rate_window_forgets_old_calls_too) {
  auto b = make(by_rate(0.5, 10));
  for (int i = 0; i < 10; ++i)
    b.record_success(t0 + i * 1ms);
  // Ten seconds later the successes are gone and failures are all there is,
  // but 9 calls are too few to judge.
  for (int i = 0; i < 9; ++i)
    b.record_failure(t0 + 20s + i * 1ms);
  BOOST_TEST(b.window_calls() == 9u);
  BOOST_TEST(b.state(t0 + 21s) == breaker_state::closed);
  b.record_failure(t0 + 21s);
  BOOST_TEST(b.state(t0 + 21s) == breaker_state::open);
  BOOST_TEST(contains(log.at(0).cause, "failure rate 1.00 (10 of 10 calls)"));
}

BOOST_AUTO_TEST_CASE(open_fails_fast_with_the_time_left) {
  auto b = opened();
  auto a = b.admit(t0);
  BOOST_TEST(!a.allowed);
  BOOST_TEST(!a);
  BOOST_TEST(a.retry_after == 5s);
  BOOST_TEST(b.admit(t0 + 2s).retry_after == 3s);
  BOOST_TEST(b.admit(t0 + 5s - 1ms).retry_after == 1ms);
  auto err = circuit_open_error(b.admit(t0 + 1500ms));
  BOOST_TEST(err == ec::circuit_open);
  BOOST_TEST(describe(err) == "circuit_open: circuit breaker open: retry "
                              "after 3500ms");
  // Rounded up: never tells a caller to come back too early.
  BOOST_TEST(contains(describe(circuit_open_error(b.admit(t0 + 1ns))),
                      "retry after 5000ms"));
  BOOST_TEST(log.size() == 1u);
}

BOOST_AUTO_TEST_CASE(state_reflects_time_passing) {
  auto b = opened();
  BOOST_TEST(b.state(t0 + 5s - 1ns) == breaker_state::open);
  BOOST_TEST(log.size() == 1u);
  BOOST_TEST(b.state(t0 + 5s) == breaker_state::half_open);
  BOOST_TEST(b.state(t0 + 6s) == breaker_state::half_open);
  BOOST_TEST(b.state(t0 + 1h) == breaker_state::half_open);
  // Reported once, when first seen.
  BOOST_REQUIRE_EQUAL(log.size(), 2u);
  BOOST_TEST(log[1].from == breaker_state::open);
  BOOST_TEST(log[1].to == breaker_state::half_open);
  BOOST_TEST(log[1].at == t0 + 5s);
  BOOST_TEST(log[1].cause == "open for 5s");
}

BOOST_AUTO_TEST_CASE(half_open_admits_exactly_one_probe_by_default) {
  auto b = opened();
  auto probe = b.admit(t0 + 5s);
  BOOST_TEST(probe.allowed);
  BOOST_TEST(probe.probe);
  for (int i = 0; i < 3; ++i) {
    auto a = b.admit(t0 + 5s + i * 1ms);
    BOOST_TEST(!a.allowed);
    BOOST_TEST(!a.probe);
    BOOST_TEST(a.retry_after == 5s);
  }
}

BOOST_AUTO_TEST_CASE(half_open_admits_exactly_n_probes) {
  auto opts = by_count(1);
  opts.half_open_probes = 3;
  auto b = opened(opts);
  for (int i = 0; i < 3; ++i) {
    auto a = b.admit(t0 + 6s);
    BOOST_TEST(a.allowed, "probe " << i);
    BOOST_TEST(a.probe);
  }
  BOOST_TEST(!b.admit(t0 + 6s).allowed);
  BOOST_TEST(!b.admit(t0 + 7s).allowed);
}

BOOST_AUTO_TEST_CASE(a_probe_success_closes) {
  auto b = opened();
  BOOST_REQUIRE(b.admit(t0 + 5s).probe);
  b.record_success(t0 + 5100ms);
  BOOST_TEST(b.state(t0 + 5100ms) == breaker_state::closed);
  BOOST_REQUIRE_EQUAL(log.size(), 3u);
  BOOST_TEST(log[2].from == breaker_state::half_open);
  BOOST_TEST(log[2].to == breaker_state::closed);
  BOOST_TEST(log[2].cause == "1 of 1 probes succeeded");
  for (int i = 0; i < 10; ++i)
    BOOST_TEST(b.admit(t0 + 5200ms).allowed);
  BOOST_TEST(b.window_calls() == 0u);
  // Nothing from before is left in the window to be pruned later.
  b.record_success(t0 + 30s);
  BOOST_TEST(b.window_calls() == 1u);
  BOOST_TEST(b.window_failures() == 0u);
}

BOOST_AUTO_TEST_CASE(closing_needs_every_probe) {
  auto opts = by_count(1);
  opts.half_open_probes = 2;
  auto b = opened(opts);
  BOOST_REQUIRE(b.admit(t0 + 5s).probe);
  BOOST_REQUIRE(b.admit(t0 + 5s).probe);
  b.record_success(t0 + 5100ms);
  BOOST_TEST(b.state(t0 + 5100ms) == breaker_state::half_open);
  BOOST_TEST(!b.admit(t0 + 5100ms).allowed);
  b.record_success(t0 + 5200ms);
  BOOST_TEST(b.state(t0 + 5200ms) == breaker_state::closed);
  BOOST_TEST(log.back().cause == "2 of 2 probes succeeded");
}

BOOST_AUTO_TEST_CASE(a_probe_failure_reopens) {
  auto b = opened();
  BOOST_REQUIRE(b.admit(t0 + 5s).probe);
  b.record_failure(t0 + 5500ms);
  BOOST_TEST(b.state(t0 + 5500ms) == breaker_state::open);
  BOOST_REQUIRE_EQUAL(log.size(), 3u);
  BOOST_TEST(log[2].from == breaker_state::half_open);
  BOOST_TEST(log[2].to == breaker_state::open);
  BOOST_TEST(log[2].cause == "probe 1 of 1 failed");
  // A full open_duration again, counted from the failed probe.
  BOOST_TEST(b.admit(t0 + 5500ms).retry_after == 5s);
  BOOST_TEST(b.state(t0 + 10500ms - 1ns) == breaker_state::open);
  BOOST_TEST(b.state(t0 + 10500ms) == breaker_state::half_open);
  BOOST_TEST(b.admit(t0 + 10500ms).probe);
}

BOOST_AUTO_TEST_CASE(one_failed_probe_of_several_reopens) {
  auto opts = by_count(1);
  opts.half_open_probes = 3;
  auto b = opened(opts);
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE(b.admit(t0 + 5s).probe);
  b.record_success(t0 + 5100ms);
  b.record_failure(t0 + 5200ms);
  BOOST_TEST(b.state(t0 + 5200ms) == breaker_state::open);
  BOOST_TEST(log.back().cause == "probe 2 of 3 failed");
  // The third probe's late answer changes nothing.
  b.record_success(t0 + 5300ms);
  BOOST_TEST(b.state(t0 + 5300ms) == breaker_state::open);
  BOOST_TEST(log.size() == 3u);
}

BOOST_AUTO_TEST_CASE(late_answers_are_ignored) {
  auto b = opened();
  // While open: answers of calls admitted before the breaker opened.
  b.record_success(t0 + 1s);
  b.record_failure(t0 + 2s);
  BOOST_TEST(b.state(t0 + 2s) == breaker_state::open);
  BOOST_TEST(b.admit(t0 + 2s).retry_after == 3s);
  // Half-open with no probe outstanding.
  BOOST_TEST(b.state(t0 + 5s) == breaker_state::half_open);
  b.record_failure(t0 + 5s);
  b.record_success(t0 + 5s);
  BOOST_TEST(b.state(t0 + 5s) == breaker_state::half_open);
  BOOST_TEST(log.size() == 2u);
}

BOOST_AUTO_TEST_CASE(closing_starts_a_fresh_window) {
  auto b = make(by_count(5));
  for (int i = 0; i < 5; ++i)
    b.record_failure(t0 + i * 1ms);
  BOOST_REQUIRE(b.state(t0 + 5ms) == breaker_state::open);
  BOOST_REQUIRE(b.admit(t0 + 6s).probe);
  b.record_success(t0 + 6s);
  BOOST_REQUIRE(b.state(t0 + 6s) == breaker_state::closed);
  // The failures that opened it are not held against it again.
  for (int i = 0; i < 4; ++i)
    b.record_failure(t0 + 6s + i * 1ms);
  BOOST_TEST(b.state(t0 + 7s) == breaker_state::closed);
  b.record_failure(t0 + 7s);
  BOOST_TEST(b.state(t0 + 7s) == breaker_state::open);
}

BOOST_AUTO_TEST_CASE(every_transition_is_reported_once_in_order) {
  auto b = make(by_count(2));
  b.record_failure(t0);
  b.record_failure(t0 + 1s);  // closed -> open
  b.admit(t0 + 6s);           // open -> half-open, probe
  b.record_failure(t0 + 7s);  // half-open -> open
  b.state(t0 + 12s);          // open -> half-open
  b.state(t0 + 12s);          // nothing new
  b.admit(t0 + 12s);          // probe
  b.record_success(t0 + 13s); // half-open -> closed
  using s = breaker_state;
  std::vector<std::pair<s, s>> want{{s::closed, s::open},
                                    {s::open, s::half_open},
                                    {s::half_open, s::open},
                                    {s::open, s::half_open},
                                    {s::half_open, s::closed}};
  std::vector<time_point> when{t0 + 1s, t0 + 6s, t0 + 7s, t0 + 12s, t0 + 13s};
  BOOST_REQUIRE_EQUAL(log.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    BOOST_TEST(log[i].from == want[i].first, "transition " << i);
    BOOST_TEST(log[i].to == want[i].second, "transition " << i);
    BOOST_TEST(log[i].at == when[i], "transition " << i);
    BOOST_TEST(!log[i].cause.empty());
  }
  BOOST_TEST(b.last_transition()->to == breaker_state::closed);
}

BOOST_AUTO_TEST_CASE(works_without_a_hook) {
  circuit_breaker b{by_count(1)};
  b.record_failure(t0);
  BOOST_TEST(b.state(t0) == breaker_state::open);
  BOOST_REQUIRE(b.last_transition());
  BOOST_TEST(b.last_transition()->to == breaker_state::open);
}

BOOST_AUTO_TEST_SUITE_END()
