// Persistent subscriptions in storage::event_store against PostgreSQL:
// checkpoints (create, save, never backwards, reset, delete, list) and
// parked events (park, re-park, list with paging, unpark, cascade).
#include "messages/error.hpp"
#include "storage/event_store.hpp"
#include "storage/input.hpp"
#include "storage/sql.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>

using namespace es;
using es::test::open_store;
using es::test::unique_stream;

namespace {

#define REQUIRE_OK(expr)                                                       \
  do {                                                                         \
    auto&& ok_ = (expr);                                                       \
    BOOST_REQUIRE_MESSAGE(static_cast<bool>(ok_),                              \
                          "unexpected error: " << error_of(ok_));              \
  } while (false)

#define REQUIRE_NO_ERROR(expr)                                                 \
  do {                                                                         \
    auto err_ = (expr);                                                        \
    BOOST_REQUIRE_MESSAGE(!err_, "unexpected error: " << describe(err_));      \
  } while (false)

/// `err` is `code` and its message contains `text`.
void require_error(const caf::error& err, ec code, const std::string& text) {
  BOOST_REQUIRE_MESSAGE(err, "expected error " << to_string(code)
                                               << ", got success");
  auto msg = describe(err);
  BOOST_TEST_MESSAGE(msg);
  BOOST_TEST(err == code, "expected " << to_string(code) << ", got " << msg);
  BOOST_TEST(msg.find(text) != std::string::npos,
             "expected '" << text << "' in: " << msg);
}

template<class T>
void require_error(const caf::expected<T>& res, ec code,
                   const std::string& text) {
  BOOST_REQUIRE_MESSAGE(!res, "expected error " << to_string(code)
                                                << ", got a value");
  require_error(res.error(), code, text);
}

/// Appends `n` events to a new stream; returns their global positions.
std::vector<int64_t> append_events(storage::event_store& store, int n,
                                   std::vector<event_data>* out = nullptr) {
  stream_append part{unique_stream("sub"), expected_version::no_stream(), {}};
  for (int i = 0; i < n; ++i) {
    event_data ev;
    ev.type = "ScoreChanged";
    ev.data = R"({"score":)" + std::to_string(i) + "}";
    ev.metadata = R"({"correlation_id":"c-)" + std::to_string(i) + R"("})";
    part.events.push_back(ev);
  }
  if (out != nullptr)
    *out = part.events;
  auto res = store.append(part);
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  return res->positions;
}

std::vector<int64_t> positions_of(const std::vector<parked_event>& parked) {
  std::vector<int64_t> out;
  for (auto& p : parked)
    out.push_back(p.event.global_position);
  return out;
}

int64_t parked_rows(storage::event_store& store, const std::string& name) {
  const pg::statement count{
      "test_count_parked",
      "SELECT count(*) FROM es_parked_events WHERE subscription = $1", 1};
  auto res = store.connection().exec(count, pg::params{}.add(name));
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  return res->int64(0, 0);
}

const subscription_record* find(const std::vector<subscription_record>& subs,
                               const std::string& name) {
  auto i = std::find_if(subs.begin(), subs.end(),
                        [&](auto& s) { return s.name == name; });
  return i == subs.end() ? nullptr : &*i;
}

} // namespace

BOOST_AUTO_TEST_SUITE(subscription_checkpoints)

BOOST_AUTO_TEST_CASE(open_creates_at_zero_and_is_idempotent) {
  auto store = open_store();
  auto name = unique_stream("sub");
  auto before = now_utc() - std::chrono::minutes{1};
  auto first = store.open_subscription(name);
  REQUIRE_OK(first);
  BOOST_TEST(first->name == name);
  BOOST_TEST(first->position == 0);
  BOOST_TEST(first->parked == 0u);
  BOOST_TEST((first->created_at > before));
  REQUIRE_OK(store.save_checkpoint(name, 7));
  auto again = store.open_subscription(name);
  REQUIRE_OK(again);
  BOOST_TEST(again->name == name);
  BOOST_TEST(again->position == 7); // not reset by opening again
  BOOST_TEST((again->created_at == first->created_at));
  BOOST_TEST((again->updated_at >= first->updated_at));
  auto subs = store.list_subscriptions();
  REQUIRE_OK(subs);
  BOOST_TEST(std::count_if(subs->begin(), subs->end(),
                           [&](auto& s) { return s.name == name; }) == 1);
}

BOOST_AUTO_TEST_CASE(checkpoint_never_moves_backwards) {
  auto store = open_store();
  auto name = unique_stream("sub");
  REQUIRE_OK(store.open_subscription(name));
  auto saved = store.save_checkpoint(name, 10);
  REQUIRE_OK(saved);
  BOOST_TEST(*saved == 10);
  auto lower = store.save_checkpoint(name, 3);
  REQUIRE_OK(lower);
  BOOST_TEST(*lower == 10); // the stored one, higher than asked
  auto zero = store.save_checkpoint(name, 0);
  REQUIRE_OK(zero);
  BOOST_TEST(*zero == 10);
  auto state = store.open_subscription(name);
  REQUIRE_OK(state);
  BOOST_TEST(state->position == 10);
  auto higher = store.save_checkpoint(name, 11);
  REQUIRE_OK(higher);
  BOOST_TEST(*higher == 11);
}

BOOST_AUTO_TEST_CASE(unknown_subscription_is_not_found) {
  auto store = open_store();
  auto name = unique_stream("nosub");
  auto positions = append_events(store, 1);
  require_error(store.save_checkpoint(name, 1), ec::not_found, name);
  require_error(store.save_checkpoint(name, 1), ec::not_found,
                "does not exist");
  require_error(store.reset_checkpoint(name, 1), ec::not_found, name);
  require_error(store.delete_subscription(name), ec::not_found, name);
  require_error(store.park_event(name, positions[0], 1, "boom"), ec::not_found,
                name);
  require_error(store.list_parked(name, 0, 10), ec::not_found, name);
  require_error(store.unpark_event(name, positions[0]), ec::not_found, name);
  // None of these created it.
  auto subs = store.list_subscriptions();
  REQUIRE_OK(subs);
  BOOST_TEST(find(*subs, name) == nullptr);
}

BOOST_AUTO_TEST_CASE(negative_positions_are_invalid) {
  auto store = open_store();
  auto name = unique_stream("sub");
  REQUIRE_OK(store.open_subscription(name));
  REQUIRE_OK(store.save_checkpoint(name, 4));
  require_error(store.save_checkpoint(name, -1), ec::invalid_argument,
                "negative position -1");
  require_error(store.reset_checkpoint(name, -5), ec::invalid_argument,
                "negative position -5");
  require_error(store.park_event(name, -2, 1, "r"), ec::invalid_argument,
                "negative position -2");
  require_error(store.list_parked(name, -3, 10), ec::invalid_argument,
                "negative position -3");
  auto state = store.open_subscription(name);
  REQUIRE_OK(state);
  BOOST_TEST(state->position == 4);
}

BOOST_AUTO_TEST_CASE(reset_moves_the_checkpoint_back) {
  auto store = open_store();
  auto name = unique_stream("sub");
  REQUIRE_OK(store.open_subscription(name));
  REQUIRE_OK(store.save_checkpoint(name, 100));
  REQUIRE_NO_ERROR(store.reset_checkpoint(name, 2));
  auto state = store.open_subscription(name);
  REQUIRE_OK(state);
  BOOST_TEST(state->position == 2);
  // Saving is monotonic again from the reset position.
  auto saved = store.save_checkpoint(name, 1);
  REQUIRE_OK(saved);
  BOOST_TEST(*saved == 2);
  REQUIRE_NO_ERROR(store.reset_checkpoint(name, 50));
  state = store.open_subscription(name);
  REQUIRE_OK(state);
  BOOST_TEST(state->position == 50);
}

BOOST_AUTO_TEST_CASE(bad_names_are_refused) {
  auto store = open_store();
  const std::pair<std::string, std::string> bad[] = {
      {std::string{}, "subscription name is empty"},
      {std::string("a\0b", 3), "control character"},
      {std::string{"a\nb"}, "control character"},
      {std::string{"\xc3\x28"}, "not valid UTF-8"},
      {std::string(store.options().max_stream_id_bytes + 1, 'n'),
       "bytes long; the limit is"},
  };
  for (auto& [name, problem] : bad) {
    BOOST_TEST_CONTEXT("name '" << storage::excerpt(name) << "'") {
      require_error(store.open_subscription(name), ec::invalid_argument,
                    problem);
      require_error(store.open_subscription(name), ec::invalid_argument,
                    "subscription name");
      require_error(store.save_checkpoint(name, 1), ec::invalid_argument,
                    "subscription name");
      require_error(store.reset_checkpoint(name, 1), ec::invalid_argument,
                    "subscription name");
      require_error(store.delete_subscription(name), ec::invalid_argument,
                    "subscription name");
      require_error(store.park_event(name, 1, 1, "r"), ec::invalid_argument,
                    "subscription name");
      require_error(store.list_parked(name, 0, 1), ec::invalid_argument,
                    "subscription name");
      require_error(store.unpark_event(name, 1), ec::invalid_argument,
                    "subscription name");
    }
  }
  // The longest allowed name works.
  auto longest = unique_stream("sub");
  longest.resize(store.options().max_stream_id_bytes, 'x');
  auto state = store.open_subscription(longest);
  REQUIRE_OK(state);
  BOOST_TEST(state->name == longest);
}

BOOST_AUTO_TEST_CASE(list_subscriptions_shows_positions_and_parked_counts) {
  auto store = open_store();
  auto a = unique_stream("sub-list");
  auto b = unique_stream("sub-list");
  auto positions = append_events(store, 3);
  REQUIRE_OK(store.open_subscription(b));
  REQUIRE_OK(store.open_subscription(a));
  REQUIRE_OK(store.save_checkpoint(a, positions[2]));
  REQUIRE_NO_ERROR(store.park_event(a, positions[0], 1, "first"));
  REQUIRE_NO_ERROR(store.park_event(a, positions[1], 1, "second"));
  REQUIRE_NO_ERROR(store.park_event(a, positions[1], 2, "second again"));
  auto subs = store.list_subscriptions();
  REQUIRE_OK(subs);
  auto* sa = find(*subs, a);
  auto* sb = find(*subs, b);
  BOOST_REQUIRE(sa != nullptr);
  BOOST_REQUIRE(sb != nullptr);
  BOOST_TEST(sa->position == positions[2]);
  BOOST_TEST(sa->parked == 2u);
  BOOST_TEST(sb->position == 0);
  BOOST_TEST(sb->parked == 0u);
  BOOST_TEST((sa->updated_at >= sa->created_at));
  BOOST_TEST(std::is_sorted(subs->begin(), subs->end(),
                            [](auto& x, auto& y) { return x.name < y.name; }));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(subscription_parked_events)

BOOST_AUTO_TEST_CASE(park_list_unpark_round_trip) {
  auto store = open_store();
  auto name = unique_stream("sub");
  std::vector<event_data> written;
  auto positions = append_events(store, 3, &written);
  REQUIRE_OK(store.open_subscription(name));
  auto before = now_utc() - std::chrono::minutes{1};
  REQUIRE_NO_ERROR(store.park_event(name, positions[2], 3, "handler threw"));
  REQUIRE_NO_ERROR(store.park_event(name, positions[0], 1, "timeout"));
  auto parked = store.list_parked(name, 0, 10);
  REQUIRE_OK(parked);
  BOOST_REQUIRE_EQUAL(parked->size(), 2u);
  BOOST_TEST(positions_of(*parked) ==
                 (std::vector<int64_t>{positions[0], positions[2]}),
             boost::test_tools::per_element());
  // The event itself, as stored in es_events.
  auto& first = (*parked)[0];
  BOOST_TEST(first.event.id == written[0].id);
  BOOST_TEST(first.event.stream_version == 1);
  BOOST_TEST(first.event.type == "ScoreChanged");
  BOOST_TEST(first.event.data == R"({"score": 0})");
  BOOST_TEST(first.event.metadata == R"({"correlation_id": "c-0"})");
  BOOST_TEST((first.event.created_at == written[0].created_at));
  BOOST_TEST(first.attempts == 1);
  BOOST_TEST(first.reason == "timeout");
  BOOST_TEST((first.parked_at > before));
  auto& last = (*parked)[1];
  BOOST_TEST(last.event.id == written[2].id);
  BOOST_TEST(last.event.stream == first.event.stream);
  BOOST_TEST(last.event.stream_version == 3);
  BOOST_TEST(last.attempts == 3);
  BOOST_TEST(last.reason == "handler threw");
  // Parking again updates attempts, reason and time; no second row.
  REQUIRE_NO_ERROR(store.park_event(name, positions[0], 4, "still failing"));
  parked = store.list_parked(name, 0, 10);
  REQUIRE_OK(parked);
  BOOST_REQUIRE_EQUAL(parked->size(), 2u);
  BOOST_TEST((*parked)[0].attempts == 4);
  BOOST_TEST((*parked)[0].reason == "still failing");
  BOOST_TEST(((*parked)[0].parked_at >= first.parked_at));
  // Unpark: true once, then false.
  auto removed = store.unpark_event(name, positions[0]);
  REQUIRE_OK(removed);
  BOOST_TEST(*removed);
  removed = store.unpark_event(name, positions[0]);
  REQUIRE_OK(removed);
  BOOST_TEST(!*removed);
  removed = store.unpark_event(name, positions[1]); // never parked
  REQUIRE_OK(removed);
  BOOST_TEST(!*removed);
  parked = store.list_parked(name, 0, 10);
  REQUIRE_OK(parked);
  BOOST_TEST(positions_of(*parked) == (std::vector<int64_t>{positions[2]}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(parked_events_are_per_subscription) {
  auto store = open_store();
  auto a = unique_stream("sub");
  auto b = unique_stream("sub");
  auto positions = append_events(store, 2);
  REQUIRE_OK(store.open_subscription(a));
  REQUIRE_OK(store.open_subscription(b));
  REQUIRE_NO_ERROR(store.park_event(a, positions[0], 1, "a"));
  REQUIRE_NO_ERROR(store.park_event(b, positions[0], 2, "b"));
  REQUIRE_NO_ERROR(store.park_event(b, positions[1], 1, "b"));
  auto pa = store.list_parked(a, 0, 10);
  auto pb = store.list_parked(b, 0, 10);
  REQUIRE_OK(pa);
  REQUIRE_OK(pb);
  BOOST_TEST(positions_of(*pa) == (std::vector<int64_t>{positions[0]}),
             boost::test_tools::per_element());
  BOOST_TEST(positions_of(*pb) == positions, boost::test_tools::per_element());
  BOOST_TEST((*pa)[0].reason == "a");
  BOOST_TEST((*pb)[0].attempts == 2);
}

BOOST_AUTO_TEST_CASE(listing_pages_with_after) {
  auto store = open_store();
  auto name = unique_stream("sub");
  auto positions = append_events(store, 5);
  REQUIRE_OK(store.open_subscription(name));
  for (auto pos : positions)
    REQUIRE_NO_ERROR(store.park_event(name, pos, 1, "r"));
  std::vector<int64_t> seen;
  int64_t after = 0;
  std::vector<size_t> sizes;
  for (int round = 0; round < 10; ++round) {
    auto page = store.list_parked(name, after, 2);
    REQUIRE_OK(page);
    sizes.push_back(page->size());
    if (page->empty())
      break;
    for (auto pos : positions_of(*page))
      seen.push_back(pos);
    after = page->back().event.global_position;
  }
  BOOST_TEST(sizes == (std::vector<size_t>{2, 2, 1, 0}),
             boost::test_tools::per_element());
  BOOST_TEST(seen == positions, boost::test_tools::per_element());
  // `after` is exclusive.
  auto tail = store.list_parked(name, positions[3], 10);
  REQUIRE_OK(tail);
  BOOST_TEST(positions_of(*tail) == (std::vector<int64_t>{positions[4]}),
             boost::test_tools::per_element());
  require_error(store.list_parked(name, 0, 0), ec::invalid_argument,
                "page size 0");
  require_error(store.list_parked(name, 0, store.options().max_page_size + 1),
                ec::invalid_argument, "out of range");
}

BOOST_AUTO_TEST_CASE(park_checks_attempts_event_and_reason) {
  auto store = open_store();
  auto name = unique_stream("sub");
  auto positions = append_events(store, 1);
  REQUIRE_OK(store.open_subscription(name));
  require_error(store.park_event(name, positions[0], 0, "r"),
                ec::invalid_argument, "0 attempts; expected at least 1");
  require_error(store.park_event(name, positions[0], -3, "r"),
                ec::invalid_argument, "-3 attempts");
  auto horizon = store.log_horizon();
  REQUIRE_OK(horizon);
  auto missing = *horizon + 1'000'000;
  require_error(store.park_event(name, missing, 1, "r"), ec::not_found,
                "no such event");
  BOOST_TEST(parked_rows(store, name) == 0);
  // A long reason is cut at a UTF-8 boundary: 1 + 2 * 2047 = 4095 bytes
  // fit, the next two-byte 'é' would not.
  std::string reason = "x";
  for (int i = 0; i < 3000; ++i)
    reason += "\xc3\xa9";
  REQUIRE_NO_ERROR(store.park_event(name, positions[0], 1, reason));
  auto parked = store.list_parked(name, 0, 10);
  REQUIRE_OK(parked);
  BOOST_REQUIRE_EQUAL(parked->size(), 1u);
  auto& stored = (*parked)[0].reason;
  BOOST_TEST(stored.size() == 4095u);
  BOOST_TEST(stored == reason.substr(0, 4095));
  // NUL and invalid UTF-8 cannot be stored as text: they become U+FFFD.
  REQUIRE_NO_ERROR(
      store.park_event(name, positions[0], 2, std::string("a\0b\xff", 4)));
  parked = store.list_parked(name, 0, 10);
  REQUIRE_OK(parked);
  BOOST_REQUIRE_EQUAL(parked->size(), 1u);
  BOOST_TEST((*parked)[0].reason == "a\xef\xbf\xbd"
                                    "b\xef\xbf\xbd");
}

BOOST_AUTO_TEST_CASE(deleting_a_subscription_removes_its_parked_events) {
  auto store = open_store();
  auto name = unique_stream("sub");
  auto other = unique_stream("sub");
  auto positions = append_events(store, 2);
  REQUIRE_OK(store.open_subscription(name));
  REQUIRE_OK(store.open_subscription(other));
  REQUIRE_OK(store.save_checkpoint(name, positions[1]));
  REQUIRE_NO_ERROR(store.park_event(name, positions[0], 1, "r"));
  REQUIRE_NO_ERROR(store.park_event(name, positions[1], 1, "r"));
  REQUIRE_NO_ERROR(store.park_event(other, positions[0], 1, "r"));
  BOOST_TEST(parked_rows(store, name) == 2);
  REQUIRE_NO_ERROR(store.delete_subscription(name));
  BOOST_TEST(parked_rows(store, name) == 0);
  BOOST_TEST(parked_rows(store, other) == 1); // others keep theirs
  require_error(store.delete_subscription(name), ec::not_found, name);
  auto subs = store.list_subscriptions();
  REQUIRE_OK(subs);
  BOOST_TEST(find(*subs, name) == nullptr);
  BOOST_TEST(find(*subs, other) != nullptr);
  // Opening the name again starts over.
  auto fresh = store.open_subscription(name);
  REQUIRE_OK(fresh);
  BOOST_TEST(fresh->position == 0);
  auto parked = store.list_parked(name, 0, 10);
  REQUIRE_OK(parked);
  BOOST_TEST(parked->empty());
}

BOOST_AUTO_TEST_SUITE_END()
