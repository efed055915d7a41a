// The subscription's delivery window, without actors: order, the in-memory
// bound, acknowledgements, retries with backoff, parking, redelivery after a
// subscriber died, partitions, and the checkpoint.
#include "actors/delivery_window.hpp"
#include "actors/dispatcher.hpp"
#include "messages/error.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

using namespace es;
using namespace std::chrono_literals;

namespace {

using time_point = delivery_window::time_point;

const time_point t0 = time_point{} + 1h;

delivery_options small() {
  delivery_options opts;
  opts.max_buffered = 100;
  opts.max_attempts = 3;
  opts.ack_timeout = 1s;
  opts.retry_delay = 100ms;
  opts.retry_delay_max = 250ms;
  opts.checkpoint_every = 3;
  opts.checkpoint_interval = 5s;
  return opts;
}

/// Offers `positions` without a partition.
void offer_all(delivery_window& w, std::vector<int64_t> positions,
               const std::string& partition = "") {
  for (auto p : positions)
    BOOST_REQUIRE(w.offer(p, partition));
}

/// Takes everything `next` hands out at `now`.
std::vector<int64_t> drain(delivery_window& w, time_point now) {
  std::vector<int64_t> out;
  while (auto d = w.next(now))
    out.push_back(d->position);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(delivery_window_suite)

BOOST_AUTO_TEST_CASE(defaults_are_valid_and_bad_options_are_named) {
  BOOST_TEST(!validate(delivery_options{}));
  auto opts = small();
  opts.retry_delay_max = 50ms;
  auto err = validate(opts);
  BOOST_TEST(err == ec::invalid_argument);
  BOOST_TEST(describe(err).find("retry-delay-max") != std::string::npos,
             describe(err));
  opts = small();
  opts.max_buffered = 0;
  BOOST_TEST(describe(validate(opts)).find("max-buffered")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(events_go_out_in_position_order) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {3, 5, 9});
  auto d = w.next(t0);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 3);
  BOOST_TEST(d->attempt == 1u);
  BOOST_TEST(drain(w, t0) == (std::vector<int64_t>{5, 9}),
             boost::test_tools::per_element());
  BOOST_TEST(w.in_flight() == 3u);
  BOOST_TEST(!w.next(t0));
}

BOOST_AUTO_TEST_CASE(offers_must_move_forward_and_stop_at_the_bound) {
  auto opts = small();
  opts.max_buffered = 2;
  delivery_window w{opts, 10, t0};
  BOOST_TEST(!w.offer(10, "")); // at or below the checkpoint
  BOOST_TEST(w.offer(11, ""));
  BOOST_TEST(!w.offer(11, "")); // not above the head
  BOOST_TEST(w.offer(12, ""));
  BOOST_TEST(w.full());
  BOOST_TEST(!w.offer(13, "")); // full: the owner reads it again later
  BOOST_TEST(w.head() == 12);
  // Handing out does not make room; settling does.
  BOOST_REQUIRE(w.next(t0));
  BOOST_TEST(!w.offer(13, ""));
  BOOST_TEST(w.ack(11));
  BOOST_TEST(w.offer(13, ""));
}

BOOST_AUTO_TEST_CASE(acks_settle_only_what_is_in_flight) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {1, 2});
  BOOST_TEST(!w.ack(1)); // queued, not delivered
  BOOST_TEST(!w.attempt_of(1));
  BOOST_REQUIRE(w.next(t0));
  BOOST_TEST(w.attempt_of(1).value_or(0) == 1u);
  BOOST_TEST(w.ack(1));
  BOOST_TEST(!w.ack(1)); // twice
  BOOST_TEST(!w.ack(7)); // never seen
  BOOST_TEST(w.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_nack_retries_after_a_growing_capped_backoff) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {1});
  BOOST_REQUIRE(w.next(t0));
  BOOST_TEST(!w.nack(1, t0, "boom"));
  BOOST_TEST(!w.next(t0 + 99ms)); // retry_delay 100 ms
  auto d = w.next(t0 + 100ms);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->attempt == 2u);
  auto t1 = t0 + 100ms;
  BOOST_TEST(!w.nack(1, t1, "boom"));
  BOOST_TEST(!w.next(t1 + 199ms)); // doubled: 200 ms
  BOOST_REQUIRE(w.next(t1 + 200ms));
  BOOST_TEST(static_cast<bool>(w.next_wakeup() == t1 + 200ms + 1s)); // ack deadline
}

BOOST_AUTO_TEST_CASE(the_last_attempt_parks_and_the_subscription_moves_on) {
  delivery_window w{small(), 0, t0}; // max_attempts 3
  // One partition, so that 6 waits for 4 to be settled.
  offer_all(w, {4, 6}, "game-1");
  auto now = t0;
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    auto d = w.next(now);
    BOOST_REQUIRE(d);
    BOOST_TEST(d->position == 4);
    BOOST_TEST(d->attempt == attempt);
    BOOST_TEST(!w.nack(4, now, "handler failed")); // retried, not parked
    BOOST_TEST(!w.next(now));
    now += 1s; // past any backoff
  }
  auto d = w.next(now);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 4);
  BOOST_TEST(d->attempt == 3u);
  auto p = w.nack(4, now, "handler failed");
  BOOST_REQUIRE(p);
  BOOST_TEST(p->position == 4);
  BOOST_TEST(p->attempts == 3u);
  BOOST_TEST(p->reason == "handler failed");
  // Parked counts as settled: the next event goes, the checkpoint passes 4.
  auto next = w.next(now);
  BOOST_REQUIRE(next);
  BOOST_TEST(next->position == 6);
  BOOST_TEST(w.checkpoint() == 5);
}

BOOST_AUTO_TEST_CASE(an_unacknowledged_event_expires_and_is_retried) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {1, 2});
  drain(w, t0);
  BOOST_TEST(w.ack(2));
  BOOST_TEST(w.expire(t0 + 999ms).empty());
  BOOST_TEST(w.in_flight() == 1u);
  std::vector<std::pair<int64_t, uint32_t>> expired;
  BOOST_TEST(w.expire(t0 + 1s, &expired).empty()); // retried, not parked
  BOOST_REQUIRE_EQUAL(expired.size(), 1u);
  BOOST_TEST(expired[0].first == 1);
  BOOST_TEST(w.in_flight() == 0u);
  auto d = w.next(t0 + 1s + 100ms);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 1);
  BOOST_TEST(d->attempt == 2u);
}

BOOST_AUTO_TEST_CASE(expiry_parks_after_the_last_attempt_with_a_reason) {
  auto opts = small();
  opts.max_attempts = 1;
  delivery_window w{opts, 0, t0};
  offer_all(w, {8});
  BOOST_REQUIRE(w.next(t0));
  auto parked = w.expire(t0 + 1s);
  BOOST_REQUIRE(parked.size() == 1u);
  BOOST_TEST(parked[0].position == 8);
  BOOST_TEST(parked[0].reason.find("not acknowledged within 1000 ms")
                 != std::string::npos,
             parked[0].reason);
  BOOST_TEST(w.size() == 0u);
  BOOST_TEST(w.checkpoint() == 8);
}

BOOST_AUTO_TEST_CASE(released_events_go_first_to_the_next_subscriber) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {1, 2, 3});
  BOOST_REQUIRE(w.next(t0));
  BOOST_REQUIRE(w.next(t0));
  w.release({1, 2, 42}); // the subscriber died; 42 was never in flight
  auto d = w.next(t0);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 1);
  BOOST_TEST(d->attempt == 1u); // no attempt counted for the dead one
  BOOST_TEST(drain(w, t0) == (std::vector<int64_t>{2, 3}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(one_partition_goes_one_event_at_a_time_in_order) {
  delivery_window w{small(), 0, t0};
  BOOST_REQUIRE(w.offer(1, "game-a"));
  BOOST_REQUIRE(w.offer(2, "game-b"));
  BOOST_REQUIRE(w.offer(3, "game-a"));
  BOOST_REQUIRE(w.offer(4, "game-b"));
  BOOST_TEST(drain(w, t0) == (std::vector<int64_t>{1, 2}),
             boost::test_tools::per_element());
  BOOST_TEST(w.ack(2));
  BOOST_TEST(drain(w, t0) == (std::vector<int64_t>{4}),
             boost::test_tools::per_element());
  // A retry keeps its place ahead of later events of its partition.
  BOOST_TEST(!w.nack(1, t0, "later"));
  BOOST_TEST(!w.next(t0 + 50ms)); // 1 waits for its backoff, 3 waits for 1
  auto d = w.next(t0 + 100ms);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 1);
  BOOST_TEST(w.ack(1));
  d = w.next(t0 + 100ms);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 3);
}

BOOST_AUTO_TEST_CASE(the_owner_chooses_which_partitions_may_go) {
  delivery_window w{small(), 0, t0};
  BOOST_REQUIRE(w.offer(1, "a"));
  BOOST_REQUIRE(w.offer(2, "b"));
  BOOST_REQUIRE(w.offer(3, "b"));
  auto only_b = [](std::string_view p) { return p == "b"; };
  auto d = w.next(t0, only_b);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 2);
  BOOST_TEST(!w.next(t0, only_b)); // 3 waits for 2
  d = w.next(t0);
  BOOST_REQUIRE(d);
  BOOST_TEST(d->position == 1);
}

BOOST_AUTO_TEST_CASE(the_checkpoint_stops_below_the_oldest_unsettled_event) {
  delivery_window w{small(), 10, t0};
  BOOST_TEST(w.checkpoint() == 10);
  offer_all(w, {12, 15, 20});
  BOOST_TEST(w.checkpoint() == 11); // 12 is not handled yet
  drain(w, t0);
  BOOST_TEST(w.ack(15));
  BOOST_TEST(w.ack(20));
  BOOST_TEST(w.checkpoint() == 11);
  BOOST_TEST(w.ack(12));
  BOOST_TEST(w.checkpoint() == 20);
  // Events the reader passed without offering (they do not match) count.
  w.scanned(31);
  BOOST_TEST(w.checkpoint() == 31);
  BOOST_TEST(w.head() == 31);
  BOOST_TEST(!w.offer(30, ""));
}

BOOST_AUTO_TEST_CASE(checkpoints_are_batched_by_count_or_time) {
  delivery_window w{small(), 0, t0}; // every 3 settled, or 5 s
  offer_all(w, {1, 2, 3, 4});
  drain(w, t0);
  BOOST_TEST(!w.checkpoint_due(t0)); // nothing settled
  BOOST_TEST(w.ack(1));
  BOOST_TEST(w.ack(2));
  BOOST_TEST(!w.checkpoint_due(t0 + 1s));
  BOOST_TEST(w.checkpoint_due(t0 + 5s)); // by time
  BOOST_TEST(w.ack(3));
  BOOST_TEST(w.checkpoint_due(t0 + 1s)); // by count
  BOOST_TEST(static_cast<bool>(w.checkpoint_deadline() == t0 + 5s));
  w.checkpoint_saved(w.checkpoint(), t0 + 1s);
  BOOST_TEST(w.checkpoint() == 3);
  BOOST_TEST(w.saved_checkpoint() == 3);
  BOOST_TEST(!w.checkpoint_deadline());
  BOOST_TEST(!w.checkpoint_due(t0 + 10s)); // saved, and 4 is in flight
  BOOST_TEST(w.ack(4));
  BOOST_TEST(!w.checkpoint_due(t0 + 2s));
  BOOST_TEST(w.checkpoint_due(t0 + 6s));
}

BOOST_AUTO_TEST_CASE(the_checkpoint_never_moves_back) {
  delivery_window w{small(), 50, t0};
  w.checkpoint_saved(40, t0); // a late save of an older value
  BOOST_TEST(w.checkpoint() == 50);
  offer_all(w, {51});
  BOOST_TEST(w.checkpoint() == 50);
}

/// The positions of `batch`.
std::vector<int64_t> positions_of(const std::vector<delivery>& batch) {
  std::vector<int64_t> out;
  for (auto& d : batch)
    out.push_back(d.position);
  return out;
}

BOOST_AUTO_TEST_CASE(a_batch_takes_events_in_order_up_to_its_size) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {1, 2, 3, 4, 5});
  BOOST_TEST(positions_of(w.next_batch(t0, 3)) == (std::vector<int64_t>{1, 2, 3}),
             boost::test_tools::per_element());
  BOOST_TEST(positions_of(w.next_batch(t0, 3)) == (std::vector<int64_t>{4, 5}),
             boost::test_tools::per_element());
  BOOST_TEST(w.in_flight() == 5u);
  BOOST_TEST(w.next_batch(t0, 3).empty());
  // Each event of a batch has its own deadline and attempt.
  BOOST_TEST(w.attempt_of(4).value_or(0) == 1u);
  BOOST_TEST(w.expire(t0 + 1s).empty());
  BOOST_TEST(w.in_flight() == 0u);
  BOOST_TEST(positions_of(w.next_batch(t0 + 2s, 10))
                 == (std::vector<int64_t>{1, 2, 3, 4, 5}),
             boost::test_tools::per_element());
  BOOST_TEST(w.attempt_of(4).value_or(0) == 2u);
}

BOOST_AUTO_TEST_CASE(a_batch_carries_a_partition_in_order_and_blocks_it) {
  delivery_window w{small(), 0, t0};
  BOOST_REQUIRE(w.offer(1, "a"));
  BOOST_REQUIRE(w.offer(2, "b"));
  BOOST_REQUIRE(w.offer(3, "a"));
  BOOST_REQUIRE(w.offer(4, "a"));
  auto only_a = [](std::string_view p) { return p == "a"; };
  // Later events of a partition taken into the batch follow it into the
  // batch (one subscriber handles them in order)...
  BOOST_TEST(positions_of(w.next_batch(t0, 10, only_a))
                 == (std::vector<int64_t>{1, 3, 4}),
             boost::test_tools::per_element());
  BOOST_REQUIRE(w.offer(5, "a"));
  // ... but not into another batch while it is in flight.
  BOOST_TEST(w.next_batch(t0, 10, only_a).empty());
  BOOST_TEST(positions_of(w.next_batch(t0, 10))
                 == (std::vector<int64_t>{2}),
             boost::test_tools::per_element());
  BOOST_TEST(w.ack(1));
  BOOST_TEST(w.ack(3));
  BOOST_TEST(w.next_batch(t0, 10).empty()); // 4 is still in flight
  BOOST_TEST(w.ack(4));
  BOOST_TEST(positions_of(w.next_batch(t0, 10))
                 == (std::vector<int64_t>{5}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_refused_event_without_partition_ends_the_batch) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {1, 2, 3});
  int asked = 0;
  auto no = [&](std::string_view) {
    ++asked;
    return false;
  };
  BOOST_TEST(w.next_batch(t0, 10, no).empty());
  BOOST_TEST(asked == 1); // not asked again for each later event
}

BOOST_AUTO_TEST_CASE(events_carry_their_payload_and_owner) {
  delivery_window w{small(), 0, t0};
  auto ev = std::make_shared<const recorded_event>();
  BOOST_REQUIRE(w.offer(1, "", ev));
  BOOST_REQUIRE(w.offer(2, ""));
  BOOST_REQUIRE(w.offer(3, ""));
  auto first = w.next_batch(t0, 2, {}, 7);
  BOOST_REQUIRE_EQUAL(first.size(), 2u);
  BOOST_TEST(first[0].event == ev);
  BOOST_TEST(!first[1].event);
  BOOST_TEST(w.next_batch(t0, 2, {}, 9).size() == 1u);
  BOOST_TEST(w.in_flight_at(7) == (std::vector<int64_t>{1, 2}),
             boost::test_tools::per_element());
  BOOST_TEST(w.in_flight_at(9) == (std::vector<int64_t>{3}),
             boost::test_tools::per_element());
  std::vector<std::pair<int64_t, uint32_t>> expired;
  w.expire(t0 + 1s, &expired);
  BOOST_REQUIRE_EQUAL(expired.size(), 3u);
  BOOST_TEST(expired[0].second == 7u);
  BOOST_TEST(expired[2].second == 9u);
}

BOOST_AUTO_TEST_CASE(an_event_sent_again_expires_at_its_new_deadline) {
  delivery_window w{small(), 0, t0};
  offer_all(w, {1, 2, 3});
  BOOST_REQUIRE_EQUAL(w.next_batch(t0, 3).size(), 3u);
  BOOST_TEST(w.ack(3)); // settled: never expires
  BOOST_TEST(!w.nack(1, t0, "later"));
  auto again = w.next_batch(t0 + 100ms, 3);
  BOOST_REQUIRE_EQUAL(again.size(), 1u);
  BOOST_TEST(again[0].position == 1);
  // The first batch's deadline: only 2 is still in flight for it.
  std::vector<std::pair<int64_t, uint32_t>> expired;
  w.expire(t0 + 1s, &expired);
  BOOST_REQUIRE_EQUAL(expired.size(), 1u);
  BOOST_TEST(expired[0].first == 2);
  BOOST_TEST(static_cast<bool>(w.next_wakeup() == t0 + 1s + 100ms));
  expired.clear();
  w.expire(t0 + 1s + 100ms, &expired);
  BOOST_REQUIRE_EQUAL(expired.size(), 1u);
  BOOST_TEST(expired[0].first == 1);
}

BOOST_AUTO_TEST_SUITE_END()

// The dispatcher's read interval (pure): it grows with the live
// subscriptions between its bounds.

BOOST_AUTO_TEST_CASE(the_read_interval_grows_with_live_subscriptions) {
  using namespace std::chrono_literals;
  es::dispatcher_config cfg;
  cfg.read_interval = 25ms;
  cfg.read_interval_min = 5ms;
  cfg.read_interval_per_member = 25us;
  BOOST_TEST((es::read_interval_for(cfg, 0) == 5ms));
  BOOST_TEST((es::read_interval_for(cfg, 2) == 5ms));
  BOOST_TEST((es::read_interval_for(cfg, 400) == 10ms));
  BOOST_TEST((es::read_interval_for(cfg, 1000) == 25ms));
  BOOST_TEST((es::read_interval_for(cfg, 100000) == 25ms));
}
