// The write path as actors, against real PostgreSQL: node, router, stream
// actors, the connection supervisor and group commit.
#include "actors/connection_supervisor.hpp"
#include "actors/stream_router.hpp"
#include "actors/version_cache.hpp"
#include "messages/error.hpp"
#include "storage/sql.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include <set>

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;

namespace {

struct runtime_fixture {
  test_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<const registry::catalog> cat =
      std::make_shared<const registry::catalog>(registry::game_catalog());

  store start_store(node_options opts = test_options()) {
    auto s = start(sys, std::move(opts), cat);
    BOOST_REQUIRE_MESSAGE(s, error_of(s));
    return std::move(*s);
  }

  /// Events of `stream` as stored, read with a connection of our own.
  std::vector<recorded_event> stored(const std::string& stream) {
    auto direct = open_store();
    auto page = direct.read_stream(stream, 1, 10'000);
    BOOST_REQUIRE_MESSAGE(page, error_of(page));
    return page->events;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(version_cache_logic)

BOOST_AUTO_TEST_CASE(rejects_only_provably_stale_expectations) {
  version_cache cache;
  auto a = uuid::v7(), b = uuid::v7(), c = uuid::v7(), d = uuid::v7();
  auto other = uuid::v7();
  BOOST_TEST(!cache.reject_stale("s", expected_version::exact(0), other));
  cache.learn(3, {a, b, c}); // versions 3, 4, 5
  cache.learn(1, {d});       // a lower bound never goes down
  BOOST_TEST(*cache.lower_bound() == 5);
  auto err = cache.reject_stale("s", expected_version::exact(3), other);
  BOOST_TEST(is(err, ec::wrong_expected_version));
  BOOST_TEST(describe(err).find("expected version exact(3)")
             != std::string::npos);
  BOOST_TEST(describe(err).find("actual version 5") != std::string::npos);
  // Another process may have appended: the database decides these.
  BOOST_TEST(!cache.reject_stale("s", expected_version::exact(5), other));
  BOOST_TEST(!cache.reject_stale("s", expected_version::exact(9), other));
  BOOST_TEST(!cache.reject_stale("s", expected_version::any(), other));
  BOOST_TEST(!cache.reject_stale("s", expected_version::stream_exists(),
                                 other));
  cache.forget();
  BOOST_TEST(!cache.reject_stale("s", expected_version::exact(1), other));
}

BOOST_AUTO_TEST_CASE(a_retry_of_a_committed_append_is_not_rejected) {
  version_cache cache;
  auto a = uuid::v7(), b = uuid::v7(), c = uuid::v7();
  cache.learn(1, {a, b});
  cache.learn(3, {c});
  // The same first event at the same place: maybe a retry, the database
  // answers it as a replay.
  BOOST_TEST(!cache.reject_stale("s", expected_version::exact(0), a));
  BOOST_TEST(!cache.reject_stale("s", expected_version::exact(2), c));
  BOOST_TEST(is(cache.reject_stale("s", expected_version::exact(0), c),
                ec::wrong_expected_version));
}

BOOST_AUTO_TEST_CASE(only_the_last_events_are_remembered) {
  version_cache cache;
  std::vector<uuid> ids;
  for (size_t i = 0; i < version_cache::remembered + 10; ++i)
    ids.push_back(uuid::v7());
  cache.learn(1, ids);
  // Versions forgotten: not provable, the database decides.
  BOOST_TEST(!cache.reject_stale("s", expected_version::exact(0), uuid::v7()));
  BOOST_TEST(is(cache.reject_stale("s", expected_version::exact(20),
                                   uuid::v7()),
                ec::wrong_expected_version));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(node, runtime_fixture)

BOOST_AUTO_TEST_CASE(appends_and_reads_through_the_node) {
  auto s = start_store();
  auto stream = unique_stream("node");
  auto first = s.append(stream, expected_version::no_stream(),
                        joined_events(*cat, 2));
  BOOST_REQUIRE_MESSAGE(first, error_of(first));
  BOOST_TEST(first->first_version == 1);
  BOOST_TEST(first->last_version == 2);
  auto second =
      s.append(stream, expected_version::exact(2), joined_events(*cat, 1));
  BOOST_REQUIRE_MESSAGE(second, error_of(second));
  BOOST_TEST(second->last_version == 3);
  auto page = s.read_stream(stream, 1, 10);
  BOOST_REQUIRE_MESSAGE(page, error_of(page));
  BOOST_TEST(page->events.size() == 3u);
  BOOST_TEST(page->events[2].stream_version == 3);
  auto info = s.info(stream);
  BOOST_REQUIRE_MESSAGE(info, error_of(info));
  BOOST_TEST(info->version == 3);
  auto log = s.read_all(first->positions[0], 3);
  BOOST_REQUIRE_MESSAGE(log, error_of(log));
  BOOST_TEST(log->events.front().global_position == first->positions[0]);
}

BOOST_AUTO_TEST_CASE(a_stale_expected_version_is_rejected_from_the_cache) {
  auto s = start_store();
  auto stream = unique_stream("stale");
  BOOST_REQUIRE(static_cast<bool>(s.append(stream, expected_version::any(), joined_events(*cat, 3))));
  auto stale =
      s.append(stream, expected_version::exact(1), joined_events(*cat, 1));
  BOOST_REQUIRE(!stale);
  BOOST_TEST(is(stale.error(), ec::wrong_expected_version));
  // The cache's own message: the database was not asked.
  BOOST_TEST(describe(stale.error()).find("or later (nothing written)")
             != std::string::npos);
  BOOST_TEST(stored(stream).size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_retried_append_is_a_replay_after_later_appends) {
  // The bot's request timed out and it retries after the stream moved on:
  // the stream actor's cache knows a later version, but the retry must
  // reach the database and be recognised (idempotence by event id).
  auto s = start_store();
  auto stream = unique_stream("retry");
  auto first = joined_events(*cat, 2);
  BOOST_REQUIRE(static_cast<bool>(s.append(stream, expected_version::exact(0), first)));
  BOOST_REQUIRE(static_cast<bool>(s.append(stream, expected_version::exact(2),
                                            joined_events(*cat, 1))));
  auto retried = s.append(stream, expected_version::exact(0), first);
  BOOST_REQUIRE_MESSAGE(retried, error_of(retried));
  BOOST_TEST(retried->replayed);
  BOOST_TEST(retried->first_version == 1);
  BOOST_TEST(retried->last_version == 2);
  BOOST_TEST(stored(stream).size() == 3u);
  // Other events with the same stale expectation are still turned away.
  auto stale = s.append(stream, expected_version::exact(0),
                        joined_events(*cat, 2));
  BOOST_REQUIRE(!stale);
  BOOST_TEST(is(stale.error(), ec::wrong_expected_version));
}

BOOST_AUTO_TEST_CASE(a_conflict_found_by_the_database_is_reported) {
  auto s = start_store();
  auto stream = unique_stream("dbconflict");
  // Another writer (a second process) appends behind the node's back.
  auto direct = open_store();
  BOOST_REQUIRE(static_cast<bool>(direct.append({stream, expected_version::any(),
                               joined_events(*cat, 2)})));
  auto r = s.append(stream, expected_version::no_stream(),
                    joined_events(*cat, 1));
  BOOST_REQUIRE(!r);
  BOOST_TEST(is(r.error(), ec::wrong_expected_version));
  // And with the version the other writer produced, it works.
  auto ok = s.append(stream, expected_version::exact(2), joined_events(*cat, 1));
  BOOST_REQUIRE_MESSAGE(ok, error_of(ok));
  BOOST_TEST(ok->last_version == 3);
}

BOOST_AUTO_TEST_CASE(invalid_events_never_reach_the_database) {
  auto s = start_store();
  auto stream = unique_stream("invalid");
  auto bad = joined_event(*cat);
  bad.data = R"({"player_id":"not a snowflake"})";
  auto r = s.append(stream, expected_version::any(), {bad});
  BOOST_REQUIRE(!r);
  BOOST_TEST(is(r.error(), ec::invalid_event));
  BOOST_TEST(describe(r.error()).find(stream) != std::string::npos);
  auto unknown = joined_event(*cat);
  unknown.type = "no_such_event";
  auto u = s.append(stream, expected_version::any(), {unknown});
  BOOST_REQUIRE(!u);
  BOOST_TEST(is(u.error(), ec::unknown_type));
  auto info = s.info(stream);
  BOOST_REQUIRE(!info);
  BOOST_TEST(is(info.error(), ec::not_found));
  // The stream actor carries on.
  BOOST_TEST(static_cast<bool>(s.append(stream, expected_version::no_stream(),
                      joined_events(*cat, 1))));
}

BOOST_AUTO_TEST_CASE(concurrent_appends_share_transactions) {
  auto opts = test_options();
  opts.pool_size = 2;
  auto s = start_store(opts);
  auto base = unique_stream("group");
  constexpr int streams = 100;
  caf::scoped_actor self{sys};
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (int i = 0; i < streams; ++i) {
    append_command cmd;
    cmd.part = stream_append{base + "-" + std::to_string(i),
                             // One stream expects a version it does not have.
                             i == 7 ? expected_version::exact(5)
                                    : expected_version::no_stream(),
                             joined_events(*cat, 1)};
    cmd.deadline = deadline;
    self->send(s.node(), append_atom_v, std::move(cmd));
  }
  int ok = 0;
  int conflicts = 0;
  for (int i = 0; i < streams; ++i)
    self->receive([&](append_result&) { ++ok; },
                  [&](caf::error& err) {
                    BOOST_TEST(is(err, ec::wrong_expected_version),
                               describe(err));
                    ++conflicts;
                  });
  BOOST_TEST(ok == streams - 1);
  BOOST_TEST(conflicts == 1);
  auto st = s.status();
  BOOST_REQUIRE_MESSAGE(st, error_of(st));
  BOOST_TEST(st->pool.appends >= uint64_t{streams - 1});
  // Group commit: far fewer transactions than appends.
  BOOST_TEST(st->pool.transactions < st->pool.appends);
  BOOST_TEST_MESSAGE("100 concurrent appends in " << st->pool.transactions
                                                  << " transactions");
}

BOOST_AUTO_TEST_CASE(appends_to_one_stream_keep_their_order) {
  auto s = start_store();
  auto stream = unique_stream("order");
  caf::scoped_actor self{sys};
  auto deadline = std::chrono::steady_clock::now() + 30s;
  std::vector<uuid> ids;
  for (int i = 0; i < 50; ++i) {
    append_command cmd;
    cmd.part = stream_append{stream, expected_version::any(),
                             joined_events(*cat, 1)};
    ids.push_back(cmd.part.events[0].id);
    cmd.deadline = deadline;
    self->send(s.node(), append_atom_v, std::move(cmd));
  }
  int64_t last = 0;
  for (int i = 0; i < 50; ++i)
    self->receive(
        [&](append_result& r) {
          BOOST_TEST(r.first_version == last + 1); // replies in order
          last = r.last_version;
        },
        [&](caf::error& err) { BOOST_FAIL(describe(err)); });
  auto events = stored(stream);
  BOOST_REQUIRE(events.size() == 50u);
  for (size_t i = 0; i < events.size(); ++i)
    BOOST_TEST(events[i].id == ids[i]);
}

BOOST_AUTO_TEST_CASE(relaxed_appends_commit_and_are_readable) {
  auto s = start_store();
  auto stream = unique_stream("relaxed");
  append_options relaxed;
  relaxed.mode = durability::relaxed;
  auto r = s.append(stream, expected_version::any(), joined_events(*cat, 2),
                    relaxed);
  BOOST_REQUIRE_MESSAGE(r, error_of(r));
  BOOST_TEST(stored(stream).size() == 2u);
}

BOOST_AUTO_TEST_CASE(idle_stream_actors_are_passivated) {
  auto opts = test_options();
  opts.stream_idle_timeout = 20ms;
  auto s = start_store(opts);
  auto stream = unique_stream("idle");
  BOOST_REQUIRE(static_cast<bool>(s.append(stream, expected_version::no_stream(),
                         joined_events(*cat, 1))));
  BOOST_TEST(eventually([&] {
    auto st = s.status();
    return st && st->router.active_streams == 0 && st->router.passivated >= 1;
  }));
  // A new stream actor takes over, and the database still checks versions.
  auto again =
      s.append(stream, expected_version::exact(1), joined_events(*cat, 1));
  BOOST_REQUIRE_MESSAGE(again, error_of(again));
  BOOST_TEST(again->last_version == 2);
}

BOOST_AUTO_TEST_CASE(stopping_flushes_queued_appends) {
  auto s = start_store();
  auto stream = unique_stream("flush");
  caf::scoped_actor self{sys};
  auto deadline = std::chrono::steady_clock::now() + 30s;
  for (int i = 0; i < 20; ++i) {
    append_command cmd;
    cmd.part = stream_append{stream + "-" + std::to_string(i),
                             expected_version::any(), joined_events(*cat, 1)};
    cmd.deadline = deadline;
    self->send(s.node(), append_atom_v, std::move(cmd));
  }
  s.stop();
  int ok = 0;
  for (int i = 0; i < 20; ++i)
    self->receive([&](append_result&) { ++ok; },
                  [&](caf::error& err) {
                    // Only appends that arrived after the stop began may
                    // fail, and then clearly.
                    BOOST_TEST(is(err, ec::unavailable), describe(err));
                  });
  // Every acknowledged append is stored.
  int found = 0;
  for (int i = 0; i < 20; ++i) {
    auto direct = open_store();
    auto info = direct.get_stream_info(stream + "-" + std::to_string(i));
    found += info ? 1 : 0;
  }
  BOOST_TEST(found == ok);
  BOOST_TEST(ok > 0);
}

BOOST_AUTO_TEST_CASE(the_node_restarts_components_and_escalates) {
  auto opts = test_options();
  opts.max_restarts = 2;
  opts.restart_window = 60s;
  auto s = start_store(opts);
  caf::scoped_actor self{sys};
  auto kill = [&](component which) {
    caf::actor victim;
    self->request(s.node(), 5s, status_atom_v, which)
        .receive([&](caf::actor& a) { victim = a; },
                 [&](caf::error& err) { BOOST_FAIL(describe(err)); });
    BOOST_REQUIRE(victim);
    self->send_exit(victim, caf::exit_reason::kill);
  };
  auto appends_work = [&] {
    return static_cast<bool>(s.append(unique_stream("restart"),
                                      expected_version::no_stream(),
                                      joined_events(*cat, 1)));
  };
  // The pool dies: the node restarts it (and the router after it).
  kill(component::pool);
  BOOST_TEST(eventually([&] {
    auto st = s.status();
    return st && st->restarts == 1 && appends_work();
  }));
  // The router dies: restarted too; other components keep running.
  kill(component::router);
  BOOST_TEST(eventually([&] {
    auto st = s.status();
    return st && st->restarts == 2 && appends_work();
  }));
  // One crash more than max_restarts within the window: the node stops.
  self->monitor(s.node());
  kill(component::registry);
  bool down = false;
  self->receive([&](caf::down_msg& dm) { down = dm.source == s.node().address(); },
                caf::after(std::chrono::seconds{30}) >> [] {});
  BOOST_TEST(down);
  BOOST_TEST(!appends_work());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(router, runtime_fixture)

BOOST_AUTO_TEST_CASE(a_crashed_stream_actor_is_replaced_and_others_carry_on) {
  auto opts = test_options();
  auto source = std::make_shared<registry::catalog_source>(cat);
  auto pool = sys.spawn(connection_supervisor, opts);
  auto router = sys.spawn(stream_router, pool, source, 60'000ms);
  // Stops both even when a check below ends the test early; otherwise the
  // actor system would wait for them forever.
  struct stopper {
    caf::actor_system& sys;
    std::vector<caf::actor> actors;
    ~stopper() {
      caf::scoped_actor self{sys};
      for (auto& a : actors) {
        self->send_exit(a, caf::exit_reason::user_shutdown);
        self->wait_for(a);
      }
    }
  } guard{sys, {caf::actor_cast<caf::actor>(router),
                caf::actor_cast<caf::actor>(pool)}};
  caf::scoped_actor self{sys};
  auto a = unique_stream("crash-a");
  auto b = unique_stream("crash-b");
  auto append = [&](const std::string& stream, expected_version ev) {
    append_command cmd;
    cmd.part = stream_append{stream, ev, joined_events(*cat, 1)};
    cmd.deadline = std::chrono::steady_clock::now() + 20s;
    caf::expected<append_result> out{caf::error{}};
    self->request(router, 30s, append_atom_v, std::move(cmd))
        .receive([&](append_result& r) { out = std::move(r); },
                 [&](caf::error& err) { out = std::move(err); });
    return out;
  };
  BOOST_REQUIRE(static_cast<bool>(append(a, expected_version::no_stream())));
  BOOST_REQUIRE(static_cast<bool>(append(b, expected_version::no_stream())));
  stream_actor victim;
  self->request(router, 5s, status_atom_v, a)
      .receive([&](stream_actor& h) { victim = h; },
               [&](caf::error& err) { BOOST_FAIL(describe(err)); });
  BOOST_REQUIRE(victim);
  self->send_exit(victim, caf::exit_reason::kill);
  BOOST_TEST(eventually([&] {
    router_status st;
    self->request(router, 5s, status_atom_v)
        .receive([&](router_status& s) { st = s; }, [&](caf::error&) {});
    return st.crashed == 1;
  }));
  // The replacement reloads nothing it could get wrong: the database
  // checks the version, and the new actor learns it from this commit.
  auto again = append(a, expected_version::exact(1));
  BOOST_REQUIRE_MESSAGE(again, error_of(again));
  BOOST_TEST(again->last_version == 2);
  auto other = append(b, expected_version::exact(1));
  BOOST_REQUIRE_MESSAGE(other, error_of(other));
  BOOST_TEST(stored(a).size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
