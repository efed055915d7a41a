// The gap-free global log: out-of-order commits never make a reader skip.
#include "messages/error.hpp"
#include "storage/event_store.hpp"
#include "storage/sql.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

using namespace es;
using es::test::begin_open_append;
using es::test::open_store;
using es::test::unique_stream;

namespace {

event_data tail_event() {
  event_data ev;
  ev.type = "Tail";
  return ev;
}

std::vector<int64_t> positions_from(storage::event_store& store, int64_t from) {
  std::vector<int64_t> out;
  for (;;) {
    auto page = store.read_all(from, 100);
    BOOST_REQUIRE_MESSAGE(page, error_of(page));
    for (auto& ev : page->events)
      out.push_back(ev.global_position);
    from = page->next;
    if (page->end)
      return out;
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(global_log)

BOOST_AUTO_TEST_CASE(
    a_later_commit_with_a_higher_position_waits_for_the_lower) {
  auto holder = open_store();
  auto writer = open_store();
  auto reader = open_store();
  auto start = reader.log_horizon();
  BOOST_REQUIRE(start);
  // Transaction A takes position p and stays open.
  auto p = begin_open_append(holder, unique_stream("held"));
  // Transaction B takes a higher position and commits first.
  auto b = writer.append(
      {unique_stream("fast"), expected_version::any(), {tail_event()}});
  BOOST_REQUIRE_MESSAGE(b, error_of(b));
  auto q = b->positions.at(0);
  BOOST_REQUIRE(q > p);
  // The reader must not see q while p may still commit.
  auto horizon = reader.log_horizon();
  BOOST_REQUIRE(horizon);
  BOOST_TEST(*horizon < p);
  auto before = positions_from(reader, *start + 1);
  for (auto pos : before)
    BOOST_TEST(pos < p);
  BOOST_TEST(std::count(before.begin(), before.end(), q) == 0);
  auto back = reader.read_all(from_end, 10, direction::backward);
  BOOST_REQUIRE(back);
  for (auto& ev : back->events)
    BOOST_TEST(ev.global_position < p);
  // A commits: now both appear, in position order, p before q.
  BOOST_REQUIRE(holder.connection().exec_sql("COMMIT"));
  auto after = positions_from(reader, *start + 1);
  auto ip = std::find(after.begin(), after.end(), p);
  auto iq = std::find(after.begin(), after.end(), q);
  BOOST_TEST((ip != after.end()));
  BOOST_TEST((iq != after.end()));
  BOOST_TEST((ip < iq));
}

BOOST_AUTO_TEST_CASE(an_aborted_transaction_releases_the_horizon) {
  auto holder = open_store();
  auto writer = open_store();
  auto reader = open_store();
  auto p = begin_open_append(holder, unique_stream("aborted"));
  auto b = writer.append(
      {unique_stream("fast"), expected_version::any(), {tail_event()}});
  BOOST_REQUIRE(b);
  BOOST_TEST(*reader.log_horizon() < p);
  BOOST_REQUIRE(holder.connection().exec_sql("ROLLBACK"));
  BOOST_TEST(*reader.log_horizon() >= b->positions.at(0));
  auto page = reader.read_all(p, 100);
  BOOST_REQUIRE(page);
  BOOST_REQUIRE(!page->events.empty());
  BOOST_TEST(page->events.front().global_position == b->positions.at(0));
}

// Writers in several connections commit out of order all the time; a reader
// tails the log. Every position it sees is above the last one it saw, and
// at the end it has seen every committed event exactly once.
BOOST_AUTO_TEST_CASE(a_tailing_reader_never_skips_under_concurrent_writers) {
  auto reader = open_store();
  auto start = reader.log_horizon();
  BOOST_REQUIRE(start);
  constexpr int writers = 6;
  constexpr int appends = 60;
  std::atomic<int> done{0};
  std::vector<std::vector<int64_t>> written(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      auto store = open_store();
      for (int i = 0; i < appends; ++i) {
        std::vector<stream_append> parts;
        // Multi-stream appends interleave position allocation the most.
        for (int k = 0; k <= i % 3; ++k)
          parts.push_back({unique_stream("tail"),
                           expected_version::any(),
                           {tail_event(), tail_event()}});
        auto r = store.append(parts);
        if (r)
          for (auto& res : *r)
            written[w].insert(written[w].end(), res.positions.begin(),
                              res.positions.end());
      }
      ++done;
    });
  std::vector<int64_t> seen;
  int64_t from = *start + 1;
  bool ordered = true;
  for (bool last_round = false;;) {
    last_round = done.load() == writers;
    auto page = reader.read_all(from, 50);
    BOOST_REQUIRE_MESSAGE(page, error_of(page));
    for (auto& ev : page->events) {
      if (!seen.empty() && ev.global_position <= seen.back())
        ordered = false;
      seen.push_back(ev.global_position);
    }
    from = page->next;
    if (last_round && page->end)
      break;
  }
  for (auto& t : threads)
    t.join();
  BOOST_TEST(ordered);
  std::set<int64_t> all_written;
  for (auto& w : written)
    all_written.insert(w.begin(), w.end());
  BOOST_TEST(!all_written.empty());
  std::set<int64_t> all_seen(seen.begin(), seen.end());
  BOOST_TEST(all_seen.size() == seen.size()); // no duplicates
  for (auto pos : all_written)
    BOOST_TEST_REQUIRE(all_seen.count(pos) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
