// The group-commit queue: bounded, fair groups, per-stream FIFO order,
// oversized appends, expiry, and the queue's own bounds.
#include "messages/error.hpp"
#include "storage/group_commit.hpp"
#include "tests/printing.hpp"
#include "tests/storage/resilience_printing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace es;
using namespace es::storage;
using namespace std::chrono_literals;

namespace {

using time_point = commit_queue::time_point;

const time_point t0 = time_point{} + 1h;

struct fixture {
  uint64_t next_id = 1;

  /// An append of `events` events of 100 bytes each, due in a minute.
  pending make(std::string stream, size_t events = 1,
               time_point deadline = t0 + 60s) {
    return {next_id++, std::move(stream), events, events * 100, deadline};
  }

  void add(commit_queue& q, std::string stream, size_t events = 1,
           time_point deadline = t0 + 60s) {
    auto err = q.enqueue(make(std::move(stream), events, deadline), t0);
    BOOST_REQUIRE_MESSAGE(!err, describe(err));
  }
};

commit_queue_options roomy() {
  commit_queue_options opts;
  opts.max_group_events = 1000;
  opts.max_group_bytes = 1'000'000;
  opts.max_queue_items = 100'000;
  opts.max_queue_bytes = 100'000'000;
  return opts;
}

std::vector<uint64_t> ids(const std::vector<pending>& xs) {
  std::vector<uint64_t> result;
  for (auto& x : xs)
    result.push_back(x.id);
  return result;
}

std::vector<std::string> streams(const std::vector<pending>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.stream);
  return result;
}

size_t events_of(const std::vector<pending>& xs) {
  size_t n = 0;
  for (auto& x : xs)
    n += x.events;
  return n;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(group_commit, fixture)

BOOST_AUTO_TEST_CASE(defaults_come_from_config_and_are_valid) {
  commit_queue_options opts;
  BOOST_TEST(opts.max_group_events == defaults::group_commit_max_events);
  BOOST_TEST(opts.max_group_bytes == defaults::group_commit_max_bytes);
  BOOST_TEST(opts.max_queue_items == defaults::outage_queue_max_items);
  BOOST_TEST(opts.max_queue_bytes == defaults::outage_queue_max_bytes);
  BOOST_TEST(opts.min_parallel_group == defaults::group_commit_min_parallel);
  BOOST_TEST(!validate(opts));
  opts.max_group_bytes = 0;
  auto err = validate(opts);
  BOOST_TEST(err == ec::invalid_argument);
  BOOST_TEST(describe(err).find("group-commit-max-bytes") != std::string::npos,
             describe(err));
  opts = commit_queue_options{};
  opts.min_parallel_group = 0;
  err = validate(opts);
  BOOST_TEST(err == ec::invalid_argument);
  BOOST_TEST(describe(err).find("group-commit-min-parallel")
                 != std::string::npos,
             describe(err));
  opts = commit_queue_options{};
  opts.min_parallel_events = 0;
  err = validate(opts);
  BOOST_TEST(describe(err).find("group-commit-min-parallel-events")
                 != std::string::npos,
             describe(err));
}

BOOST_FIXTURE_TEST_CASE(a_group_starts_at_once_when_none_is_in_flight,
                        fixture) {
  auto opts = roomy();
  opts.min_parallel_group = 3;
  commit_queue q{opts};
  BOOST_TEST(!q.ready(0)); // nothing waits
  add(q, "game-1");
  BOOST_TEST(q.ready(0));
}

BOOST_FIXTURE_TEST_CASE(beside_a_group_in_flight_the_next_waits_to_grow,
                        fixture) {
  auto opts = roomy();
  opts.min_parallel_group = 3;
  commit_queue q{opts};
  add(q, "game-1");
  add(q, "game-2");
  BOOST_TEST(!q.ready(1));
  BOOST_TEST(!q.ready(2));
  add(q, "game-3");
  BOOST_TEST(q.ready(1));
  BOOST_TEST(q.ready(3));
  // Taking the group empties the queue: the next waits again.
  BOOST_TEST(q.next_group(t0).size() == 3u);
  BOOST_TEST(!q.ready(1));
}

BOOST_FIXTURE_TEST_CASE(beside_a_group_in_flight_enough_events_start_the_next,
                        fixture) {
  auto opts = roomy();
  opts.min_parallel_group = 32;
  opts.min_parallel_events = 200;
  commit_queue q{opts};
  // Two small appends wait for the transaction in flight...
  add(q, "game-1", 10);
  add(q, "game-2", 10);
  BOOST_TEST(q.events() == 20u);
  BOOST_TEST(!q.ready(1));
  // ...two large ones fill a transaction of their own: another connection
  // takes them.
  add(q, "game-3", 100);
  add(q, "game-4", 80);
  BOOST_TEST(q.events() == 200u);
  BOOST_TEST(q.ready(1));
  BOOST_TEST(q.next_group(t0).size() == 4u);
  BOOST_TEST(q.events() == 0u);
  BOOST_TEST(!q.ready(1));
}

BOOST_FIXTURE_TEST_CASE(a_threshold_of_one_starts_whenever_a_connection_is_free,
                        fixture) {
  auto opts = roomy();
  opts.min_parallel_group = 1;
  commit_queue q{opts};
  add(q, "game-1");
  BOOST_TEST(q.ready(4));
}

BOOST_AUTO_TEST_CASE(empty_queue) {
  commit_queue q{roomy()};
  BOOST_TEST(q.empty());
  BOOST_TEST(q.size() == 0u);
  BOOST_TEST(q.bytes() == 0u);
  BOOST_TEST(q.next_group(t0).empty());
  BOOST_TEST(q.expire(t0 + 1h).empty());
  BOOST_TEST(!q.next_deadline());
}

BOOST_AUTO_TEST_CASE(counts_items_and_bytes) {
  commit_queue q{roomy()};
  add(q, "a", 2);
  add(q, "b", 3);
  add(q, "a", 1);
  BOOST_TEST(!q.empty());
  BOOST_TEST(q.size() == 3u);
  BOOST_TEST(q.bytes() == 600u);
  BOOST_TEST(q.streams() == 2u);
  auto group = q.next_group(t0);
  BOOST_TEST(group.size() == 3u);
  BOOST_TEST(q.empty());
  BOOST_TEST(q.bytes() == 0u);
  BOOST_TEST(q.streams() == 0u);
}

BOOST_AUTO_TEST_CASE(groups_respect_the_event_bound) {
  auto opts = roomy();
  opts.max_group_events = 10;
  commit_queue q{opts};
  for (int i = 0; i < 7; ++i)
    add(q, "s" + std::to_string(i), 3); // 21 events
  auto g1 = q.next_group(t0);
  BOOST_TEST(events_of(g1) == 9u); // a fourth append (3) would make 12
  BOOST_TEST(g1.size() == 3u);
  auto g2 = q.next_group(t0);
  BOOST_TEST(events_of(g2) == 9u);
  auto g3 = q.next_group(t0);
  BOOST_TEST(events_of(g3) == 3u);
  BOOST_TEST(q.empty());
  // An append that fits exactly fills the group to the bound.
  add(q, "x", 4);
  add(q, "y", 6);
  add(q, "z", 1);
  auto g4 = q.next_group(t0);
  BOOST_TEST(events_of(g4) == 10u);
  BOOST_TEST(q.size() == 1u);
}

BOOST_AUTO_TEST_CASE(groups_respect_the_byte_bound) {
  auto opts = roomy();
  opts.max_group_bytes = 1000;
  commit_queue q{opts};
  for (int i = 0; i < 5; ++i)
    BOOST_REQUIRE(
        !q.enqueue({next_id++, "s" + std::to_string(i), 1, 300, t0 + 60s}, t0));
  auto g1 = q.next_group(t0);
  BOOST_TEST(g1.size() == 3u); // 900 bytes; a fourth would make 1200
  BOOST_TEST(q.bytes() == 600u);
  auto g2 = q.next_group(t0);
  BOOST_TEST(g2.size() == 2u);
}

BOOST_AUTO_TEST_CASE(smaller_appends_of_other_streams_fill_a_group) {
  auto opts = roomy();
  opts.max_group_events = 10;
  commit_queue q{opts};
  add(q, "a", 6);
  add(q, "big", 5); // does not fit after a
  add(q, "c", 4);
  auto g1 = q.next_group(t0);
  BOOST_TEST(streams(g1) == (std::vector<std::string>{"a", "c"}),
             boost::test_tools::per_element());
  // The stream that was passed over is first in line next time.
  add(q, "d", 5);
  auto g2 = q.next_group(t0);
  BOOST_TEST(streams(g2) == (std::vector<std::string>{"big", "d"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_passed_over_stream_goes_before_streams_that_had_a_turn) {
  auto opts = roomy();
  opts.max_group_events = 10;
  commit_queue q{opts};
  add(q, "a", 6);   // 1
  add(q, "big", 5); // 2: does not fit after 1
  add(q, "c", 4);   // 3
  add(q, "a", 6);   // 4: a's second append waits for the next round
  BOOST_TEST(ids(q.next_group(t0)) == (std::vector<uint64_t>{1, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(q.next_group(t0)) == std::vector<uint64_t>{2},
             boost::test_tools::per_element());
  BOOST_TEST(ids(q.next_group(t0)) == std::vector<uint64_t>{4},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_oversized_append_commits_alone) {
  auto opts = roomy();
  opts.max_group_events = 10;
  opts.max_group_bytes = 1000;
  commit_queue q{opts};
  add(q, "huge", 50); // 50 events, 5000 bytes: over both group bounds
  add(q, "small", 1);
  auto g1 = q.next_group(t0);
  BOOST_TEST(ids(g1) == std::vector<uint64_t>{1}, //
             boost::test_tools::per_element());
  auto g2 = q.next_group(t0);
  BOOST_TEST(ids(g2) == std::vector<uint64_t>{2},
             boost::test_tools::per_element());
  // Also when it is not first in line: it waits for its turn, then goes
  // alone.
  add(q, "small", 1); // id 3
  add(q, "huge", 50); // id 4
  add(q, "other", 1); // id 5
  auto g3 = q.next_group(t0);
  BOOST_TEST(ids(g3) == (std::vector<uint64_t>{3, 5}),
             boost::test_tools::per_element());
  auto g4 = q.next_group(t0);
  BOOST_TEST(ids(g4) == std::vector<uint64_t>{4},
             boost::test_tools::per_element());
  BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(a_hot_stream_cannot_starve_the_others) {
  commit_queue q{}; // the defaults: 1000 events per group
  for (int i = 0; i < 1000; ++i)
    add(q, "import");
  for (int i = 0; i < 10; ++i)
    add(q, "game-" + std::to_string(i));
  auto group = q.next_group(t0);
  BOOST_TEST(group.size() == 1000u);
  std::set<std::string> others;
  for (auto& x : group)
    if (x.stream != "import")
      others.insert(x.stream);
  BOOST_TEST(others.size() == 10u);
  // Round-robin: each stream's oldest append before anyone's second.
  BOOST_TEST(group[0].stream == "import");
  for (int i = 0; i < 10; ++i)
    BOOST_TEST(group[1 + i].stream == "game-" + std::to_string(i));
  BOOST_TEST(q.size() == 10u);
}

BOOST_AUTO_TEST_CASE(streams_take_turns_across_groups) {
  auto opts = roomy();
  opts.max_group_events = 2;
  commit_queue q{opts};
  for (int i = 0; i < 3; ++i) {
    add(q, "a");
    add(q, "b");
    add(q, "c");
  }
  std::vector<std::string> order;
  while (!q.empty()) {
    auto group = q.next_group(t0);
    BOOST_REQUIRE(!group.empty());
    BOOST_TEST(group.size() <= 2u);
    for (auto& x : group)
      order.push_back(x.stream);
  }
  std::vector<std::string> want{"a", "b", "c", "a", "b", "c", "a", "b", "c"};
  BOOST_TEST(order == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(per_stream_fifo) {
  auto opts = roomy();
  opts.max_group_events = 7;
  commit_queue q{opts};
  // Interleaved arrivals of uneven sizes on three streams.
  std::map<std::string, std::vector<uint64_t>> arrived;
  const char* names[] = {"a", "b", "c"};
  for (int i = 0; i < 60; ++i) {
    auto stream = names[(i * 7) % 3];
    auto item = make(stream, 1 + (i * 5) % 4);
    arrived[stream].push_back(item.id);
    BOOST_REQUIRE(!q.enqueue(item, t0));
  }
  std::map<std::string, std::vector<uint64_t>> committed;
  while (!q.empty()) {
    auto group = q.next_group(t0);
    BOOST_REQUIRE(!group.empty());
    BOOST_TEST(events_of(group) <= 7u);
    for (auto& x : group)
      committed[x.stream].push_back(x.id);
  }
  for (auto& [stream, xs] : arrived)
    BOOST_TEST(committed[stream] == xs, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_stream_may_fill_a_group_in_order) {
  commit_queue q{roomy()};
  for (int i = 0; i < 5; ++i)
    add(q, "solo");
  auto group = q.next_group(t0);
  BOOST_TEST(ids(group) == (std::vector<uint64_t>{1, 2, 3, 4, 5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_stream_whose_oldest_does_not_fit_adds_nothing_later) {
  auto opts = roomy();
  opts.max_group_events = 10;
  commit_queue q{opts};
  add(q, "a", 5); // 1
  add(q, "b", 1); // 2
  add(q, "a", 8); // 3: does not fit after 1 and 2
  add(q, "a", 1); // 4: would fit, but must not overtake 3
  auto g1 = q.next_group(t0);
  BOOST_TEST(ids(g1) == (std::vector<uint64_t>{1, 2}),
             boost::test_tools::per_element());
  auto g2 = q.next_group(t0);
  BOOST_TEST(ids(g2) == (std::vector<uint64_t>{3, 4}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(queue_bound_by_items) {
  auto opts = roomy();
  opts.max_queue_items = 3;
  commit_queue q{opts};
  for (int i = 0; i < 3; ++i)
    add(q, "s");
  auto err = q.enqueue(make("t"), t0);
  BOOST_TEST(err == ec::unavailable);
  BOOST_TEST(describe(err) ==
             "unavailable: queue full: 3 items / 300 bytes queued, bound "
             "3 items / 100000000 bytes; rejected append 4 to stream t "
             "(1 events, 100 bytes)");
  BOOST_TEST(q.size() == 3u);
  BOOST_TEST(q.streams() == 1u);
  // Room again once a group left.
  q.next_group(t0);
  BOOST_TEST(!q.enqueue(make("t"), t0));
}

BOOST_AUTO_TEST_CASE(queue_bound_by_bytes) {
  auto opts = roomy();
  opts.max_queue_bytes = 1000;
  commit_queue q{opts};
  add(q, "s", 9); // 900 bytes
  BOOST_TEST(q.enqueue(make("s", 2), t0) == ec::unavailable);
  auto err = q.enqueue(make("s", 2), t0);
  BOOST_TEST(describe(err).find("queue full: 1 items / 900 bytes") == 13u,
             describe(err));
  add(q, "s", 1); // exactly at the bound
  BOOST_TEST(q.bytes() == 1000u);
  BOOST_TEST(q.enqueue({next_id++, "s", 0, 1, t0 + 1s}, t0) == ec::unavailable);
  // An append larger than the whole queue can never be queued.
  commit_queue empty_queue{opts};
  BOOST_TEST(empty_queue.enqueue(make("s", 11), t0) == ec::unavailable);
  BOOST_TEST(empty_queue.empty());
}

BOOST_AUTO_TEST_CASE(an_append_already_past_its_deadline_is_refused) {
  commit_queue q{roomy()};
  auto err = q.enqueue(make("s", 1, t0), t0);
  BOOST_TEST(err == ec::timeout);
  BOOST_TEST(describe(err).find("deadline passed") != std::string::npos,
             describe(err));
  BOOST_TEST(q.empty());
  BOOST_TEST(!q.next_deadline());
}

BOOST_AUTO_TEST_CASE(expiry_removes_exactly_the_overdue) {
  commit_queue q{roomy()};
  add(q, "a", 1, t0 + 10s); // 1
  add(q, "a", 1, t0 + 30s); // 2
  add(q, "b", 1, t0 + 20s); // 3
  add(q, "a", 1, t0 + 10s); // 4
  add(q, "c", 2, t0 + 40s); // 5
  BOOST_TEST(q.next_deadline() == t0 + 10s);
  BOOST_TEST(q.expire(t0 + 10s - 1ns).empty());
  BOOST_TEST(q.size() == 5u);
  auto gone = q.expire(t0 + 10s); // at the deadline counts as past it
  BOOST_TEST(ids(gone) == (std::vector<uint64_t>{1, 4}),
             boost::test_tools::per_element());
  BOOST_TEST(q.size() == 3u);
  BOOST_TEST(q.bytes() == 400u);
  BOOST_TEST(q.next_deadline() == t0 + 20s);
  gone = q.expire(t0 + 25s);
  BOOST_TEST(ids(gone) == std::vector<uint64_t>{3},
             boost::test_tools::per_element());
  BOOST_TEST(q.streams() == 2u);
  // What remains still commits, fairly and in order.
  auto group = q.next_group(t0 + 25s);
  BOOST_TEST(ids(group) == (std::vector<uint64_t>{2, 5}),
             boost::test_tools::per_element());
  BOOST_TEST(q.empty());
  BOOST_TEST(!q.next_deadline());
}

BOOST_AUTO_TEST_CASE(an_overdue_append_is_never_handed_out) {
  commit_queue q{roomy()};
  add(q, "a", 1, t0 + 10s); // 1
  add(q, "a", 1, t0 + 60s); // 2
  add(q, "b", 1, t0 + 60s); // 3
  // The owner forgot to expire first: 1 is overdue and holds back "a".
  auto group = q.next_group(t0 + 10s);
  BOOST_TEST(ids(group) == std::vector<uint64_t>{3},
             boost::test_tools::per_element());
  BOOST_TEST(ids(q.expire(t0 + 10s)) == std::vector<uint64_t>{1},
             boost::test_tools::per_element());
  BOOST_TEST(ids(q.next_group(t0 + 10s)) == std::vector<uint64_t>{2},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_outage_drains_in_order_when_the_database_returns) {
  // Nothing is taken while the database is down; appends pile up to the
  // bound, the late ones fail at once, the overdue ones expire, and the rest
  // drains in per-stream order.
  auto opts = roomy();
  opts.max_queue_items = 50;
  opts.max_group_events = 8;
  commit_queue q{opts};
  std::map<std::string, std::vector<uint64_t>> accepted;
  size_t refused = 0;
  for (int i = 0; i < 80; ++i) {
    auto stream = "game-" + std::to_string(i % 4);
    auto item = make(stream, 1, t0 + (i % 5 == 0 ? 5s : 60s));
    auto id = item.id;
    if (auto err = q.enqueue(std::move(item), t0)) {
      BOOST_TEST(err == ec::unavailable);
      ++refused;
    } else {
      accepted[stream].push_back(id);
    }
  }
  BOOST_TEST(refused == 30u);
  auto expired = q.expire(t0 + 30s);
  BOOST_TEST(expired.size() == 10u);
  std::set<uint64_t> expired_ids;
  for (auto& x : expired)
    expired_ids.insert(x.id);
  std::map<std::string, std::vector<uint64_t>> committed;
  size_t groups = 0;
  while (!q.empty()) {
    auto group = q.next_group(t0 + 30s);
    BOOST_REQUIRE(!group.empty());
    ++groups;
    for (auto& x : group)
      committed[x.stream].push_back(x.id);
  }
  BOOST_TEST(groups == 5u);
  for (auto& [stream, xs] : accepted) {
    std::vector<uint64_t> want;
    std::copy_if(xs.begin(), xs.end(), std::back_inserter(want),
                 [&](uint64_t id) { return expired_ids.count(id) == 0; });
    BOOST_TEST(committed[stream] == want, boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_SUITE_END()
