// Subscriptions against a real PostgreSQL: catch-up then live without a gap
// or a duplicate under concurrent appends, starting from now, retries then
// parking, a dead subscriber replaced with its events redelivered, and a
// slow subscriber whose subscription stays within its memory bound.
#include "messages/error.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <deque>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;

namespace {

/// What a test subscriber saw, shared with the test thread.
struct collector {
  std::mutex mtx;
  std::vector<int64_t> positions; // every delivery, in arrival order
  std::vector<std::string> ids;   // event ids, same order

  void add(const recorded_event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    positions.push_back(ev.global_position);
    ids.push_back(to_string(ev.id));
  }
  std::vector<int64_t> seen() {
    std::lock_guard<std::mutex> guard{mtx};
    return positions;
  }
  std::set<int64_t> distinct() {
    auto all = seen();
    return {all.begin(), all.end()};
  }
};

/// A subscriber that records and acknowledges everything, except that it
/// declines the events of `decline` (by position) and quits when it gets
/// event number `die_at` (1-based; 0: never).
subscriber_actor::behavior_type
recording_subscriber(subscriber_actor::pointer self,
                     std::shared_ptr<collector> out,
                     std::shared_ptr<std::set<std::string>> decline,
                     size_t die_at) {
  auto count = std::make_shared<size_t>(0);
  return {
      [=](deliver_atom, const event_batch& batch) -> caf::result<batch_ack> {
        batch_ack ack;
        for (auto& ev : batch.events) {
          if (die_at != 0 && ++*count == die_at) {
            self->quit(caf::exit_reason::user_shutdown);
            return caf::sec::request_receiver_down;
          }
          out->add(*ev);
          if (decline->count(to_string(ev->id)) != 0) {
            ack.reason = "declined by the test";
            return ack;
          }
          ack.handled = ev->global_position;
        }
        return ack;
      },
  };
}

struct subscription_fixture {
  test_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<const registry::catalog> cat =
      std::make_shared<const registry::catalog>(registry::game_catalog());
  std::optional<store> es;
  /// A category of our own, so that other tests' events do not count.
  std::string category = "sub" + std::to_string(::getpid()) + "x"
                         + std::to_string(std::rand() % 100000);

  subscription_fixture() {
    auto s = start(sys, test_options(), cat);
    BOOST_REQUIRE_MESSAGE(s, error_of(s));
    es.emplace(std::move(*s));
  }
  ~subscription_fixture() {
    if (es)
      es->stop();
  }

  std::string stream(int i) { return category + "-" + std::to_string(i); }

  /// Appends `n` events to stream `i`, one per call.
  void append(int i, size_t n) {
    for (size_t k = 0; k < n; ++k) {
      auto r = es->append(stream(i), expected_version::any(),
                          {joined_event(*cat)});
      BOOST_REQUIRE_MESSAGE(r, error_of(r));
    }
  }

  /// The positions of our category, as the database has them.
  std::vector<int64_t> stored_positions() {
    return test::stored_positions(category);
  }


  subscription_spec spec(std::shared_ptr<collector> out,
                         std::shared_ptr<std::set<std::string>> decline = {},
                         size_t die_at = 0) {
    if (!decline)
      decline = std::make_shared<std::set<std::string>>();
    subscription_spec s;
    s.name = "test-" + category;
    s.filter = log_filter::category(category);
    s.start = start_from::origin;
    s.subscriber = sys.spawn(recording_subscriber, out, decline, die_at);
    return s;
  }

  subscription_status status(const subscription_actor& sub) {
    auto st = es->status_of(sub);
    BOOST_REQUIRE_MESSAGE(st, error_of(st));
    return *st;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(subscriptions, subscription_fixture)

BOOST_AUTO_TEST_CASE(catch_up_then_live_without_a_gap_or_a_duplicate) {
  append(1, 150);
  append(2, 150);
  auto out = std::make_shared<collector>();
  auto s = spec(out);
  s.page_size = 40; // several catch-up pages
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  // Appends keep coming while it catches up and switches to live.
  std::thread writer{[&] {
    for (int i = 0; i < 150; ++i) {
      auto r = es->append(stream(3 + i % 3), expected_version::any(),
                          {joined_event(*cat)});
      if (!r)
        return;
    }
  }};
  writer.join();
  auto expected = stored_positions();
  BOOST_REQUIRE(expected.size() == 450u);
  BOOST_REQUIRE(eventually(
      [&] { return status(*sub).acknowledged >= expected.size(); }));
  auto seen = out->seen();
  BOOST_TEST(seen == expected, boost::test_tools::per_element());
  auto st = status(*sub);
  BOOST_TEST(st.live);
  BOOST_TEST(st.checkpoint >= expected.back());
  BOOST_TEST(st.parked_events.empty());
  // And live delivery goes on.
  append(7, 5);
  BOOST_REQUIRE(eventually([&] { return out->seen().size() == 455u; }));
  BOOST_TEST(out->seen() == stored_positions(),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(from_now_skips_what_was_there_before) {
  append(1, 20);
  auto out = std::make_shared<collector>();
  auto s = spec(out);
  s.start = start_from::now;
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  append(2, 10);
  auto all = stored_positions();
  std::vector<int64_t> after(all.end() - 10, all.end());
  BOOST_REQUIRE(eventually([&] { return out->seen().size() >= 10u; }));
  BOOST_TEST(out->seen() == after, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_declined_event_is_retried_then_parked_and_others_flow) {
  append(1, 10);
  auto poison = open_store().read_stream(stream(1), 4, 1);
  BOOST_REQUIRE(poison && poison->events.size() == 1u);
  auto bad = poison->events[0];
  auto decline = std::make_shared<std::set<std::string>>();
  decline->insert(to_string(bad.id));
  auto out = std::make_shared<collector>();
  auto s = spec(out, decline);
  s.delivery.max_attempts = 3;
  s.delivery.retry_delay = 5ms;
  s.delivery.retry_delay_max = 20ms;
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(
      eventually([&] { return status(*sub).parked_events.size() == 1u; }));
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 9u; }));
  auto st = status(*sub);
  BOOST_TEST(st.parked_events[0].position == bad.global_position);
  BOOST_TEST(st.parked_events[0].attempts == 3u);
  BOOST_TEST(st.parked_events[0].reason.find("declined") != std::string::npos,
             st.parked_events[0].reason);
  BOOST_TEST(st.retried == 3u);
  auto seen = out->seen();
  BOOST_TEST(std::count(seen.begin(), seen.end(), bad.global_position) == 3);
  BOOST_TEST(out->distinct().size() == 10u);
  BOOST_TEST(st.checkpoint >= stored_positions().back());
  // Replay: the subscriber takes it now (the test thread changes `decline`
  // while nothing is in flight), and it leaves the parked list.
  decline->clear();
  auto replayed = es->replay_parked(*sub);
  BOOST_REQUIRE_MESSAGE(replayed, error_of(replayed));
  BOOST_TEST(*replayed == 1u);
  BOOST_TEST(status(*sub).parked_events.empty());
  seen = out->seen();
  BOOST_TEST(std::count(seen.begin(), seen.end(), bad.global_position) == 4);
}

BOOST_AUTO_TEST_CASE(a_batch_is_acknowledged_up_to_the_position_handled) {
  append(1, 10);
  auto all = stored_positions();
  BOOST_REQUIRE_EQUAL(all.size(), 10u);
  auto failing = all[3];
  // Handles the events of each batch in order, but fails the 4th event the
  // first time it sees it.
  auto out = std::make_shared<collector>();
  auto failed_once = std::make_shared<std::atomic<bool>>(false);
  auto s = spec(out);
  s.delivery.retry_delay = 5ms;
  s.subscriber = sys.spawn([=](subscriber_actor::pointer)
                               -> subscriber_actor::behavior_type {
    return {[=](deliver_atom, const event_batch& batch) {
      batch_ack ack;
      for (auto& ev : batch.events) {
        out->add(*ev);
        if (ev->global_position == failing && !failed_once->exchange(true)) {
          ack.reason = "not now";
          return ack;
        }
        ack.handled = ev->global_position;
      }
      return ack;
    }};
  });
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 10u; }));
  auto st = status(*sub);
  // One failure; the events after it in its batch came again without
  // counting as retries, and nothing was parked.
  BOOST_TEST(st.retried == 1u);
  BOOST_TEST(st.parked_events.empty());
  auto seen = out->seen();
  BOOST_TEST(std::count(seen.begin(), seen.end(), failing) == 2);
  // The events before the failure were acknowledged by the first answer:
  // delivered once.
  for (size_t i = 0; i < 3; ++i)
    BOOST_TEST(std::count(seen.begin(), seen.end(), all[i]) == 1);
  BOOST_TEST(out->distinct() == std::set<int64_t>(all.begin(), all.end()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_killed_subscription_restarts_from_its_checkpoint) {
  append(1, 10);
  auto out = std::make_shared<collector>();
  auto sub = es->subscribe(spec(out));
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 10u; }));
  auto first = stored_positions();
  // A crash: the node starts it again after the checkpoint it had reached.
  caf::anon_send_exit(*sub, caf::exit_reason::kill);
  append(2, 10);
  auto all = stored_positions();
  BOOST_REQUIRE(eventually([&] { return out->distinct().size() == 20u; }));
  BOOST_TEST(out->distinct() == std::set<int64_t>(all.begin(), all.end()),
             boost::test_tools::per_element());
  // What it had acknowledged before the crash did not come again.
  auto seen = out->seen();
  for (auto pos : first)
    BOOST_TEST(std::count(seen.begin(), seen.end(), pos) == 1);
}

BOOST_AUTO_TEST_CASE(stopping_the_store_writes_the_last_checkpoint) {
  append(1, 10);
  auto name = "final-" + category;
  auto out = std::make_shared<collector>();
  auto s = spec(out);
  s.name = name;
  s.persistent = true;
  // Never due on its own during the test.
  s.delivery.checkpoint_every = 1000;
  s.delivery.checkpoint_interval = 1h;
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 10u; }));
  auto stored = [&] {
    auto rec = open_store().open_subscription(name);
    BOOST_REQUIRE_MESSAGE(rec, error_of(rec));
    return rec->position;
  };
  auto last = stored_positions().back();
  BOOST_TEST(stored() < last);
  es->stop();
  BOOST_TEST(stored() == last);
}

BOOST_AUTO_TEST_CASE(a_dead_subscriber_is_replaced_and_gets_its_events) {
  append(1, 60);
  auto out = std::make_shared<collector>();
  auto decline = std::make_shared<std::set<std::string>>();
  auto s = spec(out, decline, 25); // the first subscriber dies at event 25
  s.buffer_size = 8;                // several in flight when it dies
  auto* system = &sys;
  s.respawn = [=] {
    return system->spawn(recording_subscriber, out, decline, size_t{0});
  };
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 60u; }));
  auto st = status(*sub);
  BOOST_TEST(st.subscriber_restarts == 1u);
  BOOST_TEST(st.parked_events.empty());
  auto expected = stored_positions();
  auto distinct = out->distinct();
  BOOST_TEST(std::vector<int64_t>(distinct.begin(), distinct.end()) == expected,
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_slow_subscriber_does_not_grow_memory_past_the_bound) {
  auto out = std::make_shared<collector>();
  auto s = spec(out);
  s.start = start_from::now;
  s.delivery.max_buffered = 20;
  s.buffer_size = 1;
  // Acknowledges each event 5 ms after it arrived (through a helper that
  // answers late), one at a time.
  auto late = sys.spawn([](caf::event_based_actor* self) -> caf::behavior {
    auto waiting = std::make_shared<std::deque<caf::response_promise>>();
    return {
        [=](deliver_atom, int64_t) {
          waiting->push_back(self->make_response_promise());
          self->delayed_send(self, 5ms, timer_atom_v, uint64_t{0});
        },
        [=](timer_atom, uint64_t) {
          waiting->front().deliver(true);
          waiting->pop_front();
        },
    };
  });
  s.subscriber = sys.spawn([out, late](subscriber_actor::pointer self)
                               -> subscriber_actor::behavior_type {
    return {
        [=](deliver_atom, const event_batch& batch) -> caf::result<batch_ack> {
          // buffer_size 1: one event per batch.
          auto& ev = *batch.events.at(0);
          out->add(ev);
          auto rp = self->make_response_promise<batch_ack>();
          auto position = ev.global_position;
          self->request(late, caf::infinite, deliver_atom_v, position)
              .then([=](bool ok) mutable {
                rp.deliver(batch_ack{ok ? position : 0, {}});
              });
          return rp;
        },
    };
  });
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return status(*sub).live; }));
  // Far faster than it acknowledges: calls of 10 events.
  for (int i = 0; i < 12; ++i) {
    auto r = es->append(stream(1), expected_version::any(),
                        joined_events(*cat, 10));
    BOOST_REQUIRE_MESSAGE(r, error_of(r));
  }
  size_t most = 0;
  BOOST_REQUIRE(eventually([&] {
    auto st = status(*sub);
    most = std::max(most, st.queued + st.in_flight);
    return st.acknowledged == 120u;
  }));
  BOOST_TEST(most <= 20u);
  // It fell back to reading the database, and came back live.
  BOOST_TEST(status(*sub).fell_behind >= 1u);
  BOOST_REQUIRE(eventually([&] { return status(*sub).live; }));
  BOOST_TEST(out->seen() == stored_positions(),
             boost::test_tools::per_element());
  anon_send_exit(late, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_persistent_subscription_resumes_after_its_checkpoint) {
  append(1, 30);
  auto name = "persist-" + category;
  auto stored_checkpoint = [&] {
    auto rec = open_store().open_subscription(name);
    BOOST_REQUIRE_MESSAGE(rec, error_of(rec));
    return rec->position;
  };
  auto first = std::make_shared<collector>();
  auto s = spec(first);
  s.name = name;
  s.persistent = true;
  s.delivery.checkpoint_every = 7;
  s.delivery.checkpoint_interval = 20ms;
  // Acknowledged in batches of 5: several checkpoints are due on the way.
  s.buffer_size = 5;
  s.batch_size = 5;
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  auto last = stored_positions().back();
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 30u; }));
  BOOST_REQUIRE(eventually([&] { return stored_checkpoint() >= last; }));
  BOOST_TEST(status(*sub).checkpoints_saved >= 2u); // batched, not per event
  BOOST_TEST(status(*sub).checkpoints_saved < 30u);
  // The whole store stops and starts again; new events come meanwhile.
  es->stop();
  es.reset();
  auto again = start(sys, test_options(), cat);
  BOOST_REQUIRE_MESSAGE(again, error_of(again));
  es.emplace(std::move(*again));
  append(2, 10);
  auto second = std::make_shared<collector>();
  auto s2 = spec(second);
  s2.name = name;
  s2.persistent = true;
  s2.start = start_from::now; // ignored: it exists
  auto sub2 = es->subscribe(s2);
  BOOST_REQUIRE_MESSAGE(sub2, error_of(sub2));
  BOOST_REQUIRE(eventually([&] { return second->seen().size() >= 10u; }));
  auto all = stored_positions();
  BOOST_TEST(second->seen() == std::vector<int64_t>(all.end() - 10, all.end()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_persistent_subscription_stores_what_it_parks) {
  append(1, 5);
  auto poison = open_store().read_stream(stream(1), 2, 1);
  BOOST_REQUIRE(poison && poison->events.size() == 1u);
  auto decline = std::make_shared<std::set<std::string>>();
  decline->insert(to_string(poison->events[0].id));
  auto out = std::make_shared<collector>();
  auto s = spec(out, decline);
  s.name = "parking-" + category;
  s.persistent = true;
  s.delivery.max_attempts = 2;
  s.delivery.retry_delay = 5ms;
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] {
    auto parked = open_store().list_parked(s.name, 0, 10);
    return parked && parked->size() == 1u;
  }));
  auto parked = open_store().list_parked(s.name, 0, 10);
  BOOST_REQUIRE(parked);
  BOOST_TEST((*parked)[0].event.global_position
             == poison->events[0].global_position);
  BOOST_TEST((*parked)[0].attempts == 2);
  BOOST_TEST((*parked)[0].reason.find("declined") != std::string::npos);
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 4u; }));
  // Replayed while the subscriber still declines it: it stays parked.
  auto none = es->replay_parked(*sub);
  BOOST_REQUIRE_MESSAGE(none, error_of(none));
  BOOST_TEST(*none == 0u);
  BOOST_TEST(open_store().list_parked(s.name, 0, 10)->size() == 1u);
  // After a restart of the store (the parked list comes from the database),
  // with the subscriber fixed, a replay hands it over and unparks it.
  es->stop();
  es.reset();
  auto again = start(sys, test_options(), cat);
  BOOST_REQUIRE_MESSAGE(again, error_of(again));
  es.emplace(std::move(*again));
  auto fixed = std::make_shared<collector>();
  auto s2 = spec(fixed);
  s2.name = s.name;
  s2.persistent = true;
  auto sub2 = es->subscribe(s2);
  BOOST_REQUIRE_MESSAGE(sub2, error_of(sub2));
  auto replayed = es->replay_parked(*sub2);
  BOOST_REQUIRE_MESSAGE(replayed, error_of(replayed));
  BOOST_TEST(*replayed == 1u);
  BOOST_TEST(open_store().list_parked(s.name, 0, 10)->empty());
  auto seen = fixed->seen();
  BOOST_TEST(std::count(seen.begin(), seen.end(),
                        poison->events[0].global_position)
             == 1);
}

BOOST_AUTO_TEST_CASE(partitioned_subscribers_share_the_work_in_order) {
  // Three subscribers; each stream always goes to the same one, in order.
  // Twelve streams: the chance that all hash to one subscriber is 3^-11.
  for (int i = 1; i <= 12; ++i)
    append(i, 8);
  struct seen_by {
    std::mutex mtx;
    // stream -> (subscriber, positions in arrival order)
    std::map<std::string, std::set<int>> who;
    std::map<std::string, std::vector<int64_t>> order;
  };
  auto seen = std::make_shared<seen_by>();
  auto next_id = std::make_shared<std::atomic<int>>(0);
  auto* system = &sys;
  auto make = [=] {
    int id = (*next_id)++;
    return system->spawn([=](subscriber_actor::pointer)
                             -> subscriber_actor::behavior_type {
      return {[=](deliver_atom, const event_batch& batch) {
        std::lock_guard<std::mutex> guard{seen->mtx};
        for (auto& ev : batch.events) {
          seen->who[ev->stream].insert(id);
          seen->order[ev->stream].push_back(ev->global_position);
        }
        return batch_ack{batch.events.back()->global_position, {}};
      }};
    });
  };
  auto out = std::make_shared<collector>();
  auto s = spec(out);
  s.subscriber = make();
  s.respawn = make;
  s.concurrency_limit = 3;
  s.partition_by_stream = true;
  s.buffer_size = 4;
  auto sub = es->subscribe(s);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return status(*sub).acknowledged == 96u; }));
  std::lock_guard<std::mutex> guard{seen->mtx};
  std::set<int> used;
  for (int i = 1; i <= 12; ++i) {
    auto& who = seen->who[stream(i)];
    BOOST_TEST(who.size() == 1u, stream(i) << " went to " << who.size());
    used.insert(who.begin(), who.end());
    auto& order = seen->order[stream(i)];
    BOOST_TEST(order.size() == 8u);
    BOOST_TEST(std::is_sorted(order.begin(), order.end()));
  }
  BOOST_TEST(used.size() >= 2u); // the work is shared
  // Without a way to make more subscribers, one is the limit.
  auto bad = spec(out);
  bad.concurrency_limit = 2;
  auto refused = es->subscribe(bad);
  BOOST_REQUIRE(!refused);
  BOOST_TEST(describe(refused.error()).find("concurrency_limit")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_subscriptions_are_refused_with_a_reason) {
  auto out = std::make_shared<collector>();
  auto s = spec(out);
  s.buffer_size = 0;
  auto sub = es->subscribe(s);
  BOOST_REQUIRE(!sub);
  BOOST_TEST(sub.error() == ec::invalid_argument);
  BOOST_TEST(describe(sub.error()).find("buffer_size") != std::string::npos);
  s = spec(out);
  s.delivery.max_attempts = 0;
  sub = es->subscribe(s);
  BOOST_REQUIRE(!sub);
  BOOST_TEST(describe(sub.error()).find("max-attempts") != std::string::npos);
  s = spec(out);
  s.subscriber = nullptr;
  sub = es->subscribe(s);
  BOOST_REQUIRE(!sub);
  BOOST_TEST(describe(sub.error()).find("no subscriber") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
