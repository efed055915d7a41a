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

// Formatting and parsing use lookup tables: check every byte value in
// every position against a plain formatter.
BOOST_AUTO_TEST_CASE(every_byte_in_every_position) {
  auto expected_text = [](const es::uuid::bytes_type& b) {
    std::string out;
    for (size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10)
        out += '-';
      out += "0123456789abcdef"[b[i] >> 4];
      out += "0123456789abcdef"[b[i] & 0xf];
    }
    return out;
  };
  for (size_t pos = 0; pos < 16; ++pos) {
    for (unsigned value = 0; value < 256; ++value) {
      es::uuid::bytes_type b{};
      b[pos] = static_cast<uint8_t>(value);
      b[15 - pos] ^= 0xa5; // something in the other bytes as well
      es::uuid id{b};
      auto text = es::to_string(id);
      BOOST_TEST_REQUIRE(text == expected_text(b));
      auto parsed = es::uuid::parse(text);
      BOOST_TEST_REQUIRE(parsed.engaged());
      BOOST_TEST_REQUIRE((*parsed == id));
      es::uuid out;
      BOOST_TEST_REQUIRE(es::uuid::try_parse(text, out));
      BOOST_TEST_REQUIRE((out == id));
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_every_non_hex_character_in_every_position) {
  const std::string good = "0190b5a4-7c1e-7a3b-8f00-1234567890ab";
  for (size_t pos = 0; pos < good.size(); ++pos) {
    bool dash = pos == 8 || pos == 13 || pos == 18 || pos == 23;
    for (int c = 0; c < 256; ++c) {
      auto text = good;
      text[pos] = static_cast<char>(c);
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F');
      bool valid = dash ? c == '-' : hex;
      BOOST_TEST_REQUIRE(es::uuid::parse(text).engaged() == valid,
                         "position " << pos << ", character " << c);
      es::uuid out;
      BOOST_TEST_REQUIRE(es::uuid::try_parse(text, out) == valid);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
