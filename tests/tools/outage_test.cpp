// es-bench's outage scenario (tools/bench/outage.hpp), short, on a cluster
// of its own: PostgreSQL stopped under a steady append load and started
// again loses no acknowledged event and stores none twice. Counts only,
// never timings.
#define BOOST_TEST_MODULE bench_outage
#include <boost/test/unit_test.hpp>

#include "actors/store.hpp"
#include "registry/game_catalog.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/printing.hpp"
#include "tools/bench/outage.hpp"

#include <unistd.h>

#include <filesystem>

using namespace es;
using namespace std::chrono_literals;

namespace {

/// Runs the scenario with `mode` on a fresh cluster and checks the counts.
void outage_keeps_every_acknowledged_event(storage::stop_mode mode,
                                           const std::string& tag) {
  storage::cluster_options copts;
  copts.data_dir = std::filesystem::temp_directory_path()
                   / ("es-outage-test-" + tag + "-"
                      + std::to_string(::getpid()));
  copts.ephemeral = true;
  copts.fsync = false;
  auto cluster = storage::embedded_cluster::start(copts);
  BOOST_REQUIRE_MESSAGE(cluster, error_of(cluster));
  test::test_system_config cfg;
  caf::actor_system sys{cfg};
  auto cat = std::make_shared<const registry::catalog>(registry::game_catalog());
  node_options opts;
  opts.dsn = cluster->dsn();
  opts.pool_size = 2;
  opts.request_timeout = 60s;
  opts.backoff.initial = 10ms;
  opts.backoff.max = 200ms;
  opts.breaker.open_duration = 200ms;
  auto s = start(sys, opts, cat);
  BOOST_REQUIRE_MESSAGE(s, error_of(s));
  bench::outage_plan plan;
  plan.rate = 100;
  plan.streams = 4;
  plan.before = 500ms;
  plan.down = 1500ms;
  plan.after = 500ms;
  plan.mode = mode;
  auto r = bench::run_outage(sys, *s, copts, "outage" + tag,
                             test::joined_event(*cat), plan);
  BOOST_REQUIRE_MESSAGE(r, error_of(r));
  BOOST_TEST_MESSAGE(tag << ": sent " << r->sent << ", acknowledged "
                         << r->acknowledged << ", failed " << r->failed
                         << ", recovered in " << r->recover_ms << " ms");
  BOOST_TEST(r->sent > 0u);
  BOOST_TEST(r->acknowledged + r->failed == r->sent);
  // Appends queued through the outage commit once the server is back.
  BOOST_TEST(r->acknowledged > 0u);
  BOOST_TEST(r->lost == 0u);
  BOOST_TEST(r->duplicated == 0u);
  s->stop();
}

} // namespace

BOOST_AUTO_TEST_CASE(a_fast_stop_loses_and_duplicates_nothing) {
  outage_keeps_every_acknowledged_event(storage::stop_mode::fast, "fast");
}

BOOST_AUTO_TEST_CASE(a_crash_loses_and_duplicates_nothing) {
  outage_keeps_every_acknowledged_event(storage::stop_mode::immediate,
                                        "crash");
}
