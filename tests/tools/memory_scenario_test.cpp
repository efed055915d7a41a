// es-bench's memory scenario (tools/bench/memory.hpp), small, on the test
// database: every touched stream's actor is passivated, and every
// subscriber receives every event. Resident memory is reported, never
// compared with a bound here (es-bench does that, on a quiet machine).
#define BOOST_TEST_MODULE bench_memory
#include <boost/test/unit_test.hpp>

#include "actors/store.hpp"
#include "registry/game_catalog.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/printing.hpp"
#include "tools/bench/memory.hpp"

#include <algorithm>

using namespace es;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(touched_streams_go_idle_and_subscribers_get_everything) {
  test::test_system_config cfg;
  caf::actor_system sys{cfg};
  auto cat = std::make_shared<const registry::catalog>(registry::game_catalog());
  auto opts = test::test_options();
  opts.stream_idle_timeout = 300ms;
  auto s = start(sys, opts, cat);
  BOOST_REQUIRE_MESSAGE(s, error_of(s));
  bench::memory_plan plan;
  plan.streams = 300;
  plan.concurrency = 16;
  plan.subscribers = 20;
  plan.events = 30;
  plan.timeout = 120s;
  // A category: no dash (the part of a stream id before its first dash).
  auto category = test::unique_stream("mem");
  category.erase(std::remove(category.begin(), category.end(), '-'),
                 category.end());
  auto r = bench::run_memory(sys, *s, category,
                             test::joined_event(*cat), plan);
  BOOST_REQUIRE_MESSAGE(r, error_of(r));
  BOOST_TEST_MESSAGE("resident MiB: start " << r->start_mib << ", streams "
                     << r->streams_peak_mib << ", idle " << r->streams_idle_mib
                     << ", subscribers " << r->subscribers_mib);
  BOOST_TEST(r->active_streams == 0u);
  BOOST_TEST(r->delivered == plan.subscribers * plan.events);
  BOOST_TEST(r->streams_peak_mib > 0.0);
  auto st = s->status();
  BOOST_REQUIRE_MESSAGE(st, error_of(st));
  BOOST_TEST(st->router.passivated >= plan.streams);
  s->stop();
}
