// Append and read semantics of storage::event_store against PostgreSQL.
#include "messages/error.hpp"
#include "storage/event_store.hpp"
#include "storage/sql.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

using namespace es;
using es::test::begin_open_append;
using es::test::open_store;
using es::test::unique_stream;

namespace {

event_data make_event(std::string type = "PlayerJoined", int n = 0) {
  event_data ev;
  ev.type = std::move(type);
  ev.data = R"({"player":"p)" + std::to_string(n) + R"(","score":)" +
            std::to_string(n) + "}";
  ev.metadata = R"({"correlation_id":"c-1","actor_id":"u-7"})";
  return ev;
}

std::vector<event_data> make_events(int n, const std::string& type = "E") {
  std::vector<event_data> out;
  for (int i = 0; i < n; ++i)
    out.push_back(make_event(type, i));
  return out;
}

stream_append part(std::string stream, expected_version ex,
                   std::vector<event_data> events) {
  return {std::move(stream), ex, std::move(events)};
}

int64_t version_of(storage::event_store& store, const std::string& stream) {
  auto info = store.get_stream_info(stream);
  BOOST_REQUIRE_MESSAGE(info, error_of(info));
  return info->version;
}

int64_t count_rows(storage::event_store& store, const std::string& stream) {
  auto page = store.read_stream(stream, 1, 10'000);
  if (!page)
    return 0;
  return static_cast<int64_t>(page->events.size());
}

#define REQUIRE_OK(expr)                                                       \
  do {                                                                         \
    auto&& ok_ = (expr);                                                       \
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(ok_),                              \
                          "unexpected error: " << error_of(ok_));              \
  } while (false)

#define REQUIRE_ERROR(expr, code)                                              \
  do {                                                                         \
    auto&& res_ = (expr);                                                      \
    BOOST_REQUIRE_MESSAGE(!res_, "expected error " #code);                     \
    BOOST_TEST_MESSAGE(error_of(res_));                                        \
    BOOST_REQUIRE_MESSAGE(res_.error() == code, "got " << error_of(res_));     \
  } while (false)

} // namespace

BOOST_AUTO_TEST_SUITE(append_expected_version)

BOOST_AUTO_TEST_CASE(versions_start_at_one_and_have_no_gaps) {
  auto store = open_store();
  auto s = unique_stream("game");
  auto r1 =
      store.append(part(s, expected_version::no_stream(), make_events(3)));
  REQUIRE_OK(r1);
  BOOST_TEST(r1->first_version == 1);
  BOOST_TEST(r1->last_version == 3);
  BOOST_TEST(r1->positions.size() == 3u);
  BOOST_TEST(r1->positions[0] < r1->positions[1]);
  BOOST_TEST(!r1->replayed);
  auto r2 = store.append(part(s, expected_version::exact(3), make_events(2)));
  REQUIRE_OK(r2);
  BOOST_TEST(r2->first_version == 4);
  BOOST_TEST(r2->last_version == 5);
  auto page = store.read_stream(s, 1, 100);
  REQUIRE_OK(page);
  std::vector<int64_t> versions;
  for (auto& ev : page->events)
    versions.push_back(ev.stream_version);
  BOOST_TEST(versions == (std::vector<int64_t>{1, 2, 3, 4, 5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(any_always_appends) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(1))));
  auto r = store.append(part(s, expected_version::any(), make_events(1)));
  REQUIRE_OK(r);
  BOOST_TEST(r->first_version == 2);
}

BOOST_AUTO_TEST_CASE(no_stream_fails_when_the_stream_exists) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(
      store.append(part(s, expected_version::no_stream(), make_events(2))));
  auto r = store.append(part(s, expected_version::no_stream(), make_events(1)));
  REQUIRE_ERROR(r, ec::wrong_expected_version);
  auto msg = error_of(r);
  BOOST_TEST(msg.find("expected version no_stream") != std::string::npos, msg);
  BOOST_TEST(msg.find("actual version 2") != std::string::npos, msg);
  BOOST_TEST(version_of(store, s) == 2);
}

BOOST_AUTO_TEST_CASE(stream_exists_fails_for_a_new_stream) {
  auto store = open_store();
  auto s = unique_stream();
  auto r =
      store.append(part(s, expected_version::stream_exists(), make_events(1)));
  REQUIRE_ERROR(r, ec::wrong_expected_version);
  BOOST_TEST(error_of(r).find("stream_exists") != std::string::npos);
  REQUIRE_ERROR(store.get_stream_info(s), ec::not_found);
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(1))));
  REQUIRE_OK(
      store.append(part(s, expected_version::stream_exists(), make_events(1))));
  BOOST_TEST(version_of(store, s) == 2);
}

BOOST_AUTO_TEST_CASE(exact_states_expected_and_actual) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(5))));
  auto r = store.append(part(s, expected_version::exact(3), make_events(1)));
  REQUIRE_ERROR(r, ec::wrong_expected_version);
  auto msg = error_of(r);
  BOOST_TEST(msg.find("expected version exact(3)") != std::string::npos, msg);
  BOOST_TEST(msg.find("actual version 5") != std::string::npos, msg);
  BOOST_TEST(version_of(store, s) == 5);
  REQUIRE_ERROR(store.append(part(unique_stream(), expected_version::exact(1),
                                  make_events(1))),
                ec::wrong_expected_version);
  auto fresh = store.append(
      part(unique_stream(), expected_version::exact(0), make_events(1)));
  REQUIRE_OK(fresh);
  BOOST_TEST(fresh->first_version == 1);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(atomicity)

BOOST_AUTO_TEST_CASE(a_failing_event_in_a_batch_leaves_nothing) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(1))));
  auto other = unique_stream();
  auto taken = make_event();
  REQUIRE_OK(store.append(part(other, expected_version::any(), {taken})));
  // The third event reuses an id stored in another stream: the whole batch
  // must fail and the first two must not land.
  auto batch = make_events(2);
  batch.push_back(taken);
  REQUIRE_ERROR(store.append(part(s, expected_version::exact(1), batch)),
                ec::duplicate_event);
  BOOST_TEST(version_of(store, s) == 1);
  BOOST_TEST(count_rows(store, s) == 1);
}

BOOST_AUTO_TEST_CASE(a_payload_postgres_refuses_fails_the_whole_batch) {
  auto store = open_store();
  auto s = unique_stream();
  auto batch = make_events(3);
  batch[2].data = R"({"text":"nul \u0000 inside"})"; // jsonb refuses \u0000
  auto r = store.append(part(s, expected_version::no_stream(), batch));
  REQUIRE_ERROR(r, ec::invalid_event);
  REQUIRE_ERROR(store.get_stream_info(s), ec::not_found);
}

BOOST_AUTO_TEST_CASE(multi_stream_append_is_all_or_nothing) {
  auto store = open_store();
  auto a = unique_stream("game"), b = unique_stream("game"),
       c = unique_stream("game");
  REQUIRE_OK(store.append(part(c, expected_version::any(), make_events(2))));
  // c's expectation is wrong: a and b must not be written either.
  auto r = store.append(std::vector<stream_append>{
      part(a, expected_version::no_stream(), make_events(2)),
      part(b, expected_version::no_stream(), make_events(1)),
      part(c, expected_version::exact(1), make_events(1))});
  REQUIRE_ERROR(r, ec::wrong_expected_version);
  auto msg = error_of(r);
  BOOST_TEST(msg.find(c) != std::string::npos, msg);
  BOOST_TEST(msg.find("actual version 2") != std::string::npos, msg);
  REQUIRE_ERROR(store.get_stream_info(a), ec::not_found);
  REQUIRE_ERROR(store.get_stream_info(b), ec::not_found);
  BOOST_TEST(version_of(store, c) == 2);
  // With every expectation right, all three land, each at its own versions.
  auto ok = store.append(std::vector<stream_append>{
      part(a, expected_version::no_stream(), make_events(2)),
      part(b, expected_version::no_stream(), make_events(1)),
      part(c, expected_version::exact(2), make_events(1))});
  REQUIRE_OK(ok);
  BOOST_TEST(ok->size() == 3u);
  BOOST_TEST((*ok)[0].last_version == 2);
  BOOST_TEST((*ok)[1].last_version == 1);
  BOOST_TEST((*ok)[2].first_version == 3);
  BOOST_TEST((*ok)[0].positions[1] < (*ok)[1].positions[0]);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(idempotency)

BOOST_AUTO_TEST_CASE(resending_a_stored_append_writes_nothing) {
  auto store = open_store();
  auto s = unique_stream();
  auto events = make_events(3);
  auto first = store.append(part(s, expected_version::no_stream(), events));
  REQUIRE_OK(first);
  for (auto ex : {expected_version::no_stream(), expected_version::any(),
                  expected_version::stream_exists()}) {
    auto again = store.append(part(s, ex, events));
    REQUIRE_OK(again);
    BOOST_TEST(again->replayed);
    BOOST_TEST(again->first_version == 1);
    BOOST_TEST(again->last_version == 3);
    BOOST_TEST(again->positions == first->positions,
               boost::test_tools::per_element());
  }
  BOOST_TEST(count_rows(store, s) == 3);
  // A later append, then a retry of it with its exact expectation.
  auto more = make_events(2);
  REQUIRE_OK(store.append(part(s, expected_version::exact(3), more)));
  auto retry = store.append(part(s, expected_version::exact(3), more));
  REQUIRE_OK(retry);
  BOOST_TEST(retry->replayed);
  BOOST_TEST(retry->first_version == 4);
  BOOST_TEST(count_rows(store, s) == 5);
}

BOOST_AUTO_TEST_CASE(multi_stream_retry_is_idempotent) {
  auto store = open_store();
  auto a = unique_stream(), b = unique_stream();
  std::vector<stream_append> parts{
      part(a, expected_version::no_stream(), make_events(2)),
      part(b, expected_version::no_stream(), make_events(2))};
  REQUIRE_OK(store.append(parts));
  auto again = store.append(parts);
  REQUIRE_OK(again);
  BOOST_TEST((*again)[0].replayed);
  BOOST_TEST((*again)[1].replayed);
  BOOST_TEST(count_rows(store, a) == 2);
  BOOST_TEST(count_rows(store, b) == 2);
}

BOOST_AUTO_TEST_CASE(an_id_reused_with_other_content_is_a_duplicate) {
  auto store = open_store();
  auto s = unique_stream();
  auto events = make_events(2);
  REQUIRE_OK(store.append(part(s, expected_version::no_stream(), events)));
  auto changed = events;
  changed[1].data = R"({"player":"someone else"})";
  auto r = store.append(part(s, expected_version::no_stream(), changed));
  REQUIRE_ERROR(r, ec::duplicate_event);
  BOOST_TEST(error_of(r).find(to_string(events[1].id)) != std::string::npos);
  BOOST_TEST(count_rows(store, s) == 2);
}

BOOST_AUTO_TEST_CASE(an_id_reused_at_another_place_is_a_duplicate) {
  auto store = open_store();
  auto s = unique_stream(), t = unique_stream();
  auto events = make_events(1);
  REQUIRE_OK(store.append(part(s, expected_version::no_stream(), events)));
  REQUIRE_ERROR(store.append(part(t, expected_version::no_stream(), events)),
                ec::duplicate_event);
  // Same stream, but where exact(5) would put it is not where it is.
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(4))));
  REQUIRE_ERROR(store.append(part(s, expected_version::exact(5), events)),
                ec::duplicate_event);
  REQUIRE_ERROR(store.get_stream_info(t), ec::not_found);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(concurrency)

BOOST_AUTO_TEST_CASE(eight_threads_racing_on_one_stream_get_one_winner_each) {
  auto s = unique_stream("race");
  constexpr int threads = 8;
  constexpr int rounds = 25;
  std::atomic<int> wins{0};
  std::atomic<int> conflicts{0};
  std::atomic<int> other{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      auto store = open_store();
      for (int v = 0; v < rounds; ++v) {
        // Everyone tries to write version v + 1 expecting version v.
        auto r = store.append(
            part(s, expected_version::exact(v), {make_event("Race", t)}));
        if (r)
          ++wins;
        else if (r.error() == ec::wrong_expected_version)
          ++conflicts;
        else
          ++other;
        // Wait until someone won this version before the next round.
        for (;;) {
          auto page = store.read_stream(s, v + 1, 1);
          if (page && !page->events.empty())
            break;
        }
      }
    });
  for (auto& w : workers)
    w.join();
  BOOST_TEST(other.load() == 0);
  BOOST_TEST(wins.load() == rounds);
  BOOST_TEST(conflicts.load() == rounds * (threads - 1));
  auto store = open_store();
  auto page = store.read_stream(s, 1, 1000);
  REQUIRE_OK(page);
  BOOST_REQUIRE(page->events.size() == size_t{rounds});
  for (int i = 0; i < rounds; ++i)
    BOOST_TEST(page->events[i].stream_version == i + 1);
}

BOOST_AUTO_TEST_CASE(eight_threads_appending_with_any_lose_nothing) {
  auto s = unique_stream("any");
  constexpr int threads = 8;
  constexpr int per_thread = 30;
  std::atomic<int> failures{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      auto store = open_store();
      for (int i = 0; i < per_thread; ++i)
        if (!store.append(part(s, expected_version::any(), make_events(1))))
          ++failures;
    });
  for (auto& w : workers)
    w.join();
  BOOST_TEST(failures.load() == 0);
  auto store = open_store();
  auto page = store.read_stream(s, 1, 1000);
  REQUIRE_OK(page);
  BOOST_REQUIRE(page->events.size() == size_t{threads * per_thread});
  for (size_t i = 0; i < page->events.size(); ++i)
    BOOST_TEST(page->events[i].stream_version == static_cast<int64_t>(i + 1));
}

BOOST_AUTO_TEST_CASE(crossing_multi_stream_appends_do_not_deadlock) {
  auto a = unique_stream("cross"), b = unique_stream("cross");
  constexpr int rounds = 40;
  std::atomic<int> failures{0};
  auto run = [&](bool reversed) {
    auto store = open_store();
    for (int i = 0; i < rounds; ++i) {
      std::vector<stream_append> parts{
          part(a, expected_version::any(), make_events(1)),
          part(b, expected_version::any(), make_events(1))};
      if (reversed)
        std::swap(parts[0], parts[1]);
      if (!store.append(parts))
        ++failures;
    }
  };
  std::thread t1{run, false}, t2{run, true};
  t1.join();
  t2.join();
  BOOST_TEST(failures.load() == 0);
  auto store = open_store();
  BOOST_TEST(version_of(store, a) == 2 * rounds);
  BOOST_TEST(version_of(store, b) == 2 * rounds);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(reads)

BOOST_AUTO_TEST_CASE(stream_pages_forward_and_backward) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(
      store.append(part(s, expected_version::no_stream(), make_events(7))));
  auto p1 = store.read_stream(s, 1, 3);
  REQUIRE_OK(p1);
  BOOST_TEST(p1->events.size() == 3u);
  BOOST_TEST(!p1->end);
  BOOST_TEST(p1->next == 4);
  auto p2 = store.read_stream(s, p1->next, 3);
  REQUIRE_OK(p2);
  BOOST_TEST(p2->events.front().stream_version == 4);
  auto p3 = store.read_stream(s, p2->next, 3);
  REQUIRE_OK(p3);
  BOOST_TEST(p3->events.size() == 1u);
  BOOST_TEST(p3->end);
  BOOST_TEST(p3->next == 8);
  // Exactly a page left: end is known without another call.
  auto exact = store.read_stream(s, 5, 3);
  REQUIRE_OK(exact);
  BOOST_TEST(exact->events.size() == 3u);
  BOOST_TEST(exact->end);
  // Past the end: empty, end.
  auto past = store.read_stream(s, 8, 3);
  REQUIRE_OK(past);
  BOOST_TEST(past->events.empty());
  BOOST_TEST(past->end);
  BOOST_TEST(past->next == 8);
  // Backward from the end.
  auto b1 = store.read_stream(s, from_end, 3, direction::backward);
  REQUIRE_OK(b1);
  BOOST_REQUIRE(b1->events.size() == 3u);
  BOOST_TEST(b1->events[0].stream_version == 7);
  BOOST_TEST(b1->events[2].stream_version == 5);
  BOOST_TEST(b1->next == 4);
  BOOST_TEST(!b1->end);
  auto b2 = store.read_stream(s, 3, 5, direction::backward);
  REQUIRE_OK(b2);
  BOOST_TEST(b2->events.size() == 3u);
  BOOST_TEST(b2->end);
  BOOST_TEST(b2->next == 0);
}

BOOST_AUTO_TEST_CASE(events_come_back_as_written) {
  auto store = open_store();
  auto s = unique_stream();
  auto ev = make_event("GameCreated", 42);
  ev.data = R"({"name":"Spiel für 4 👾","n":9007199254740993,"x":0.1})";
  REQUIRE_OK(store.append(part(s, expected_version::no_stream(), {ev})));
  auto page = store.read_stream(s, 1, 1);
  REQUIRE_OK(page);
  auto& got = page->events.at(0);
  BOOST_TEST((got.id == ev.id));
  BOOST_TEST(got.stream == s);
  BOOST_TEST(got.type == "GameCreated");
  BOOST_TEST(got.version == 1);
  BOOST_TEST((got.created_at == ev.created_at));
  BOOST_TEST(got.data.find("9007199254740993") != std::string::npos);
  BOOST_TEST(got.data.find("Spiel für 4 👾") != std::string::npos);
  BOOST_TEST(got.metadata.find("c-1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_and_empty_reads) {
  auto store = open_store();
  REQUIRE_ERROR(store.read_stream(unique_stream(), 1, 10), ec::not_found);
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(1))));
  auto none = store.read_stream(s, 0, 10, direction::backward);
  REQUIRE_OK(none);
  BOOST_TEST(none->events.empty());
  BOOST_TEST(none->end);
}

BOOST_AUTO_TEST_CASE(global_log_pages_in_both_directions) {
  auto store = open_store();
  auto s = unique_stream();
  auto r = store.append(part(s, expected_version::any(), make_events(5)));
  REQUIRE_OK(r);
  auto first = r->positions.front();
  auto page = store.read_all(first, 2);
  REQUIRE_OK(page);
  BOOST_REQUIRE(page->events.size() == 2u);
  BOOST_TEST(page->events[0].global_position == first);
  BOOST_TEST(page->next == page->events[1].global_position + 1);
  BOOST_TEST(!page->end);
  // Walk to the end: every position of the append is met once, in order.
  std::vector<int64_t> seen;
  int64_t from = first;
  for (;;) {
    auto p = store.read_all(from, 2);
    REQUIRE_OK(p);
    for (auto& ev : p->events)
      seen.push_back(ev.global_position);
    from = p->next;
    if (p->end)
      break;
  }
  std::vector<int64_t> tail(seen.begin(), seen.begin() + 5);
  BOOST_TEST(tail == r->positions, boost::test_tools::per_element());
  auto back = store.read_all(r->positions.back(), 3, direction::backward);
  REQUIRE_OK(back);
  BOOST_REQUIRE(back->events.size() == 3u);
  BOOST_TEST(back->events[0].global_position == r->positions[4]);
  BOOST_TEST(back->events[2].global_position == r->positions[2]);
  auto from_the_end = store.read_all(from_end, 1, direction::backward);
  REQUIRE_OK(from_the_end);
  BOOST_TEST(from_the_end->events.size() == 1u);
  BOOST_TEST(from_the_end->events[0].global_position >= r->positions[4]);
}

BOOST_AUTO_TEST_CASE(global_log_filters) {
  auto store = open_store();
  auto tag = unique_stream("tag"); // unique values for this test
  auto game = unique_stream("fgame");
  auto chat = unique_stream("fchat");
  auto ev1 = make_event("FilterA", 1);
  ev1.metadata = R"({"correlation_id":")" + tag + R"(","causation_id":")" +
                 tag + R"(-c","actor_id":")" + tag + R"(-u","guild_id":")" +
                 tag + R"(-g"})";
  auto ev2 = make_event("FilterB", 2);
  ev2.metadata = R"({"correlation_id":")" + tag + R"(-other"})";
  auto ev3 = make_event("FilterC", 3);
  auto r = store.append(std::vector<stream_append>{
      part(game, expected_version::any(), {ev1, ev2}),
      part(chat, expected_version::any(), {ev3})});
  REQUIRE_OK(r);
  auto first = r->at(0).positions.front();
  auto ids = [&](const log_filter& f) {
    std::vector<std::string> out;
    auto page = store.read_all(first, 100, direction::forward, f);
    BOOST_REQUIRE_MESSAGE(page, error_of(page));
    for (auto& ev : page->events)
      if (ev.stream == game || ev.stream == chat)
        out.push_back(ev.type);
    return out;
  };
  using v = std::vector<std::string>;
  BOOST_TEST(ids(log_filter::all()) == (v{"FilterA", "FilterB", "FilterC"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(log_filter::event_types({"FilterC", "FilterA"})) ==
                 (v{"FilterA", "FilterC"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(log_filter::category("fchat")) == (v{"FilterC"}),
             boost::test_tools::per_element());
  using k = log_filter::kind;
  BOOST_TEST(ids(log_filter::metadata(k::correlation, tag)) == (v{"FilterA"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(log_filter::metadata(k::causation, tag + "-c")) ==
                 (v{"FilterA"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(log_filter::metadata(k::actor, tag + "-u")) == (v{"FilterA"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(log_filter::metadata(k::guild, tag + "-g")) == (v{"FilterA"}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(log_filter::metadata(k::guild, "no-such-guild")).empty());
  // Backward with a filter.
  auto back = store.read_all(from_end, 1, direction::backward,
                             log_filter::metadata(k::correlation, tag));
  REQUIRE_OK(back);
  BOOST_REQUIRE(back->events.size() == 1u);
  BOOST_TEST(back->events[0].type == "FilterA");
}

BOOST_AUTO_TEST_CASE(stream_info_and_list) {
  auto store = open_store();
  auto prefix = unique_stream("list");
  std::vector<std::string> streams;
  for (int i = 0; i < 5; ++i) {
    streams.push_back(prefix + "-" + std::to_string(i));
    REQUIRE_OK(store.append(
        part(streams.back(), expected_version::any(), make_events(i + 1))));
  }
  auto info = store.get_stream_info(streams[3]);
  REQUIRE_OK(info);
  BOOST_TEST(info->version == 4);
  BOOST_TEST(info->event_count == 4);
  BOOST_TEST(!info->deleted);
  BOOST_TEST((info->updated_at >= info->created_at));
  REQUIRE_ERROR(store.get_stream_info(unique_stream()), ec::not_found);
  // Page through the list starting just before our prefix.
  std::vector<std::string> listed;
  std::string after = prefix;
  for (;;) {
    auto page = store.list_streams(after, 2);
    REQUIRE_OK(page);
    for (auto& si : page->streams)
      if (si.stream.rfind(prefix + "-", 0) == 0)
        listed.push_back(si.stream);
    after = page->next;
    if (page->end || (!page->streams.empty() &&
                      page->streams.back().stream.rfind(prefix, 0) != 0))
      break;
  }
  BOOST_TEST(listed == streams, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(deletes_and_snapshots)

BOOST_AUTO_TEST_CASE(soft_delete_hides_and_recreate_continues) {
  auto store = open_store();
  auto s = unique_stream();
  auto r = store.append(part(s, expected_version::any(), make_events(3)));
  REQUIRE_OK(r);
  BOOST_TEST(describe(store.delete_stream(s, expected_version::exact(2)))
                 .find("actual version 3") != std::string::npos);
  BOOST_TEST(!store.delete_stream(s, expected_version::exact(3)));
  REQUIRE_ERROR(store.read_stream(s, 1, 10), ec::stream_deleted);
  auto info = store.get_stream_info(s);
  REQUIRE_OK(info);
  BOOST_TEST(info->deleted);
  BOOST_TEST(info->event_count == 0);
  BOOST_TEST(store.delete_stream(s, expected_version::any()) ==
             ec::stream_deleted);
  // Still in the global log, as in commanded/eventstore.
  auto log = store.read_all(r->positions[0], 1);
  REQUIRE_OK(log);
  BOOST_TEST(log->events.at(0).global_position == r->positions[0]);
  BOOST_TEST(log->events.at(0).stream == s);
  // Recreate: no_stream holds for a deleted stream; versions continue and
  // the old events stay hidden.
  auto again =
      store.append(part(s, expected_version::no_stream(), make_events(1)));
  REQUIRE_OK(again);
  BOOST_TEST(again->first_version == 4);
  auto page = store.read_stream(s, 1, 10);
  REQUIRE_OK(page);
  BOOST_REQUIRE(page->events.size() == 1u);
  BOOST_TEST(page->events[0].stream_version == 4);
}

BOOST_AUTO_TEST_CASE(retrying_the_append_that_recreated_a_stream_is_a_replay) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(3))));
  BOOST_REQUIRE(!store.delete_stream(s, expected_version::any()));
  auto recreate = part(s, expected_version::no_stream(), make_events(2));
  auto first = store.append(recreate);
  REQUIRE_OK(first);
  BOOST_TEST(first->first_version == 4);
  auto again = store.append(recreate);
  REQUIRE_OK(again);
  BOOST_TEST(again->replayed);
  BOOST_TEST(again->first_version == 4);
  BOOST_TEST(count_rows(store, s) == 2);
}

BOOST_AUTO_TEST_CASE(soft_delete_drops_the_snapshot) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(2))));
  BOOST_REQUIRE(!store.record_snapshot({s, 2, "GameState", "{}", "{}", {}}));
  BOOST_REQUIRE(!store.delete_stream(s, expected_version::exact(2)));
  REQUIRE_ERROR(store.read_snapshot(s), ec::not_found);
}

// A delete waits for an append that is half-way through (it holds the
// stream's lock), then checks its expectation against what that append
// committed: it never deletes "at version 3" with a version 4 landing.
BOOST_AUTO_TEST_CASE(a_delete_waits_for_an_append_in_flight) {
  auto holder = open_store();
  auto s = unique_stream("inflight");
  REQUIRE_OK(holder.append(part(s, expected_version::any(), make_events(3))));
  begin_open_append(holder, s); // version 4, not yet committed
  auto& conn = holder.connection();
  caf::error deleted;
  std::atomic<bool> done{false};
  std::thread deleter{[&] {
    auto other = open_store();
    deleted = other.delete_stream(s, expected_version::exact(3));
    done = true;
  }};
  // Wait (with a deadline) until the delete is blocked on the stream lock.
  auto watcher = open_store();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool waiting = false;
  while (!waiting && !done && std::chrono::steady_clock::now() < deadline) {
    auto res = watcher.connection().exec_sql(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND wait_event = 'advisory' AND datname = current_database()");
    waiting = res && res->int64(0, 0) > 0;
  }
  BOOST_TEST(waiting);
  BOOST_TEST(!done.load());
  BOOST_REQUIRE(conn.exec_sql("COMMIT"));
  deleter.join();
  BOOST_TEST(deleted == ec::wrong_expected_version, describe(deleted));
  BOOST_TEST(describe(deleted).find("actual version 4") != std::string::npos);
  auto info = holder.get_stream_info(s);
  REQUIRE_OK(info);
  BOOST_TEST(!info->deleted);
  BOOST_TEST(info->version == 4);
}

BOOST_AUTO_TEST_CASE(recreate_can_be_forbidden) {
  store_options opts;
  opts.allow_stream_recreate = false;
  auto store = open_store(opts);
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(1))));
  BOOST_TEST(!store.delete_stream(s, expected_version::any()));
  REQUIRE_ERROR(store.append(part(s, expected_version::any(), make_events(1))),
                ec::stream_deleted);
}

BOOST_AUTO_TEST_CASE(hard_delete_needs_the_switch) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(2))));
  BOOST_TEST(store.delete_stream(s, expected_version::any(),
                                 delete_mode::hard) == ec::invalid_argument);
  BOOST_TEST(count_rows(store, s) == 2);
  store_options opts;
  opts.enable_hard_deletes = true;
  auto hard = open_store(opts);
  BOOST_TEST(
      !hard.delete_stream(s, expected_version::exact(2), delete_mode::hard));
  REQUIRE_ERROR(hard.get_stream_info(s), ec::not_found);
  // The id is free again: a new stream with that name starts at 1.
  auto r = hard.append(part(s, expected_version::no_stream(), make_events(1)));
  REQUIRE_OK(r);
  BOOST_TEST(r->first_version == 1);
}

BOOST_AUTO_TEST_CASE(snapshots_record_read_replace_delete) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_ERROR(store.read_snapshot(s), ec::not_found);
  snapshot snap{s, 3, "GameState", R"({"round":3})", "{}", {}};
  BOOST_TEST(!store.record_snapshot(snap));
  auto got = store.read_snapshot(s);
  REQUIRE_OK(got);
  BOOST_TEST(got->stream_version == 3);
  BOOST_TEST(got->data == R"({"round": 3})");
  snap.stream_version = 9;
  snap.data = R"({"round":9})";
  BOOST_TEST(!store.record_snapshot(snap));
  got = store.read_snapshot(s);
  REQUIRE_OK(got);
  BOOST_TEST(got->stream_version == 9);
  BOOST_TEST(!store.delete_snapshot(s));
  REQUIRE_ERROR(store.read_snapshot(s), ec::not_found);
  snap.data = "[1,2]";
  BOOST_TEST(store.record_snapshot(snap) == ec::invalid_event);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(immutability)

BOOST_AUTO_TEST_CASE(update_delete_truncate_raise) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(1))));
  auto& conn = store.connection();
  auto upd =
      "UPDATE es_events SET event_type = 'X' WHERE stream_id = '" + s + "'";
  auto r1 = conn.exec_sql(upd.c_str());
  REQUIRE_ERROR(r1, ec::invalid_argument);
  BOOST_TEST(error_of(r1).find("immutable") != std::string::npos);
  auto del = "DELETE FROM es_events WHERE stream_id = '" + s + "'";
  REQUIRE_ERROR(conn.exec_sql(del.c_str()), ec::invalid_argument);
  REQUIRE_ERROR(conn.exec_sql("TRUNCATE es_events"), ec::invalid_argument);
  BOOST_TEST(count_rows(store, s) == 1);
  auto page = store.read_stream(s, 1, 1);
  REQUIRE_OK(page);
  BOOST_TEST(page->events[0].type == "E");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bad_input)

BOOST_AUTO_TEST_CASE(stream_ids) {
  auto store = open_store();
  auto bad = [&](std::string stream) {
    auto r =
        store.append(part(stream, expected_version::any(), make_events(1)));
    BOOST_TEST(!r);
    if (!r)
      BOOST_TEST(r.error() == ec::invalid_argument, error_of(r));
    auto read = store.read_stream(stream, 1, 1);
    BOOST_TEST(!read);
    if (!read)
      BOOST_TEST(read.error() == ec::invalid_argument);
  };
  bad("");
  bad(std::string("a\0b", 3));
  bad("line\nbreak");
  bad("tab\there");
  bad("\x7f");
  bad("\xc3\x28"); // invalid UTF-8
  bad(std::string(10 * 1024 * 1024, 'x'));
  // Quotes and SQL metacharacters are fine: they are data, bound as such.
  auto quoted = unique_stream("it's \"quoted\"; DROP TABLE es_events; --");
  auto r = store.append(part(quoted, expected_version::any(), make_events(1)));
  REQUIRE_OK(r);
  auto page = store.read_stream(quoted, 1, 1);
  REQUIRE_OK(page);
  BOOST_TEST(page->events.at(0).stream == quoted);
}

BOOST_AUTO_TEST_CASE(every_entry_point_rejects_bad_stream_ids) {
  store_options opts;
  opts.enable_hard_deletes = true;
  auto store = open_store(opts);
  for (std::string bad :
       {std::string{}, std::string("x\0y", 3), std::string{"bell\a"},
        std::string{"\xff"}, std::string(1024 * 1024, 'z')}) {
    auto is_invalid = [&](const caf::error& err) {
      return err == ec::invalid_argument;
    };
    BOOST_TEST(is_invalid(store.get_stream_info(bad).error()));
    BOOST_TEST(is_invalid(store.delete_stream(bad, expected_version::any())));
    BOOST_TEST(is_invalid(
        store.delete_stream(bad, expected_version::any(), delete_mode::hard)));
    BOOST_TEST(is_invalid(store.read_snapshot(bad).error()));
    BOOST_TEST(is_invalid(store.delete_snapshot(bad)));
    BOOST_TEST(
        is_invalid(store.record_snapshot({bad, 1, "S", "{}", "{}", {}})));
    if (!bad.empty())
      BOOST_TEST(is_invalid(store.list_streams(bad, 10).error()));
    BOOST_TEST(is_invalid(
        store.read_all(0, 10, direction::forward, log_filter::category(bad))
            .error()));
  }
  // Missing things are not_found, never a crash or an empty success.
  auto missing = unique_stream();
  BOOST_TEST(store.delete_stream(missing, expected_version::any()) ==
             ec::not_found);
  REQUIRE_ERROR(store.read_snapshot(missing), ec::not_found);
  BOOST_TEST(!store.delete_snapshot(missing));
}

BOOST_AUTO_TEST_CASE(payloads_and_events) {
  auto store = open_store();
  auto s = unique_stream();
  auto with = [&](auto change) {
    auto ev = make_event();
    change(ev);
    return store.append(part(s, expected_version::any(), {ev}));
  };
  REQUIRE_ERROR(with([](event_data& e) { e.data = "not json"; }),
                ec::invalid_event);
  REQUIRE_ERROR(with([](event_data& e) { e.data = "[1,2,3]"; }),
                ec::invalid_event);
  REQUIRE_ERROR(with([](event_data& e) { e.metadata = "{\"a\":"; }),
                ec::invalid_event);
  REQUIRE_ERROR(with([](event_data& e) { e.data = "{\"s\":\"\xff\xfe\"}"; }),
                ec::invalid_event);
  REQUIRE_ERROR(with([](event_data& e) {
                  e.data = std::string(10000, '[') + std::string(10000, ']');
                }),
                ec::invalid_event);
  REQUIRE_ERROR(with([](event_data& e) {
                  e.data =
                      "{\"big\":\"" + std::string(2 * 1024 * 1024, 'x') + "\"}";
                }),
                ec::payload_too_large);
  REQUIRE_ERROR(with([](event_data& e) { e.type = ""; }), ec::invalid_argument);
  REQUIRE_ERROR(with([](event_data& e) { e.type = "Bad Type'"; }),
                ec::invalid_argument);
  REQUIRE_ERROR(with([](event_data& e) { e.version = 0; }),
                ec::invalid_argument);
  REQUIRE_ERROR(with([](event_data& e) { e.id = es::uuid{}; }),
                ec::invalid_argument);
  REQUIRE_ERROR(
      store.append(part(s, expected_version::exact(-1), make_events(1))),
      ec::invalid_argument);
  REQUIRE_ERROR(store.append(part(s, expected_version::any(), {})),
                ec::invalid_argument);
  auto twice = make_event();
  REQUIRE_ERROR(store.append(part(s, expected_version::any(), {twice, twice})),
                ec::invalid_argument);
  REQUIRE_ERROR(store.append(std::vector<stream_append>{
                    part(s, expected_version::any(), make_events(1)),
                    part(s, expected_version::any(), make_events(1))}),
                ec::invalid_argument);
  store_options small;
  small.max_events_per_append = 10;
  auto limited = open_store(small);
  REQUIRE_ERROR(
      limited.append(part(s, expected_version::any(), make_events(11))),
      ec::invalid_argument);
  // Nothing of the above was written.
  REQUIRE_ERROR(store.get_stream_info(s), ec::not_found);
}

BOOST_AUTO_TEST_CASE(page_sizes_positions_and_filters) {
  auto store = open_store();
  auto s = unique_stream();
  REQUIRE_OK(store.append(part(s, expected_version::any(), make_events(1))));
  REQUIRE_ERROR(store.read_stream(s, 1, 0), ec::invalid_argument);
  REQUIRE_ERROR(store.read_stream(s, 1, size_t{1} << 63), ec::invalid_argument);
  REQUIRE_ERROR(store.read_stream(s, -5, 10), ec::invalid_argument);
  REQUIRE_ERROR(store.read_all(0, 0), ec::invalid_argument);
  REQUIRE_ERROR(store.read_all(0, size_t{1} << 63), ec::invalid_argument);
  REQUIRE_ERROR(store.read_all(-1, 10), ec::invalid_argument);
  REQUIRE_ERROR(
      store.read_all(0, 10, direction::forward, log_filter::event_types({})),
      ec::invalid_argument);
  REQUIRE_ERROR(store.read_all(0, 10, direction::forward,
                               log_filter::event_types({"x' OR '1'='1"})),
                ec::invalid_argument);
  REQUIRE_ERROR(store.list_streams("", 0), ec::invalid_argument);
  // SQL metacharacters in a filter value are just a value that matches
  // nothing.
  auto page = store.read_all(0, 10, direction::forward,
                             log_filter::category("game' OR '1'='1"));
  REQUIRE_OK(page);
  BOOST_TEST(page->events.empty());
}

BOOST_AUTO_TEST_SUITE_END()
