// The storage side of the session connection (actors/session.hpp) against
// PostgreSQL: migration 4 notifies listeners once per inserting
// transaction, a terminated listener is reported as a broken connection,
// and the ownership locks of exclusive subscriptions are exclusive between
// sessions, released on disconnect, and never hold back the log horizon.
#include "messages/error.hpp"
#include "storage/sql.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <thread>

using namespace es;
namespace sql = es::sql;
using namespace std::chrono_literals;

namespace {

stream_append one_append(const std::string& stream, size_t events) {
  stream_append part;
  part.stream = stream;
  part.expected = expected_version::any();
  for (size_t i = 0; i < events; ++i) {
    event_data ev;
    ev.id = uuid::v7();
    ev.type = "E";
    ev.version = 1;
    ev.data = R"({"n":)" + std::to_string(i) + "}";
    ev.metadata = "{}";
    part.events.push_back(std::move(ev));
  }
  return part;
}

pg::connection listener() {
  auto conn = pg::connection::open(test::test_database(), "es-session-test");
  BOOST_REQUIRE_MESSAGE(conn, error_of(conn));
  auto res = conn->exec_sql(sql::listen_events);
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  return std::move(*conn);
}

/// Notifications on `conn` until `want` arrived or `limit` passed.
std::vector<pg::notification> collect(pg::connection& conn, size_t want,
                                      std::chrono::milliseconds limit) {
  std::vector<pg::notification> out;
  auto until = std::chrono::steady_clock::now() + limit;
  while (out.size() < want && std::chrono::steady_clock::now() < until) {
    auto ready = conn.wait_readable(50);
    BOOST_REQUIRE_MESSAGE(ready, error_of(ready));
    auto notes = conn.take_notifications();
    BOOST_REQUIRE_MESSAGE(notes, error_of(notes));
    out.insert(out.end(), notes->begin(), notes->end());
  }
  return out;
}

bool try_own(pg::connection& conn, const std::string& name) {
  auto res = conn.exec(sql::try_own_subscription, pg::params{}.add(name));
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  return res->boolean(0, 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(session_sql)

BOOST_AUTO_TEST_CASE(every_inserting_transaction_notifies_once) {
  auto listen = listener();
  auto store = test::open_store();
  // One transaction of 3 events in 2 streams, then one more of 1 event.
  std::vector<stream_append> both{one_append(test::unique_stream("n"), 2),
                                  one_append(test::unique_stream("n"), 1)};
  auto r1 = store.append(std::move(both));
  BOOST_REQUIRE_MESSAGE(r1, error_of(r1));
  auto r2 = store.append(one_append(test::unique_stream("n"), 1));
  BOOST_REQUIRE_MESSAGE(r2, error_of(r2));
  auto notes = collect(listen, 2, 30s);
  BOOST_REQUIRE_EQUAL(notes.size(), 2u);
  for (auto& n : notes) {
    BOOST_TEST(n.channel == sql::events_channel);
    BOOST_TEST(n.payload.empty());
    BOOST_TEST(n.sender_pid == store.connection().backend_pid());
  }
  // Nothing more comes (one per transaction, not per event or statement).
  auto more = collect(listen, 1, 300ms);
  BOOST_TEST(more.empty());
}

BOOST_AUTO_TEST_CASE(a_terminated_listener_reports_a_broken_connection) {
  auto listen = listener();
  auto killer = test::open_store();
  auto res =
      killer.connection().exec_sql(("SELECT pg_terminate_backend(" +
                                    std::to_string(listen.backend_pid()) + ")")
                                       .c_str());
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  caf::error broken;
  auto until = std::chrono::steady_clock::now() + 30s;
  while (!broken && std::chrono::steady_clock::now() < until) {
    if (auto ready = listen.wait_readable(50); !ready) {
      broken = ready.error();
      break;
    }
    if (auto notes = listen.take_notifications(); !notes)
      broken = notes.error();
  }
  BOOST_TEST(broken == ec::unavailable, describe(broken));
  BOOST_TEST(!listen.ok());
}

BOOST_AUTO_TEST_CASE(ownership_is_exclusive_and_ends_with_the_session) {
  auto name = test::unique_stream("owned");
  auto a = pg::connection::open(test::test_database());
  auto opened = pg::connection::open(test::test_database());
  BOOST_REQUIRE(a && opened);
  std::optional<pg::connection> b{std::move(*opened)};
  BOOST_TEST(try_own(*a, name));
  BOOST_TEST(try_own(*a, name)); // re-entrant within a session
  BOOST_TEST(!try_own(*b, name));
  BOOST_TEST(try_own(*b, name + "-other"));
  auto owner = b->exec(sql::subscription_owner, pg::params{}.add(name));
  BOOST_REQUIRE_MESSAGE(owner, error_of(owner));
  BOOST_REQUIRE_EQUAL(owner->rows(), 1);
  BOOST_TEST(owner->int64(0, 0) == a->backend_pid());
  // Released twice (it was taken twice), then b may take it.
  for (int i = 0; i < 2; ++i) {
    auto rel = a->exec(sql::disown_subscription, pg::params{}.add(name));
    BOOST_REQUIRE_MESSAGE(rel, error_of(rel));
    BOOST_TEST(rel->boolean(0, 0));
  }
  BOOST_TEST(try_own(*b, name));
  // b's session ends: a takes over without anyone unlocking.
  b.reset();
  auto until = std::chrono::steady_clock::now() + 30s;
  bool taken = false;
  while (!(taken = try_own(*a, name)) &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);
  BOOST_TEST(taken);
}

BOOST_AUTO_TEST_CASE(ownership_locks_do_not_hold_back_the_log_horizon) {
  auto store = test::open_store();
  auto r = store.append(one_append(test::unique_stream("h"), 1));
  BOOST_REQUIRE_MESSAGE(r, error_of(r));
  auto holder = pg::connection::open(test::test_database());
  BOOST_REQUIRE(holder);
  // Names hash anywhere in int4: take a few, so that some hashes are
  // negative and some large.
  for (int i = 0; i < 16; ++i)
    BOOST_TEST(try_own(*holder, "horizon-" + std::to_string(i)));
  auto horizon = store.log_horizon();
  BOOST_REQUIRE_MESSAGE(horizon, error_of(horizon));
  BOOST_TEST(*horizon >= r->positions.back());
}

BOOST_AUTO_TEST_SUITE_END()
