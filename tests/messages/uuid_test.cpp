#include "messages/error.hpp"
#include "messages/uuid.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

BOOST_AUTO_TEST_SUITE(uuid)

BOOST_AUTO_TEST_CASE(v7_has_version_and_variant) {
  auto id = es::uuid::v7();
  BOOST_TEST(id.version() == 7);
  BOOST_TEST((id.bytes()[8] & 0xc0) == 0x80);
  BOOST_TEST(!id.nil());
}

BOOST_AUTO_TEST_CASE(v7_ids_are_unique_and_sorted_by_creation) {
  std::vector<es::uuid> ids;
  for (int i = 0; i < 20000; ++i)
    ids.push_back(es::uuid::v7());
  std::set<es::uuid> unique(ids.begin(), ids.end());
  BOOST_TEST(unique.size() == ids.size());
  for (size_t i = 1; i < ids.size(); ++i)
    BOOST_TEST_REQUIRE(ids[i - 1] < ids[i]);
}

BOOST_AUTO_TEST_CASE(round_trips_through_text) {
  auto id = es::uuid::v7();
  auto text = es::to_string(id);
  BOOST_TEST(text.size() == 36u);
  auto parsed = es::uuid::parse(text);
  BOOST_REQUIRE(parsed);
  BOOST_TEST((*parsed == id));
  auto upper = es::uuid::parse("0190B5A4-7C1E-7A3B-8F00-1234567890AB");
  BOOST_REQUIRE(upper);
  BOOST_TEST(es::to_string(*upper) == "0190b5a4-7c1e-7a3b-8f00-1234567890ab");
}

BOOST_AUTO_TEST_CASE(rejects_malformed_text) {
  for (auto bad : {"", "0190b5a4-7c1e-7a3b-8f00-1234567890a",
                   "0190b5a4x7c1e-7a3b-8f00-1234567890ab",
                   "0190b5a4-7c1e-7a3b-8f00-1234567890ag",
                   "'; DROP TABLE es_events; --------------"}) {
    auto parsed = es::uuid::parse(bad);
    BOOST_TEST(!parsed);
    if (!parsed)
      BOOST_TEST(parsed.error() == es::ec::invalid_argument);
  }
}

BOOST_AUTO_TEST_SUITE_END()
