// Group commit in the storage layer: many independent appends, one
// transaction, each with its own atomicity and expected-version check.
#include "messages/error.hpp"
#include "storage/event_store.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

using namespace es;
using es::test::open_store;
using es::test::unique_stream;

namespace {

event_data event(std::string data = R"({"n":1})") {
  event_data ev;
  ev.type = "Grouped";
  ev.data = std::move(data);
  return ev;
}

std::vector<stream_append> one(std::string stream, expected_version ex,
                               std::vector<event_data> events = {event()}) {
  return {{std::move(stream), ex, std::move(events)}};
}

/// How many transactions wrote the events of `streams`.
int64_t writing_transactions(storage::event_store& store,
                             const std::vector<std::string>& streams) {
  std::string list;
  for (auto& s : streams)
    list += (list.empty() ? "'" : ",'") + s + "'";
  auto sql = "SELECT count(DISTINCT xmin::text) FROM es_events "
             "WHERE stream_id IN (" +
             list + ")";
  auto res = store.connection().exec_sql(sql.c_str());
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  return res->int64(0, 0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(append_group)

BOOST_AUTO_TEST_CASE(independent_appends_commit_in_one_transaction) {
  auto store = open_store();
  std::vector<std::string> streams;
  std::vector<std::vector<stream_append>> group;
  for (int i = 0; i < 10; ++i) {
    streams.push_back(unique_stream("group"));
    group.push_back(one(streams.back(), expected_version::no_stream()));
  }
  auto results = store.append_group(group);
  BOOST_REQUIRE(results.size() == 10u);
  int64_t last = 0;
  for (auto& r : results) {
    BOOST_REQUIRE_MESSAGE(r, error_of(r));
    BOOST_TEST(r->at(0).first_version == 1);
    BOOST_TEST(r->at(0).positions.at(0) > last); // in group order
    last = r->at(0).positions.at(0);
  }
  BOOST_TEST(writing_transactions(store, streams) == 1);
}

BOOST_AUTO_TEST_CASE(a_conflict_fails_alone) {
  auto store = open_store();
  auto busy = unique_stream("group");
  BOOST_REQUIRE(store.append(one(busy, expected_version::any())));
  std::vector<std::string> others;
  std::vector<std::vector<stream_append>> group;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      group.push_back(one(busy, expected_version::exact(5)));
      continue;
    }
    others.push_back(unique_stream("group"));
    group.push_back(one(others.back(), expected_version::no_stream()));
  }
  auto results = store.append_group(group);
  for (size_t i = 0; i < results.size(); ++i) {
    if (i == 3) {
      BOOST_REQUIRE(!results[i]);
      BOOST_TEST(results[i].error() == ec::wrong_expected_version);
      BOOST_TEST(describe(results[i].error()).find("actual version 1") !=
                 std::string::npos);
    } else {
      BOOST_TEST(static_cast<bool>(results[i]),
                 i << ": " << error_of(results[i]));
    }
  }
  BOOST_TEST(writing_transactions(store, others) == 1);
  auto info = store.get_stream_info(busy);
  BOOST_REQUIRE(info);
  BOOST_TEST(info->version == 1);
}

BOOST_AUTO_TEST_CASE(every_kind_of_failure_is_settled_on_its_own) {
  auto store = open_store();
  auto stored = unique_stream("group");
  auto replay = one(stored, expected_version::no_stream());
  BOOST_REQUIRE(store.append(replay));
  auto taken = replay[0].events[0]; // its id is taken by `stored`
  auto good1 = unique_stream("group"), good2 = unique_stream("group"),
       dup = unique_stream("group"), nul = unique_stream("group"),
       bad = unique_stream("group");
  std::vector<std::vector<stream_append>> group{
      one(good1, expected_version::no_stream()),
      replay,                                     // already stored
      one(dup, expected_version::any(), {taken}), // id used elsewhere
      one(nul, expected_version::any(),
          {event(R"({"s":"\u0000"})")}),                 // PostgreSQL refuses
      one(bad, expected_version::any(), {event("[1]")}), // not an object
      one(good2, expected_version::no_stream()),
  };
  auto r = store.append_group(group);
  BOOST_REQUIRE(r.size() == 6u);
  BOOST_TEST(static_cast<bool>(r[0]), error_of(r[0]));
  BOOST_REQUIRE_MESSAGE(r[1], error_of(r[1]));
  BOOST_TEST(r[1]->at(0).replayed);
  BOOST_TEST((!r[2] && r[2].error() == ec::duplicate_event));
  BOOST_TEST((!r[3] && r[3].error() == ec::invalid_event));
  BOOST_TEST((!r[4] && r[4].error() == ec::invalid_event));
  BOOST_TEST(static_cast<bool>(r[5]), error_of(r[5]));
  BOOST_TEST(writing_transactions(store, {good1, good2}) == 1);
  for (auto& s : {dup, nul, bad})
    BOOST_TEST(!store.get_stream_info(s));
  auto page = store.read_stream(stored, 1, 10);
  BOOST_REQUIRE(page);
  BOOST_TEST(page->events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(appends_to_one_stream_apply_in_order) {
  auto store = open_store();
  auto s = unique_stream("group");
  auto t = unique_stream("group");
  auto r = store.append_group(
      {one(s, expected_version::exact(0)), one(s, expected_version::exact(1)),
       one(t, expected_version::exact(0)), one(t, expected_version::exact(0))});
  BOOST_REQUIRE_MESSAGE(r[0], error_of(r[0]));
  BOOST_REQUIRE_MESSAGE(r[1], error_of(r[1]));
  BOOST_TEST(r[1]->at(0).first_version == 2);
  BOOST_TEST(static_cast<bool>(r[2]));
  BOOST_REQUIRE(!r[3]);
  BOOST_TEST(r[3].error() == ec::wrong_expected_version);
  auto info = store.get_stream_info(t);
  BOOST_REQUIRE(info);
  BOOST_TEST(info->version == 1);
}

BOOST_AUTO_TEST_CASE(a_retry_queued_with_its_original_is_a_replay) {
  auto store = open_store();
  auto s = unique_stream("group");
  auto request = one(s, expected_version::no_stream());
  auto r = store.append_group({request, request});
  BOOST_REQUIRE_MESSAGE(r[0], error_of(r[0]));
  BOOST_REQUIRE_MESSAGE(r[1], error_of(r[1]));
  BOOST_TEST(!r[0]->at(0).replayed);
  BOOST_TEST(r[1]->at(0).replayed);
  BOOST_TEST(r[1]->at(0).positions == r[0]->at(0).positions,
             boost::test_tools::per_element());
  auto page = store.read_stream(s, 1, 10);
  BOOST_REQUIRE(page);
  BOOST_TEST(page->events.size() == 1u);
}

BOOST_AUTO_TEST_CASE(one_statement_splits_the_rows_back_to_their_appends) {
  // Several events per append, an existing stream, and a multi-stream
  // request, all in one group: each result gets exactly its own rows.
  auto store = open_store();
  auto a = unique_stream("group"), b = unique_stream("group"),
       c = unique_stream("group"), d = unique_stream("group");
  BOOST_REQUIRE(store.append(one(b, expected_version::no_stream(),
                                 {event(R"({"n":0})"), event(R"({"n":0})")})));
  std::vector<std::vector<stream_append>> group{
      one(a, expected_version::no_stream(), {event(R"({"a":1})")}),
      one(b, expected_version::exact(2),
          {event(R"({"b":3})"), event(R"({"b":4})"), event(R"({"b":5})")}),
      {{c, expected_version::no_stream(), {event(R"({"c":1})")}},
       {d, expected_version::any(),
        {event(R"({"d":1})"), event(R"({"d":2})")}}},
  };
  auto r = store.append_group(group);
  BOOST_REQUIRE(r.size() == 3u);
  for (auto& res : r)
    BOOST_REQUIRE_MESSAGE(res, error_of(res));
  BOOST_TEST(r[0]->at(0).stream == a);
  BOOST_TEST(r[0]->at(0).positions.size() == 1u);
  BOOST_TEST(r[1]->at(0).first_version == 3);
  BOOST_TEST(r[1]->at(0).last_version == 5);
  BOOST_TEST(r[1]->at(0).positions.size() == 3u);
  BOOST_REQUIRE(r[2]->size() == 2u);
  BOOST_TEST(r[2]->at(0).stream == c);
  BOOST_TEST(r[2]->at(1).stream == d);
  BOOST_TEST(r[2]->at(1).first_version == 1);
  BOOST_TEST(r[2]->at(1).last_version == 2);
  // Positions follow the group's order, and each names its own event.
  std::vector<int64_t> all;
  for (auto& res : r)
    for (auto& part : *res)
      all.insert(all.end(), part.positions.begin(), part.positions.end());
  BOOST_TEST(std::is_sorted(all.begin(), all.end()));
  BOOST_TEST(writing_transactions(store, {a, c, d}) == 1);
  auto page = store.read_stream(b, 3, 10);
  BOOST_REQUIRE(page);
  BOOST_REQUIRE(page->events.size() == 3u);
  for (size_t i = 0; i < 3; ++i) {
    BOOST_TEST(page->events[i].global_position ==
               r[1]->at(0).positions[i]);
    BOOST_TEST(page->events[i].data ==
               R"({"b": )" + std::to_string(i + 3) + "}");
  }
}

BOOST_AUTO_TEST_CASE(an_empty_group_is_nothing) {
  auto store = open_store();
  BOOST_TEST(store.append_group({}).empty());
}

BOOST_AUTO_TEST_SUITE_END()
