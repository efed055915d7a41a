// Fault injection against real PostgreSQL: the write path under broken
// connections, outages and crashes. Connections are broken at chosen
// moments by a loopback TCP proxy (tests/support/tcp_proxy.hpp), by
// pg_terminate_backend, and by stopping a cluster of the suite's own in
// immediate mode. What must hold every time:
// - every append gets a success or a clear es error;
// - every acknowledged event is in the database exactly once;
// - every stream's versions are 1..n without gaps;
// - the store recovers by itself (the time to the first acknowledged
//   append after the fault ends is reported, never asserted).
#include "messages/error.hpp"
#include "storage/embedded_cluster.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"
#include "tests/support/tcp_proxy.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/scoped_actor.hpp>

#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unistd.h>

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

/// Options for tests that break connections: quick reconnects and a breaker
/// that re-closes quickly, no periodic health checks (so that a proxy trap
/// is sprung by an append, not by a health check).
node_options fault_options(std::string dsn) {
  node_options opts;
  opts.dsn = std::move(dsn);
  opts.pool_size = 2;
  opts.request_timeout = 30s;
  opts.health_interval = std::chrono::hours{1};
  opts.backoff.initial = 10ms;
  opts.backoff.max = 200ms;
  opts.breaker.open_duration = 200ms;
  return opts;
}

struct fault_fixture {
  test_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<const registry::catalog> cat =
      std::make_shared<const registry::catalog>(registry::game_catalog());
  tcp_proxy proxy{upstream_of(test_database())};

  store start_store(node_options opts) {
    auto s = start(sys, std::move(opts), cat);
    BOOST_REQUIRE_MESSAGE(s, error_of(s));
    return std::move(*s);
  }

  /// A store whose pool connects through the proxy.
  store proxied_store(node_options opts = fault_options({})) {
    opts.dsn = proxied_dsn(test_database(), proxy.port());
    return start_store(std::move(opts));
  }

  /// Sends an append without waiting; the reply arrives at `self`.
  void send_append(caf::scoped_actor& self, store& s, const std::string& stream,
                   std::vector<event_data> events,
                   std::chrono::milliseconds timeout = 30s) {
    append_command cmd;
    cmd.part = stream_append{stream, expected_version::any(), std::move(events)};
    cmd.deadline = clock_type::now() + timeout;
    self->send(s.node(), append_atom_v, std::move(cmd));
  }
};

/// Checks a stream as stored: versions 1..n without gaps, no event id twice,
/// and every id in `acked` present. Returns the number of stored events.
size_t check_stream(storage::event_store& direct, const std::string& stream,
                    const std::vector<uuid>& acked) {
  auto page = direct.read_stream(stream, 1, 10'000);
  if (!page && is(page.error(), ec::not_found)) {
    BOOST_TEST(acked.empty());
    return 0;
  }
  BOOST_REQUIRE_MESSAGE(page, error_of(page));
  std::set<uuid> ids;
  for (size_t i = 0; i < page->events.size(); ++i) {
    BOOST_TEST(page->events[i].stream_version == int64_t(i + 1));
    BOOST_TEST(ids.insert(page->events[i].id).second, "event stored twice");
  }
  for (auto& id : acked)
    BOOST_TEST(ids.count(id) == 1u, "acknowledged event missing");
  return page->events.size();
}

/// A sustained load: `streams` callers (one thread each) append 1-2 events
/// at a time until `appends_each` calls are done, recording what was
/// acknowledged and every error.
class load {
public:
  load(store& s, const registry::catalog& cat, std::string prefix,
       size_t streams, size_t appends_each)
      : store_(s), cat_(cat), prefix_(std::move(prefix)) {
    acked_.resize(streams);
    ack_times_.reserve(streams * appends_each);
    for (size_t i = 0; i < streams; ++i)
      threads_.emplace_back([this, i, appends_each] { run(i, appends_each); });
  }

  ~load() { join(); }

  void join() {
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
  }

  std::string stream(size_t i) const {
    return prefix_ + "-" + std::to_string(i);
  }

  /// Waits until `n` calls were acknowledged or `limit` passed; returns
  /// whether they were.
  bool wait_acked(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> guard{mtx_};
    return acked_cv_.wait_for(guard, limit, [&] { return calls_ok_ >= n; });
  }

  /// The first acknowledgement at or after `t`.
  std::optional<clock_type::time_point> first_ack_after(clock_type::time_point t) {
    std::lock_guard<std::mutex> guard{mtx_};
    std::optional<clock_type::time_point> out;
    for (auto at : ack_times_)
      if (at >= t && (!out || at < *out))
        out = at;
    return out;
  }

  /// Verifies the database behind `direct` against what was acknowledged.
  void verify(storage::event_store& direct) {
    join();
    size_t stored = 0;
    size_t acked = 0;
    for (size_t i = 0; i < acked_.size(); ++i) {
      stored += check_stream(direct, stream(i), acked_[i]);
      acked += acked_[i].size();
    }
    BOOST_TEST(stored >= acked);
    BOOST_TEST_MESSAGE(acked << " events acknowledged, " << stored
                             << " stored, " << errors_.size() << " errors");
    for (auto& [text, count] : errors_)
      BOOST_TEST_MESSAGE("  " << count << "x " << text);
  }

private:
  void run(size_t i, size_t appends_each) {
    for (size_t k = 0; k < appends_each; ++k) {
      auto events = joined_events(cat_, 1 + (k % 2));
      std::vector<uuid> ids;
      for (auto& ev : events)
        ids.push_back(ev.id);
      append_options opts;
      opts.timeout = 5s; // a store that never recovers ends the test in minutes
      auto r = store_.append(stream(i), expected_version::any(),
                             std::move(events), opts);
      std::lock_guard<std::mutex> guard{mtx_};
      if (r) {
        acked_[i].insert(acked_[i].end(), ids.begin(), ids.end());
        ack_times_.push_back(clock_type::now());
        ++calls_ok_;
        acked_cv_.notify_all();
      } else {
        // A clear error of this store, never a silent or foreign one.
        auto& err = r.error();
        BOOST_TEST((is(err, ec::timeout) || is(err, ec::unavailable)
                    || is(err, ec::circuit_open)),
                   describe(err));
        ++errors_[describe(err).substr(0, 60)];
      }
    }
  }

  store& store_;
  const registry::catalog& cat_;
  std::string prefix_;
  std::vector<std::thread> threads_;
  std::mutex mtx_;
  std::vector<std::vector<uuid>> acked_;
  std::vector<clock_type::time_point> ack_times_;
  std::map<std::string, size_t> errors_;
  std::condition_variable acked_cv_;
  size_t calls_ok_ = 0; // guarded by mtx_
};

/// Shows that appends succeed again once PostgreSQL is back at `back`, and
/// how soon. The load's own appends may all have failed fast (the circuit
/// open) before the server was back; then more appends, made until one
/// succeeds, show it.
void report_recovery(const char* what, load& l, clock_type::time_point back,
                     store& s, const registry::catalog& cat) {
  auto first = l.first_ack_after(back);
  if (!first && eventually(
          [&] {
            append_options opts;
            opts.timeout = 5s;
            return static_cast<bool>(s.append(unique_stream("recovered"),
                                              expected_version::any(),
                                              {joined_event(cat)}, opts));
          },
          60s))
    first = clock_type::now();
  BOOST_REQUIRE_MESSAGE(first, "no append succeeded after " << what);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(*first - back);
  std::cout << "recovery after " << what << ": first acknowledged append "
            << ms.count() << " ms after PostgreSQL was back" << std::endl;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(faults, fault_fixture)

BOOST_AUTO_TEST_CASE(an_ambiguous_commit_is_acknowledged_exactly_once) {
  auto opts = fault_options({});
  opts.pool_size = 1;
  auto s = proxied_store(opts);
  // Warm up: connected, statements prepared.
  BOOST_REQUIRE(static_cast<bool>(s.append(unique_stream("warm"),
                                           expected_version::any(),
                                           joined_events(*cat, 1))));
  auto stream = unique_stream("ambiguous");
  auto events = joined_events(*cat, 2);
  auto ids = std::vector<uuid>{events[0].id, events[1].id};
  // The server receives the append's Sync and commits; the client's
  // connection is cut before it hears so.
  proxy.cut_after_client_sync(1);
  auto r = s.append(stream, expected_version::no_stream(), std::move(events));
  BOOST_REQUIRE_MESSAGE(r, error_of(r));
  BOOST_TEST(proxy.stats().trap_cuts == 1u);
  // Acknowledged because the retry found the events already stored.
  BOOST_TEST(r->replayed);
  BOOST_TEST(r->last_version == 2);
  auto direct = open_store();
  BOOST_TEST(check_stream(direct, stream, ids) == 2u);
  auto st = s.status();
  BOOST_REQUIRE_MESSAGE(st, error_of(st));
  BOOST_TEST(st->pool.retried >= 1u);
}

BOOST_AUTO_TEST_CASE(the_watchdog_breaks_a_stalled_connection) {
  auto opts = fault_options({});
  opts.pool_size = 1;
  opts.query_timeout = 300ms;
  auto s = proxied_store(opts);
  BOOST_REQUIRE(static_cast<bool>(s.append(unique_stream("warm"),
                                           expected_version::any(),
                                           joined_events(*cat, 1))));
  // The server stops answering (nothing moves either way) with an append
  // in flight: without the watchdog the worker would wait forever.
  proxy.set_mode(proxy_mode::stall);
  caf::scoped_actor self{sys};
  auto stream = unique_stream("stalled");
  auto events = joined_events(*cat, 1);
  auto id = events[0].id;
  send_append(self, s, stream, std::move(events));
  BOOST_TEST(eventually([&] {
    auto st = s.status();
    return st && st->pool.retried >= 1;
  }));
  proxy.set_mode(proxy_mode::pass);
  self->receive([&](append_result& r) { BOOST_TEST(r.last_version == 1); },
                [&](caf::error& err) { BOOST_FAIL(describe(err)); });
  auto direct = open_store();
  BOOST_TEST(check_stream(direct, stream, {id}) == 1u);
}

BOOST_AUTO_TEST_CASE(appends_wait_out_an_outage_and_complete_in_order) {
  auto opts = fault_options({});
  opts.breaker.failure_threshold = 1000; // this test is about the queue
  opts.breaker.min_calls = 1000;
  auto s = proxied_store(opts);
  auto stream = unique_stream("outage");
  BOOST_REQUIRE(static_cast<bool>(
      s.append(stream, expected_version::any(), joined_events(*cat, 1))));
  proxy.set_mode(proxy_mode::refuse);
  proxy.cut_all();
  caf::scoped_actor self{sys};
  std::vector<uuid> ids;
  for (int i = 0; i < 10; ++i) {
    auto events = joined_events(*cat, 1);
    ids.push_back(events[0].id);
    send_append(self, s, stream, std::move(events));
  }
  BOOST_TEST(eventually([&] {
    auto st = s.status();
    return st && st->pool.health == pool_health::down && st->pool.queued > 0;
  }));
  auto back = clock_type::now();
  proxy.set_mode(proxy_mode::pass);
  int64_t last = 1;
  for (int i = 0; i < 10; ++i)
    self->receive(
        [&](append_result& r) {
          BOOST_TEST(r.first_version == last + 1); // in order
          last = r.last_version;
        },
        [&](caf::error& err) { BOOST_FAIL(describe(err)); });
  std::cout << "recovery after a refused outage: queued appends committed "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   clock_type::now() - back)
                   .count()
            << " ms after PostgreSQL was reachable again" << std::endl;
  auto direct = open_store();
  ids.insert(ids.begin(), direct.read_stream(stream, 1, 1)->events[0].id);
  BOOST_TEST(check_stream(direct, stream, ids) == 11u);
}

BOOST_AUTO_TEST_CASE(appends_past_their_deadline_fail_with_timeout) {
  auto opts = fault_options({});
  opts.breaker.failure_threshold = 1000;
  opts.breaker.min_calls = 1000;
  auto s = proxied_store(opts);
  BOOST_REQUIRE(static_cast<bool>(s.append(
      unique_stream("warm"), expected_version::any(), joined_events(*cat, 1))));
  proxy.set_mode(proxy_mode::refuse);
  proxy.cut_all();
  auto stream = unique_stream("deadline");
  append_options quick;
  quick.timeout = 200ms;
  auto r = s.append(stream, expected_version::any(), joined_events(*cat, 1),
                    quick);
  BOOST_REQUIRE(!r);
  BOOST_TEST(is(r.error(), ec::timeout), describe(r.error()));
  proxy.set_mode(proxy_mode::pass);
  // It was never written, not even after PostgreSQL came back.
  BOOST_REQUIRE(static_cast<bool>(s.append(unique_stream("after"),
                                           expected_version::any(),
                                           joined_events(*cat, 1))));
  auto direct = open_store();
  BOOST_TEST(check_stream(direct, stream, {}) == 0u);
}

BOOST_AUTO_TEST_CASE(a_full_outage_queue_fails_appends_at_once) {
  auto opts = fault_options({});
  opts.breaker.failure_threshold = 1000;
  opts.breaker.min_calls = 1000;
  opts.group_commit.max_queue_items = 4;
  auto s = proxied_store(opts);
  BOOST_REQUIRE(static_cast<bool>(s.append(
      unique_stream("warm"), expected_version::any(), joined_events(*cat, 1))));
  proxy.set_mode(proxy_mode::refuse);
  proxy.cut_all();
  caf::scoped_actor self{sys};
  auto base = unique_stream("full");
  for (int i = 0; i < 10; ++i)
    send_append(self, s, base + "-" + std::to_string(i),
                joined_events(*cat, 1));
  // Some are refused at once; the rest wait for PostgreSQL.
  BOOST_TEST(eventually([&] {
    auto st = s.status();
    return st && st->pool.rejected >= 6;
  }));
  proxy.set_mode(proxy_mode::pass);
  int ok = 0;
  int full = 0;
  for (int i = 0; i < 10; ++i)
    self->receive([&](append_result&) { ++ok; },
                  [&](caf::error& err) {
                    BOOST_TEST(is(err, ec::unavailable), describe(err));
                    BOOST_TEST(describe(err).find("queue full")
                               != std::string::npos);
                    ++full;
                  });
  BOOST_TEST(ok == 4);
  BOOST_TEST(full == 6);
}

BOOST_AUTO_TEST_CASE(an_open_breaker_spares_the_server_while_appends_wait) {
  auto opts = fault_options({});
  opts.breaker.failure_threshold = 3;
  opts.breaker.open_duration = 2s;
  auto s = proxied_store(opts);
  BOOST_REQUIRE(static_cast<bool>(s.append(
      unique_stream("warm"), expected_version::any(), joined_events(*cat, 1))));
  proxy.set_mode(proxy_mode::refuse);
  proxy.cut_all();
  // The next appends find the connection broken; reconnect attempts fail
  // until the breaker opens.
  append_options quick;
  quick.timeout = 100ms;
  BOOST_TEST(eventually([&] {
    auto r = s.append(unique_stream("probe"), expected_version::any(),
                      joined_events(*cat, 1), quick);
    BOOST_TEST(!r);
    auto st = s.status();
    return st && st->pool.breaker == storage::breaker_state::open;
  }));
  // While it is open, an append is not refused: it waits in the outage
  // queue up to its deadline (DESIGN, guarantee 8), and meanwhile the pool
  // spares the server: no reconnect attempt but, should the breaker
  // half-open in between, its probe (backoff alone would try every 10-200
  // ms on each connection). Every attempt is a call in the breaker's
  // window, which only loses calls as time passes. (The proxy's count of
  // connections would include the session's reconnects.)
  auto before = s.status();
  BOOST_REQUIRE_MESSAGE(before, error_of(before));
  quick.timeout = 400ms;
  auto waited = s.append(unique_stream("waits"), expected_version::any(),
                         joined_events(*cat, 1), quick);
  BOOST_REQUIRE(!waited);
  BOOST_TEST(!is(waited.error(), ec::circuit_open), describe(waited.error()));
  BOOST_TEST((is(waited.error(), ec::timeout)
              || is(waited.error(), ec::unavailable)),
             describe(waited.error()));
  auto after = s.status();
  BOOST_REQUIRE_MESSAGE(after, error_of(after));
  BOOST_TEST(after->pool.metrics.breaker_window_calls
             <= before->pool.metrics.breaker_window_calls
                    + opts.breaker.half_open_probes);
  // An append sent while it is open, with time to wait, lands once the
  // server is back: a probe reconnects and the breaker closes.
  caf::scoped_actor self{sys};
  auto stream = unique_stream("lands");
  auto events = joined_events(*cat, 1);
  auto id = events[0].id;
  send_append(self, s, stream, std::move(events));
  proxy.set_mode(proxy_mode::pass);
  self->receive([&](append_result& r) { BOOST_TEST(r.last_version == 1); },
                [&](caf::error& err) { BOOST_FAIL(describe(err)); });
  auto st = s.status();
  BOOST_REQUIRE_MESSAGE(st, error_of(st));
  BOOST_TEST(storage::to_string(st->pool.breaker) == std::string{"closed"});
  auto direct = open_store();
  BOOST_TEST(check_stream(direct, stream, {id}) == 1u);
}

BOOST_AUTO_TEST_CASE(sustained_load_survives_terminated_backends) {
  auto opts = fault_options(test_database());
  opts.pool_size = 3;
  auto s = start_store(opts);
  load l{s, *cat, unique_stream("kill"), 32, 80};
  // A separate session kills the pool's backends three times under load.
  auto killer = open_store();
  clock_type::time_point back;
  for (size_t round = 1; round <= 3; ++round) {
    BOOST_REQUIRE(l.wait_acked(round * 500, 60s));
    auto killed = killer.connection().exec_sql(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() "
        "AND application_name = 'gamebot-es' AND pid <> pg_backend_pid()");
    BOOST_REQUIRE_MESSAGE(killed, error_of(killed));
    BOOST_TEST_MESSAGE("round " << round << ": terminated "
                                << killed->text(0, 0) << " backends");
    back = clock_type::now();
  }
  l.join();
  report_recovery("pg_terminate_backend", l, back, s, *cat);
  auto direct = open_store();
  l.verify(direct);
}

BOOST_AUTO_TEST_CASE(sustained_load_survives_a_crash_of_postgresql) {
  // A cluster of this test's own: stopping the shared one would break the
  // other suites.
  storage::cluster_options copts;
  copts.data_dir = std::filesystem::temp_directory_path()
                   / ("es-fault-pg-" + std::to_string(::getpid()));
  copts.ephemeral = true;
  copts.fsync = false;
  auto cluster = storage::embedded_cluster::start(copts);
  BOOST_REQUIRE_MESSAGE(cluster, error_of(cluster));
  auto opts = fault_options(cluster->dsn());
  auto s = start_store(opts);
  load l{s, *cat, unique_stream("crash"), 24, 80};
  BOOST_REQUIRE(l.wait_acked(400, 60s));
  auto stopped = storage::embedded_cluster::stop_at(
      copts.data_dir, false, storage::default_bin_dir,
      storage::stop_mode::immediate);
  BOOST_REQUIRE_MESSAGE(!stopped, describe(stopped));
  auto restarted = storage::embedded_cluster::start(copts);
  BOOST_REQUIRE_MESSAGE(restarted, error_of(restarted));
  auto back = clock_type::now();
  l.join();
  report_recovery("an immediate stop and restart", l, back, s, *cat);
  // Verify on the crashed cluster itself: every stream written, versions
  // without gaps, every acknowledged event there exactly once.
  auto direct = storage::event_store::open(restarted->dsn());
  BOOST_REQUIRE_MESSAGE(direct, error_of(direct));
  l.verify(*direct);
  for (size_t i = 0; i < 24; ++i)
    BOOST_TEST(static_cast<bool>(direct->get_stream_info(l.stream(i))));
  s.stop();
}

BOOST_AUTO_TEST_SUITE_END()
