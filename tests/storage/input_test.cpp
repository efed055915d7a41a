// Input checks and the idempotent-retry classifier, without a database.
#include "messages/error.hpp"
#include "storage/input.hpp"
#include "storage/replay.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

using namespace es;
using namespace es::storage;

namespace {

stream_append one(std::string stream, expected_version ex, int n) {
  stream_append part{std::move(stream), ex, {}};
  for (int i = 0; i < n; ++i) {
    event_data ev;
    ev.type = "E";
    part.events.push_back(ev);
  }
  return part;
}

stored_event at(std::string stream, int64_t version, bool same = true) {
  return {true, std::move(stream), version, version * 10, same};
}

} // namespace

BOOST_AUTO_TEST_SUITE(input)

BOOST_AUTO_TEST_CASE(stream_ids) {
  store_options opts;
  BOOST_TEST(!check_stream_id("game-42", opts));
  BOOST_TEST(!check_stream_id("spiel-ü-👾", opts));
  BOOST_TEST(!check_stream_id("quote'\"; --", opts));
  for (std::string bad :
       {std::string{}, std::string("a\0b", 3), std::string{"a\nb"},
        std::string{"\x7f"}, std::string{"\xc2\x85"} /* C1 NEL */,
        std::string{"\xc3\x28"}, std::string{"\xed\xa0\x80"} /* surrogate */,
        std::string{"\xc0\xaf"} /* overlong */, std::string(257, 'x')}) {
    auto err = check_stream_id(bad, opts);
    BOOST_TEST(err == ec::invalid_argument, excerpt(bad));
  }
  auto err = check_stream_id(std::string(300, 'x'), opts);
  BOOST_TEST(describe(err).find("300 bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(subscription_names) {
  store_options opts;
  BOOST_TEST(!check_subscription_name("projector:scores", opts));
  BOOST_TEST(!check_subscription_name("abo-ü", opts));
  for (std::string bad : {std::string{}, std::string("a\0b", 3),
                          std::string{"\xc3\x28"}, std::string(257, 'x')}) {
    auto err = check_subscription_name(bad, opts);
    BOOST_TEST(err == ec::invalid_argument, excerpt(bad));
    BOOST_TEST(describe(err).find("subscription name") != std::string::npos,
               describe(err));
    BOOST_TEST(describe(err).find("stream id") == std::string::npos,
               describe(err));
  }
}

BOOST_AUTO_TEST_CASE(bounded_text_cuts_at_utf8_boundaries) {
  BOOST_TEST(bounded_text("hello", 10) == "hello");
  BOOST_TEST(bounded_text("hello", 3) == "hel");
  BOOST_TEST(bounded_text("", 3) == "");
  // "aé€" is 1 + 2 + 3 bytes: no code point is ever split.
  BOOST_TEST(bounded_text("a\xc3\xa9\xe2\x82\xac", 6) ==
             "a\xc3\xa9\xe2\x82\xac");
  BOOST_TEST(bounded_text("a\xc3\xa9\xe2\x82\xac", 5) == "a\xc3\xa9");
  BOOST_TEST(bounded_text("a\xc3\xa9\xe2\x82\xac", 2) == "a");
  BOOST_TEST(bounded_text("\xf0\x9f\x91\xbe", 3) == "");
  // NUL and invalid bytes become U+FFFD (3 bytes).
  BOOST_TEST(bounded_text(std::string("x\0y", 3), 10) == "x\xef\xbf\xbd"
                                                         "y");
  BOOST_TEST(bounded_text("\xff\xc3", 10) == "\xef\xbf\xbd\xef\xbf\xbd");
  BOOST_TEST(bounded_text("\xff", 2) == "");
}

BOOST_AUTO_TEST_CASE(excerpts_are_short_and_printable) {
  BOOST_TEST(excerpt("a\nb") == "a\\x0ab");
  auto long_text = excerpt(std::string(1000, 'y'));
  BOOST_TEST(long_text.size() < 100u);
  BOOST_TEST(long_text.find("1000 bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(page_sizes) {
  store_options opts;
  BOOST_TEST(!check_page_size(1, opts));
  BOOST_TEST(!check_page_size(opts.max_page_size, opts));
  BOOST_TEST(check_page_size(0, opts) == ec::invalid_argument);
  BOOST_TEST(check_page_size(opts.max_page_size + 1, opts) ==
             ec::invalid_argument);
}

BOOST_AUTO_TEST_CASE(appends_name_the_bad_event) {
  store_options opts;
  auto parts = std::vector<stream_append>{one("s", expected_version::any(), 3)};
  BOOST_TEST(!check_append(parts, opts));
  parts[0].events[2].data = "{\"a\":}";
  auto err = check_append(parts, opts);
  BOOST_TEST(err == ec::invalid_event);
  BOOST_TEST(describe(err).find("event 2") != std::string::npos, describe(err));
  BOOST_TEST(describe(err).find("data") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(replay)

BOOST_AUTO_TEST_CASE(nothing_stored_is_not_a_replay) {
  auto part = one("s", expected_version::exact(2), 2);
  auto v = classify_replay(part, {stored_event{}, stored_event{}});
  BOOST_TEST((v.what == replay_verdict::kind::not_stored));
}

BOOST_AUTO_TEST_CASE(all_stored_in_place_is_a_replay) {
  auto part = one("s", expected_version::exact(2), 2);
  auto v = classify_replay(part, {at("s", 3), at("s", 4)});
  BOOST_REQUIRE((v.what == replay_verdict::kind::replay));
  BOOST_TEST(v.result.first_version == 3);
  BOOST_TEST(v.result.last_version == 4);
  BOOST_TEST(v.result.replayed);
  BOOST_TEST(v.result.positions == (std::vector<int64_t>{30, 40}),
             boost::test_tools::per_element());
  auto any = one("s", expected_version::any(), 2);
  BOOST_TEST((classify_replay(any, {at("s", 7), at("s", 8)}).what ==
              replay_verdict::kind::replay));
}

BOOST_AUTO_TEST_CASE(anything_else_is_a_duplicate) {
  using k = replay_verdict::kind;
  auto part = one("s", expected_version::exact(2), 2);
  // partly stored
  BOOST_TEST((classify_replay(part, {at("s", 3), stored_event{}}).what ==
              k::duplicate));
  // other stream
  BOOST_TEST(
      (classify_replay(part, {at("t", 3), at("t", 4)}).what == k::duplicate));
  // other content
  BOOST_TEST((classify_replay(part, {at("s", 3), at("s", 4, false)}).what ==
              k::duplicate));
  // out of order
  BOOST_TEST(
      (classify_replay(part, {at("s", 4), at("s", 3)}).what == k::duplicate));
  // not where exact(2) puts it
  auto v = classify_replay(part, {at("s", 5), at("s", 6)});
  BOOST_TEST((v.what == k::duplicate));
  BOOST_TEST(v.error == ec::duplicate_event);
  BOOST_TEST(describe(v.error).find("exact(2)") != std::string::npos);
  // no_stream must start at 1
  auto fresh = one("s", expected_version::no_stream(), 1);
  BOOST_TEST((classify_replay(fresh, {at("s", 2)}).what == k::duplicate));
  BOOST_TEST((classify_replay(fresh, {at("s", 1)}).what == k::replay));
  // ... or right after the soft-deleted prefix of a recreated stream.
  auto recreated = at("s", 6);
  recreated.hidden_below = 5;
  BOOST_TEST((classify_replay(fresh, {recreated}).what == k::replay));
  recreated.hidden_below = 4;
  BOOST_TEST((classify_replay(fresh, {recreated}).what == k::duplicate));
}

BOOST_AUTO_TEST_SUITE_END()
