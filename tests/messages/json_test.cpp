#include "messages/error.hpp"
#include "messages/json.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

namespace json = es::json;

namespace es {

// Lets BOOST_TEST print an id.
std::ostream& boost_test_print_type(std::ostream& os, const uuid& x) {
  return os << to_string(x);
}

} // namespace es
using es::nullable;

namespace game {

enum class team : uint8_t { red, blue };

// Lets BOOST_TEST print a team.
std::ostream& boost_test_print_type(std::ostream& os, team x) {
  return os << "team(" << static_cast<int>(x) << ")";
}

constexpr auto enum_names(team) {
  return std::array{std::pair{team::red, "red"}, std::pair{team::blue, "blue"}};
}

struct player {
  std::string name;
  int32_t score = 0;
  std::optional<team> side;
};

template<class F>
bool fields(F& f, player& x) {
  return f("name", x.name) && f("score", x.score) && f("team", x.side);
}

struct match {
  es::uuid id;
  es::timestamp started;
  std::vector<player> players;
  std::set<std::string> tags;
  std::map<std::string, std::vector<int64_t>> rounds;
};

template<class F>
bool fields(F& f, match& x) {
  return f("id", x.id) && f("started", x.started) && f("players", x.players) &&
         f("tags", x.tags) && f("rounds", x.rounds);
}

struct presence {
  std::optional<int> opt;
  nullable<int> null;
  std::optional<nullable<int>> tri;

  // A hidden friend works as well as a free function.
  template<class F>
  friend bool fields(F& f, presence& x) {
    return f("opt", x.opt) && f("null", x.null) && f("tri", x.tri);
  }
};

struct scalar {
  double d = 0;
};

template<class F>
bool fields(F& f, scalar& x) {
  return f("d", x.d);
}

struct envelope {
  std::string type;
  json::raw payload;
};

template<class F>
bool fields(F& f, envelope& x) {
  return f("type", x.type) && f("payload", x.payload);
}

struct stamped {
  es::timestamp at;
};

template<class F>
bool fields(F& f, stamped& x) {
  return f("at", x.at);
}

// Runs a decode and an encode of its own in the middle of the outer call
// (json.cpp lends each thread's buffers to one call at a time).
struct nested {
  std::string text; // a player as JSON
  int32_t score = 0;
};

template<class F>
bool fields(F& f, nested& x) {
  if (!f("text", x.text))
    return false;
  auto inner = json::decode<player>(x.text);
  if (!inner)
    return false;
  auto again = json::encode(*inner);
  return again && *again == x.text && f("score", x.score);
}

} // namespace game

namespace {

using str_int_map = std::map<std::string, int>;
using int_str_map = std::map<int, std::string>;
using team_int_map = std::map<game::team, int>;
using uuid_int_map = std::map<es::uuid, int>;

template<class T>
std::string enc(const T& x) {
  auto res = json::encode(x);
  if (!res)
    BOOST_FAIL(es::describe(res.error()));
  return *res;
}

template<class T>
T dec(std::string_view text) {
  auto res = json::decode<T>(text);
  if (!res)
    BOOST_FAIL(es::describe(res.error()));
  return std::move(*res);
}

// Encodes, checks the text, decodes, and checks that re-encoding gives the
// same text. Returns the decoded value.
template<class T>
T round_trip(const T& x, const std::string& expected) {
  auto text = enc(x);
  BOOST_TEST(text == expected);
  auto back = dec<T>(text);
  BOOST_TEST(enc(back) == expected);
  return back;
}

template<class T>
std::string decode_error(std::string_view text,
                         std::size_t depth = json::default_max_depth) {
  auto res = json::decode<T>(text, depth);
  if (res)
    return "decoded";
  BOOST_TEST((res.error() == es::ec::decode_failed));
  return es::describe(res.error());
}

template<class T>
std::string encode_error(const T& x,
                         std::size_t depth = json::default_max_depth) {
  auto res = json::encode(x, depth);
  if (res)
    return "encoded: " + *res;
  BOOST_TEST((res.error() == es::ec::invalid_event));
  return es::describe(res.error());
}

std::string check(std::string_view text, json::check_options opts = {}) {
  auto err = json::check_object(text, opts);
  if (!err)
    return "ok";
  BOOST_TEST((err == es::ec::invalid_event));
  return es::describe(err);
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_numbers)

BOOST_AUTO_TEST_CASE(integers_full_range) {
  constexpr auto i64_min = std::numeric_limits<int64_t>::min();
  constexpr auto i64_max = std::numeric_limits<int64_t>::max();
  constexpr auto u64_max = std::numeric_limits<uint64_t>::max();
  BOOST_TEST(round_trip(i64_min, "-9223372036854775808") == i64_min);
  BOOST_TEST(round_trip(i64_max, "9223372036854775807") == i64_max);
  BOOST_TEST(round_trip(u64_max, "18446744073709551615") == u64_max);
  BOOST_TEST(round_trip(int64_t{0}, "0") == 0);
  BOOST_TEST(round_trip(int8_t{-128}, "-128") == -128);
  BOOST_TEST(round_trip(uint16_t{65535}, "65535") == 65535);
  BOOST_TEST(round_trip(int64_t{9007199254740993}, "9007199254740993") ==
             9007199254740993); // 2^53 + 1: not a double
  BOOST_TEST(dec<int64_t>("-0") == 0);
}

BOOST_AUTO_TEST_CASE(integer_type_mismatches_are_errors) {
  BOOST_TEST(decode_error<int32_t>("\"5\"") ==
             "decode_failed: expected integer, found string");
  BOOST_TEST(decode_error<int32_t>("1.5") ==
             "decode_failed: expected integer, found number 1.5");
  BOOST_TEST(decode_error<int32_t>("1.0") ==
             "decode_failed: expected integer, found number 1.0");
  BOOST_TEST(decode_error<int32_t>("1e2") ==
             "decode_failed: expected integer, found number 100.0");
  BOOST_TEST(decode_error<int32_t>("null") ==
             "decode_failed: expected integer, found null");
  BOOST_TEST(decode_error<int32_t>("3000000000") ==
             "decode_failed: expected integer in [-2147483648, "
             "2147483647], found 3000000000");
  BOOST_TEST(decode_error<int8_t>("-129") ==
             "decode_failed: expected integer in [-128, 127], found -129");
  BOOST_TEST(decode_error<int64_t>("9223372036854775808") ==
             "decode_failed: expected integer in [-9223372036854775808, "
             "9223372036854775807], found 9223372036854775808");
  BOOST_TEST(decode_error<uint64_t>("18446744073709551616") ==
             "decode_failed: expected integer, found number "
             "18446744073709553000.0");
  BOOST_TEST(decode_error<uint32_t>("-1") ==
             "decode_failed: expected integer in [0, 4294967295], found "
             "-1");
  BOOST_TEST(decode_error<uint64_t>("-9223372036854775808") ==
             "decode_failed: expected integer in [0, "
             "18446744073709551615], found -9223372036854775808");
}

BOOST_AUTO_TEST_CASE(doubles_shortest_and_exact) {
  BOOST_TEST(round_trip(0.1, "0.1") == 0.1);
  BOOST_TEST(round_trip(1e308, "1e308") == 1e308);
  BOOST_TEST(round_trip(5e-324, "5e-324") == 5e-324);
  BOOST_TEST(round_trip(1.5, "1.5") == 1.5);
  BOOST_TEST(round_trip(100.0, "100.0") == 100.0);
  BOOST_TEST(round_trip(std::numeric_limits<double>::max(),
                        "1.7976931348623157e308") ==
             std::numeric_limits<double>::max());
  auto neg_zero = round_trip(-0.0, "-0.0");
  BOOST_TEST(neg_zero == 0.0);
  BOOST_TEST(std::signbit(neg_zero));
  // Integers in the input convert to the nearest double.
  BOOST_TEST(dec<double>("3") == 3.0);
  BOOST_TEST(dec<double>("18446744073709551615") == 18446744073709551615.0);
  BOOST_TEST(decode_error<double>("\"0.1\"") ==
             "decode_failed: expected number, found string");
}

BOOST_AUTO_TEST_CASE(random_doubles_round_trip_bit_exactly) {
  uint64_t state = 42;
  int failures = 0;
  for (int i = 0; i < 100000; ++i) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    double x = 0;
    std::memcpy(&x, &state, sizeof(x));
    if (!std::isfinite(x))
      continue;
    auto text = json::encode(x);
    auto back = text ? json::decode<double>(*text) : caf::expected<double>{0.0};
    uint64_t bits = 0;
    if (back)
      std::memcpy(&bits, &*back, sizeof(bits));
    if (!text || !back || bits != state) {
      if (++failures < 5)
        BOOST_ERROR("double did not round-trip: "
                    << (text ? *text : std::string{"(no text)"}));
    }
  }
  BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(nan_and_infinity_are_not_encoded) {
  constexpr auto nan = std::numeric_limits<double>::quiet_NaN();
  constexpr auto inf = std::numeric_limits<double>::infinity();
  BOOST_TEST(encode_error(nan) == "invalid_event: cannot encode NaN");
  BOOST_TEST(encode_error(-inf) == "invalid_event: cannot encode infinity");
  BOOST_TEST(encode_error(game::scalar{inf}) ==
             "invalid_event: /d: cannot encode infinity");
  BOOST_TEST(encode_error(std::vector<double>{1, 2, nan}) ==
             "invalid_event: /2: cannot encode NaN");
  // Too big for a double: a parse error, not infinity.
  BOOST_TEST(decode_error<double>("1e400") ==
             "decode_failed: invalid JSON at offset 0: Number too big to "
             "be stored in double.");
  BOOST_TEST(decode_error<double>("NaN") ==
             "decode_failed: invalid JSON at offset 0: Invalid value.");
}

BOOST_AUTO_TEST_CASE(booleans) {
  BOOST_TEST(round_trip(true, "true") == true);
  BOOST_TEST(round_trip(false, "false") == false);
  BOOST_TEST(decode_error<bool>("1") ==
             "decode_failed: expected boolean, found number");
  BOOST_TEST(decode_error<bool>("\"true\"") ==
             "decode_failed: expected boolean, found string");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_strings)

BOOST_AUTO_TEST_CASE(multibyte_utf8_passes_through) {
  std::string s = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9D\x84\x9E \xE6\x97\xA5";
  BOOST_TEST(round_trip(s, "\"" + s + "\"") == s);
  // Escaped input decodes to the same bytes.
  BOOST_TEST(dec<std::string>("\"h\\u00e9llo \\u20ac \\ud834\\udd1e "
                              "\\u65e5\"") == s);
}

BOOST_AUTO_TEST_CASE(escapes) {
  std::string s = "quote\" backslash\\ slash/ nl\n tab\t cr\r ctl\x01\x1f";
  BOOST_TEST(round_trip(s, "\"quote\\\" backslash\\\\ slash/ nl\\n tab\\t "
                           "cr\\r ctl\\u0001\\u001F\"") == s);
  BOOST_TEST(round_trip(std::string{}, "\"\"") == "");
}

BOOST_AUTO_TEST_CASE(embedded_nul) {
  std::string s{"a\0b", 3};
  auto back = round_trip(s, "\"a\\u0000b\"");
  BOOST_TEST(back.size() == 3u);
  BOOST_TEST(back == s);
  // ... also in keys.
  str_int_map m{{std::string{"k\0", 2}, 1}};
  BOOST_TEST(round_trip(m, "{\"k\\u0000\":1}") == m);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_not_encoded) {
  BOOST_TEST(encode_error(std::string{"ab\xFF"}) ==
             "invalid_event: invalid UTF-8 at byte 2");
  BOOST_TEST(encode_error(std::string{"\xC0\xAF"}) // overlong '/'
             == "invalid_event: invalid UTF-8 at byte 0");
  BOOST_TEST(encode_error(std::string{"x\xED\xA0\x80"}) // surrogate
             == "invalid_event: invalid UTF-8 at byte 1");
  BOOST_TEST(encode_error(std::string{"\xF4\x90\x80\x80"}) // > U+10FFFF
             == "invalid_event: invalid UTF-8 at byte 0");
  BOOST_TEST(encode_error(std::string{"ok\xE2\x82"}) // truncated
             == "invalid_event: invalid UTF-8 at byte 2");
  BOOST_TEST(encode_error(game::player{"bad\x80", 1, std::nullopt}) ==
             "invalid_event: /name: invalid UTF-8 at byte 3");
  str_int_map m{{"a", 1}, {"b\xFE", 2}};
  BOOST_TEST(encode_error(m) ==
             "invalid_event: invalid UTF-8 in key at byte 1");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_not_decoded) {
  BOOST_TEST(decode_error<std::string>("\"ab\xFF\"") ==
             "decode_failed: invalid JSON at offset 3: Invalid encoding "
             "in string.");
  BOOST_TEST(decode_error<std::string>("\"\xED\xA0\x80\"") ==
             "decode_failed: invalid JSON at offset 1: Invalid encoding "
             "in string.");
  BOOST_TEST(decode_error<str_int_map>("{\"\xC0\xAF\":1}") ==
             "decode_failed: invalid JSON at offset 2: Invalid encoding "
             "in string.");
  // Escaped surrogates that do not pair up.
  BOOST_TEST(decode_error<std::string>("\"\\ud800\"") ==
             "decode_failed: invalid JSON at offset 1: The surrogate pair "
             "in string is invalid.");
  BOOST_TEST(decode_error<std::string>("\"x\\udc00\"") ==
             "decode_failed: invalid UTF-8 in string (escaped lone "
             "surrogate) at offset 9");
  // A raw NUL byte is never valid JSON (RapidJSON would stop reading there).
  BOOST_TEST(decode_error<std::string>(std::string_view{"\"a\"\0x", 5}) ==
             "decode_failed: invalid JSON at offset 3: NUL byte in input");
}

// The writer scans strings eight bytes at a time and falls back to single
// bytes around anything special: put each kind of byte at every offset of
// strings spanning up to three words, alone and next to each other.
BOOST_AUTO_TEST_CASE(special_bytes_at_every_offset) {
  struct sample {
    std::string raw;
    std::string escaped;
  };
  const std::vector<sample> samples = {
      {"\"", "\\\""},
      {"\\", "\\\\"},
      {"\n", "\\n"},
      {"\x01", "\\u0001"},
      {"\x1f", "\\u001F"},        // RapidJSON 1.1.0 left 0x1A-0x1F unescaped
      {" !#[]\x7f", " !#[]\x7f"}, // neighbours of the special bytes
      {"\xC3\xA9", "\xC3\xA9"},
      {"\xE2\x82\xAC", "\xE2\x82\xAC"},
      {"\xF0\x9D\x84\x9E", "\xF0\x9D\x84\x9E"},
      {"\"\xC3\xA9\\", "\\\"\xC3\xA9\\\\"},
      {"\xE2\x82\xAC\t", "\xE2\x82\xAC\\t"},
  };
  for (size_t len = 0; len <= 20; ++len) {
    for (size_t pos = 0; pos <= len; ++pos) {
      for (const auto& x : samples) {
        auto head = std::string(pos, 'a');
        auto tail = std::string(len - pos, 'b');
        auto s = head + x.raw + tail;
        auto quoted = "\"" + head + x.escaped + tail + "\"";
        BOOST_TEST(round_trip(s, quoted) == s);
        str_int_map m{{s, 1}};
        BOOST_TEST(round_trip(m, "{" + quoted + ":1}") == m);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_at_every_offset) {
  const std::vector<std::string> samples = {
      "\xFF",             // never valid
      "\x80",             // continuation without a lead byte
      "\xC3",             // truncated two-byte sequence
      "\xE2\x82",         // truncated three-byte sequence
      "\xED\xA0\x80",     // surrogate
      "\xF4\x90\x80\x80", // above U+10FFFF
  };
  for (size_t len = 0; len <= 20; ++len) {
    for (size_t pos = 0; pos <= len; ++pos) {
      for (const auto& bad : samples) {
        auto s = std::string(pos, 'a') + bad + std::string(len - pos, 'b');
        auto at = std::to_string(pos);
        BOOST_TEST(encode_error(s) ==
                   "invalid_event: invalid UTF-8 at byte " + at);
        BOOST_TEST(encode_error(str_int_map{{s, 1}}) ==
                   "invalid_event: invalid UTF-8 in key at byte " + at);
        // An escape earlier in the string does not end the check.
        if (pos > 0) {
          s[0] = '"';
          BOOST_TEST(encode_error(s) ==
                     "invalid_event: invalid UTF-8 at byte " + at);
        }
      }
    }
  }
}

// RapidJSON 1.1.0's SSE2 string scanner lets 0x1A-0x1F through unescaped
// (past the first 16-byte boundary): they must be rejected wherever they
// are, like every other control character.
BOOST_AUTO_TEST_CASE(raw_control_characters_are_not_decoded) {
  for (int c = 0x01; c < 0x20; ++c) {
    for (size_t pos = 0; pos < 40; ++pos) {
      std::string s(40, 'a');
      s[pos] = static_cast<char>(c);
      auto text = "\"" + s + "\"";
      BOOST_TEST_CONTEXT("character " << c << " at " << pos) {
        auto err = decode_error<std::string>(text);
        BOOST_TEST(err != "decoded");
        BOOST_TEST(check("{\"k\":" + text + "}") != "ok");
        if (c >= 0x1A)
          BOOST_TEST(err == "decode_failed: invalid JSON at offset " +
                                std::to_string(pos + 1) +
                                ": unescaped control character 0x1" +
                                "0123456789ABCDEF"[c & 0xF]);
      }
    }
  }
  BOOST_TEST(decode_error<game::player>("{\"name\":\"a\",\x1f\"score\":1}") ==
             "decode_failed: invalid JSON at offset 12: unescaped control "
             "character 0x1F");
  // Whitespace between values is fine.
  auto p = dec<game::player>("{\n\t\"name\": \"a\",\r\n \"score\": 1\n}");
  BOOST_TEST(p.name == "a");
  // A NUL byte is reported first, wherever it is.
  BOOST_TEST(decode_error<std::string>(std::string_view{"\"\xFF\0\"", 4}) ==
             "decode_failed: invalid JSON at offset 2: NUL byte in input");
  BOOST_TEST(decode_error<std::string>(std::string_view{"\"\x1f\0\"", 4}) ==
             "decode_failed: invalid JSON at offset 2: NUL byte in input");
}

BOOST_AUTO_TEST_CASE(type_mismatch) {
  BOOST_TEST(decode_error<std::string>("5") ==
             "decode_failed: expected string, found number");
  BOOST_TEST(decode_error<std::string>("[]") ==
             "decode_failed: expected string, found array");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_presence)

BOOST_AUTO_TEST_CASE(absent_versus_null) {
  game::presence empty;
  BOOST_TEST(enc(empty) == "{\"null\":null}");
  game::presence full{1, 2, nullable<int>{3}};
  BOOST_TEST(enc(full) == "{\"opt\":1,\"null\":2,\"tri\":3}");
  game::presence tri_null{std::nullopt, std::nullopt, nullable<int>{}};
  BOOST_TEST(enc(tri_null) == "{\"null\":null,\"tri\":null}");

  auto x = dec<game::presence>("{\"null\":null}");
  BOOST_TEST(!x.opt.has_value());
  BOOST_TEST(!x.null.has_value());
  BOOST_TEST(!x.tri.has_value()); // absent
  x = dec<game::presence>("{\"null\":null,\"tri\":null}");
  BOOST_REQUIRE(x.tri.has_value()); // present ...
  BOOST_TEST(!x.tri->has_value());  // ... and null
  x = dec<game::presence>("{\"opt\":1,\"null\":2,\"tri\":3}");
  BOOST_TEST(*x.opt == 1);
  BOOST_TEST(*x.null == 2);
  BOOST_TEST(**x.tri == 3);
  // std::optional also takes null as empty (other producers write null).
  x = dec<game::presence>("{\"opt\":null,\"null\":7}");
  BOOST_TEST(!x.opt.has_value());
  BOOST_TEST(*x.null == 7);
  // nullable is required.
  BOOST_TEST(decode_error<game::presence>("{\"opt\":1}") ==
             "decode_failed: /null: missing required field");
  BOOST_TEST(decode_error<game::presence>("{\"null\":\"x\"}") ==
             "decode_failed: /null: expected integer, found string");
}

BOOST_AUTO_TEST_CASE(optionals_outside_objects_are_null) {
  std::vector<std::optional<int>> xs{1, std::nullopt, 3};
  BOOST_TEST(round_trip(xs, "[1,null,3]") == xs);
  std::vector<nullable<std::string>> ys{std::string{"a"}, std::nullopt};
  BOOST_TEST(round_trip(ys, "[\"a\",null]") == ys);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_containers)

BOOST_AUTO_TEST_CASE(vectors) {
  std::vector<int> xs{3, 1, 2};
  BOOST_TEST(round_trip(xs, "[3,1,2]") == xs);
  BOOST_TEST(round_trip(std::vector<int>{}, "[]").empty());
  std::vector<bool> bs{true, false};
  BOOST_TEST(round_trip(bs, "[true,false]") == bs);
  std::vector<std::vector<std::string>> nested{{"a"}, {}, {"b", "c"}};
  BOOST_TEST(round_trip(nested, "[[\"a\"],[],[\"b\",\"c\"]]") == nested);
  BOOST_TEST(decode_error<std::vector<int>>("{}") ==
             "decode_failed: expected array, found object");
  BOOST_TEST(decode_error<std::vector<std::vector<int>>>("[[1],[2,\"x\"]]") ==
             "decode_failed: /1/1: expected integer, found string");
}

BOOST_AUTO_TEST_CASE(sets_are_tagged_and_sorted) {
  std::set<std::string> s{"pear", "apple", "fig"};
  BOOST_TEST(round_trip(s, "{\"$set\":[\"apple\",\"fig\",\"pear\"]}") == s);
  std::set<int> i{3, -1, 2};
  BOOST_TEST(round_trip(i, "{\"$set\":[-1,2,3]}") == i);
  BOOST_TEST(round_trip(std::set<int>{}, "{\"$set\":[]}").empty());
  // Any order is accepted on input; the output is sorted again.
  auto unsorted = dec<std::set<int>>("{\"$set\":[3,1,2]}");
  BOOST_TEST(enc(unsorted) == "{\"$set\":[1,2,3]}");
}

BOOST_AUTO_TEST_CASE(set_errors) {
  BOOST_TEST(decode_error<std::set<int>>("{\"$set\":[1,2,1]}") ==
             "decode_failed: /$set/2: duplicate set element");
  BOOST_TEST(decode_error<std::set<int>>("[1,2]") ==
             "decode_failed: expected object {\"$set\": [...]}, found "
             "array");
  BOOST_TEST(decode_error<std::set<int>>("{\"$set\":[1],\"x\":2}") ==
             "decode_failed: expected object {\"$set\": [...]}, found "
             "object with other keys");
  BOOST_TEST(decode_error<std::set<int>>("{\"set\":[1]}") ==
             "decode_failed: expected object {\"$set\": [...]}, found "
             "object with other keys");
  BOOST_TEST(decode_error<std::set<int>>("{\"$set\":{}}") ==
             "decode_failed: /$set: expected array, found object");
  BOOST_TEST(decode_error<std::set<int>>("{\"$set\":[1,true]}") ==
             "decode_failed: /$set/1: expected integer, found boolean");
}

BOOST_AUTO_TEST_CASE(maps_with_string_keys_are_objects) {
  str_int_map m{{"b", 2}, {"a", 1}, {"", 0}};
  BOOST_TEST(round_trip(m, "{\"\":0,\"a\":1,\"b\":2}") == m);
  team_int_map t{{game::team::blue, 2}, {game::team::red, 1}};
  BOOST_TEST(round_trip(t, "{\"red\":1,\"blue\":2}") == t);
  auto id = es::uuid::parse("0190b5a4-7c1e-7a3b-8f00-1234567890ab");
  BOOST_REQUIRE(id);
  uuid_int_map u{{*id, 5}};
  BOOST_TEST(round_trip(u, "{\"0190b5a4-7c1e-7a3b-8f00-1234567890ab\":5}") ==
             u);
}

BOOST_AUTO_TEST_CASE(maps_with_other_keys_are_pair_arrays) {
  int_str_map m{{2, "two"}, {-1, "minus one"}};
  BOOST_TEST(round_trip(m, "[[-1,\"minus one\"],[2,\"two\"]]") == m);
  BOOST_TEST(decode_error<int_str_map>("[[1,\"a\"],[1]]") ==
             "decode_failed: /1: expected [key, value], found array of 1 "
             "elements");
  BOOST_TEST(decode_error<int_str_map>("[[1,\"a\"],[1,\"b\"]]") ==
             "decode_failed: /1: duplicate key");
  BOOST_TEST(decode_error<int_str_map>("[[1,2]]") ==
             "decode_failed: /0/1: expected string, found number");
}

BOOST_AUTO_TEST_CASE(map_errors) {
  BOOST_TEST(decode_error<str_int_map>("{\"a\":1,\"a\":2}") ==
             "decode_failed: /a: duplicate key");
  // Pointer escaping: '/' -> ~1, '~' -> ~0.
  BOOST_TEST(decode_error<str_int_map>("{\"a/b~c\":\"x\"}") ==
             "decode_failed: /a~1b~0c: expected integer, found string");
  BOOST_TEST(decode_error<team_int_map>("{\"green\":1}") ==
             "decode_failed: /green: expected one of [\"red\", \"blue\"], "
             "found \"green\"");
  BOOST_TEST(decode_error<uuid_int_map>("{\"nope\":1}") ==
             "decode_failed: /nope: expected UUID key (8-4-4-4-12 hex "
             "digits), found \"nope\"");
  BOOST_TEST(decode_error<str_int_map>("[]") ==
             "decode_failed: expected object, found array");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_structs)

BOOST_AUTO_TEST_CASE(nested_round_trip) {
  game::match m;
  m.id = *es::uuid::parse("0190B5A4-7C1E-7A3B-8F00-1234567890AB");
  m.started = *es::parse_iso8601("2026-11-28T10:32:41.123456Z");
  m.players = {{"ann", 3, game::team::red}, {"bob", -1, std::nullopt}};
  m.tags = {"ranked", "eu"};
  m.rounds = {{"r1", {1, 2}}, {"r2", {}}};
  const std::string text =
      "{\"id\":\"0190b5a4-7c1e-7a3b-8f00-1234567890ab\","
      "\"started\":\"2026-11-28T10:32:41.123456Z\","
      "\"players\":[{\"name\":\"ann\",\"score\":3,\"team\":\"red\"},"
      "{\"name\":\"bob\",\"score\":-1}],"
      "\"tags\":{\"$set\":[\"eu\",\"ranked\"]},"
      "\"rounds\":{\"r1\":[1,2],\"r2\":[]}}";
  auto back = round_trip(m, text);
  BOOST_TEST(back.id == m.id);
  BOOST_TEST(back.started.time_since_epoch().count() == 1795861961123456);
  BOOST_REQUIRE(back.players.size() == 2u);
  BOOST_TEST(back.players[0].name == "ann");
  BOOST_TEST(back.players[0].score == 3);
  BOOST_TEST((back.players[0].side == game::team::red));
  BOOST_TEST(back.players[1].name == "bob");
  BOOST_TEST(!back.players[1].side.has_value());
  BOOST_TEST(back.tags == m.tags);
  BOOST_TEST(back.rounds == m.rounds);
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_ignored_and_order_is_free) {
  auto p = dec<game::player>(
      "{\"extra\":{\"deep\":[1,{\"x\":null}]},\"score\":7,\"name\":\"cy\","
      "\"future\":1e300}");
  BOOST_TEST(p.name == "cy");
  BOOST_TEST(p.score == 7);
  BOOST_TEST(!p.side.has_value());
}

// Objects of up to 32 members are checked for duplicate keys once, larger
// ones on every lookup: the results must not differ.
BOOST_AUTO_TEST_CASE(duplicate_keys_in_small_and_large_objects) {
  for (size_t fill : {0, 26, 27, 28, 29, 30, 40}) {
    BOOST_TEST_CONTEXT("with " << fill << " unknown keys") {
      std::string head = "{";
      for (size_t i = 0; i < fill; ++i)
        head += "\"k" + std::to_string(i) + "\":0,";
      // Any order; lookups wrap around past the end.
      auto p = dec<game::player>(head + "\"team\":\"blue\",\"score\":2,"
                                        "\"name\":\"x\"}");
      BOOST_TEST(p.name == "x");
      BOOST_TEST(p.score == 2);
      BOOST_TEST((p.side == game::team::blue));
      p = dec<game::player>(head + "\"score\":3,\"name\":\"y\"}");
      BOOST_TEST(p.name == "y");
      BOOST_TEST(!p.side.has_value());
      // A duplicate unknown key is ignored like any unknown key...
      p = dec<game::player>(head + "\"x\":1,\"name\":\"a\",\"x\":2,"
                                   "\"score\":1}");
      BOOST_TEST(p.name == "a");
      // ... a duplicate declared key is not, wherever it is.
      BOOST_TEST(decode_error<game::player>(
                     head + "\"score\":1,\"name\":\"a\",\"name\":\"b\"}") ==
                 "decode_failed: /name: duplicate key");
      BOOST_TEST(decode_error<game::player>(
                     head + "\"name\":\"a\",\"score\":1,\"x\":1,"
                            "\"team\":\"red\",\"x\":2,\"score\":1}") ==
                 "decode_failed: /score: duplicate key");
    }
  }
}

BOOST_AUTO_TEST_CASE(pointer_of_first_bad_field) {
  const std::string head =
      "{\"id\":\"0190b5a4-7c1e-7a3b-8f00-1234567890ab\","
      "\"started\":\"2026-11-28T10:32:41Z\",\"tags\":{\"$set\":[]},"
      "\"rounds\":{\"r1\":[1,2,\"3\"]},";
  BOOST_TEST(decode_error<game::match>(
                 head +
                 "\"players\":[{\"name\":\"a\",\"score\":1},"
                 "{\"name\":\"b\",\"score\":2},{\"name\":5,\"score\":3}]}") ==
             "decode_failed: /players/2/name: expected string, found "
             "number");
  // Fields are checked in declaration order: players comes before rounds.
  BOOST_TEST(decode_error<game::match>(head + "\"players\":[]}") ==
             "decode_failed: /rounds/r1/2: expected integer, found string");
  BOOST_TEST(decode_error<game::match>(
                 head + "\"players\":[{\"name\":\"a\",\"score\":1.5}]}") ==
             "decode_failed: /players/0/score: expected integer, found "
             "number 1.5");
  BOOST_TEST(
      decode_error<game::match>(
          head + "\"players\":[{\"name\":\"a\",\"score\":99999999999}]}") ==
      "decode_failed: /players/0/score: expected integer in "
      "[-2147483648, 2147483647], found 99999999999");
  BOOST_TEST(decode_error<game::match>(
                 head + "\"players\":[{\"name\":\"a\",\"score\":\"1\"}]}") ==
             "decode_failed: /players/0/score: expected integer, found "
             "string");
  BOOST_TEST(decode_error<game::match>(
                 head + "\"players\":[{\"name\":\"a\",\"score\":1,"
                        "\"team\":\"green\"}]}") ==
             "decode_failed: /players/0/team: expected one of [\"red\", "
             "\"blue\"], found \"green\"");
  BOOST_TEST(decode_error<game::match>(head + "\"players\":[{\"score\":1}]}") ==
             "decode_failed: /players/0/name: missing required field");
  BOOST_TEST(decode_error<game::match>(head + "\"players\":[[]]}") ==
             "decode_failed: /players/0: expected object, found array");
}

BOOST_AUTO_TEST_CASE(struct_errors) {
  BOOST_TEST(decode_error<game::player>("[]") ==
             "decode_failed: expected object, found array");
  BOOST_TEST(decode_error<game::player>(
                 "{\"name\":\"a\",\"name\":\"b\",\"score\":1}") ==
             "decode_failed: /name: duplicate key");
  BOOST_TEST(decode_error<game::player>("{\"name\": }") ==
             "decode_failed: invalid JSON at offset 9: Invalid value.");
  BOOST_TEST(decode_error<game::player>("{\"name\":\"a\",\"score\":1} x") ==
             "decode_failed: invalid JSON at offset 23: The document root "
             "must not be followed by other values.");
  BOOST_TEST(decode_error<game::player>("") ==
             "decode_failed: invalid JSON at offset 0: The document is "
             "empty.");
}

BOOST_AUTO_TEST_CASE(enums) {
  BOOST_TEST(round_trip(game::team::blue, "\"blue\"") == game::team::blue);
  BOOST_TEST(encode_error(static_cast<game::team>(7)) ==
             "invalid_event: enum value 7 has no name");
  BOOST_TEST(decode_error<game::team>("1") ==
             "decode_failed: expected string, found number");
  BOOST_TEST(decode_error<game::team>("\"Red\"") ==
             "decode_failed: expected one of [\"red\", \"blue\"], found "
             "\"Red\"");
}

BOOST_AUTO_TEST_CASE(uuids) {
  auto id = es::uuid::parse("0190b5a4-7c1e-7a3b-8f00-1234567890ab");
  BOOST_REQUIRE(id);
  BOOST_TEST(round_trip(*id, "\"0190b5a4-7c1e-7a3b-8f00-1234567890ab\"") ==
             *id);
  BOOST_TEST(
      round_trip(es::uuid{}, "\"00000000-0000-0000-0000-000000000000\"") ==
      es::uuid{});
  BOOST_TEST(decode_error<es::uuid>("\"0190b5a4\"") ==
             "decode_failed: expected UUID (8-4-4-4-12 hex digits), found "
             "\"0190b5a4\"");
  BOOST_TEST(decode_error<es::uuid>("7") ==
             "decode_failed: expected UUID string, found number");
}

BOOST_AUTO_TEST_CASE(timestamps) {
  game::stamped s{*es::parse_iso8601("2026-11-28T10:32:41.000001Z")};
  auto back = round_trip(s, "{\"at\":\"2026-11-28T10:32:41.000001Z\"}");
  BOOST_TEST(back.at.time_since_epoch().count() == 1795861961000001);
  auto us = [](es::timestamp t) { return t.time_since_epoch().count(); };
  auto lo = round_trip(game::stamped{es::timestamp_min},
                       "{\"at\":\"0001-01-01T00:00:00.000000Z\"}");
  BOOST_TEST(us(lo.at) == us(es::timestamp_min));
  auto hi = round_trip(game::stamped{es::timestamp_max},
                       "{\"at\":\"9999-12-31T23:59:59.999999Z\"}");
  BOOST_TEST(us(hi.at) == us(es::timestamp_max));
  BOOST_TEST(dec<game::stamped>("{\"at\":\"2026-11-28T10:32:41.5+00:00\"}")
                 .at.time_since_epoch()
                 .count() == 1795861961500000);
  BOOST_TEST(
      decode_error<game::stamped>("{\"at\":\"2026-11-28T10:32:41+01:00\"}") ==
      "decode_failed: /at: invalid timestamp "
      "\"2026-11-28T10:32:41+01:00\": not UTC (expected "
      "YYYY-MM-DDTHH:MM:SS[.ffffff]Z in UTC)");
  BOOST_TEST(decode_error<game::stamped>("{\"at\":1795861961}") ==
             "decode_failed: /at: expected timestamp string, found number");
  BOOST_TEST(encode_error(game::stamped{es::timestamp_max +
                                        std::chrono::microseconds{1}}) ==
             "invalid_event: /at: timestamp outside years 0001-9999");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_raw)

BOOST_AUTO_TEST_CASE(raw_values_are_checked_and_compacted) {
  game::envelope e{"t", json::raw{" { \"x\" : [1, 2.5, \"s\", null] } "}};
  auto back =
      round_trip(e, "{\"type\":\"t\",\"payload\":{\"x\":[1,2.5,\"s\",null]}}");
  BOOST_TEST(back.payload.text == "{\"x\":[1,2.5,\"s\",null]}");
  BOOST_TEST(enc(json::raw{}) == "null");
  BOOST_TEST(enc(json::raw{"1e2"}) == "100.0");
  BOOST_TEST(dec<json::raw>("{\"a\": [1, 2],\n \"b\": \"\\u00e9\"}").text ==
             "{\"a\":[1,2],\"b\":\"\xC3\xA9\"}");
  BOOST_TEST(dec<json::raw>("\"a\\u0000b\"").text == "\"a\\u0000b\"");
}

BOOST_AUTO_TEST_CASE(bad_raw_values_are_not_encoded) {
  BOOST_TEST(encode_error(game::envelope{"t", json::raw{"{"}}) ==
             "invalid_event: /payload: raw value: invalid JSON at offset "
             "1: Missing a name for object member.");
  BOOST_TEST(encode_error(json::raw{"1 2"}) ==
             "invalid_event: raw value: invalid JSON at offset 2: The "
             "document root must not be followed by other values.");
  BOOST_TEST(encode_error(json::raw{""}) ==
             "invalid_event: raw value: invalid JSON at offset 0: The "
             "document is empty.");
  BOOST_TEST(encode_error(json::raw{"\"\xFF\""}) ==
             "invalid_event: raw value: invalid JSON at offset 1: Invalid "
             "encoding in string.");
  // The raw value's nesting counts on top of where it sits.
  BOOST_TEST(encode_error(game::envelope{"t", json::raw{"[[1]]"}}, 2) ==
             "invalid_event: /payload: raw value: nesting depth exceeds 2 "
             "at offset 1");
  BOOST_TEST(enc(json::raw{"[[1]]"}) == "[[1]]");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_buffers)

BOOST_AUTO_TEST_CASE(nested_calls_do_not_share_buffers) {
  game::nested x{"{\"name\":\"a\",\"score\":1}", 7};
  auto back =
      round_trip(x, "{\"text\":\"{\\\"name\\\":\\\"a\\\",\\\"score\\\":1}"
                    "\",\"score\":7}");
  BOOST_TEST(back.text == x.text);
  BOOST_TEST(back.score == 7);
}

BOOST_AUTO_TEST_CASE(failures_leave_nothing_behind) {
  BOOST_TEST(encode_error(game::scalar{std::nan("")}) ==
             "invalid_event: /d: cannot encode NaN");
  BOOST_TEST(enc(game::scalar{1}) == "{\"d\":1.0}");
  BOOST_TEST(decode_error<game::scalar>("{\"d\":\"x\"}") ==
             "decode_failed: /d: expected number, found string");
  BOOST_TEST(dec<game::scalar>("{\"d\":2}").d == 2.0);
}

BOOST_AUTO_TEST_CASE(large_documents_then_small_ones) {
  // Larger than the buffers a thread keeps between calls.
  std::vector<std::string> big(100, std::string(1000, 'x'));
  auto text = enc(big);
  BOOST_TEST(text.size() > 64u * 1024u);
  BOOST_TEST(dec<std::vector<std::string>>(text) == big);
  BOOST_TEST(round_trip(game::scalar{3}, "{\"d\":3.0}").d == 3.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_limits)

std::string nested_arrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_rejected_without_crashing) {
  BOOST_TEST(decode_error<json::raw>(nested_arrays(10000)) ==
             "decode_failed: nesting depth exceeds 64 at offset 64");
  BOOST_TEST(decode_error<json::raw>(std::string(100000, '[')) ==
             "decode_failed: nesting depth exceeds 64 at offset 64");
  std::string objects;
  for (int i = 0; i < 10000; ++i)
    objects += "{\"a\":";
  objects += "1" + std::string(10000, '}');
  BOOST_TEST(decode_error<game::player>(objects) ==
             "decode_failed: nesting depth exceeds 64 at offset 320");
  BOOST_TEST(check(objects) ==
             "invalid_event: nesting depth exceeds 64 at offset 320");
}

BOOST_AUTO_TEST_CASE(deep_raw_values_are_not_encoded) {
  BOOST_TEST(encode_error(json::raw{nested_arrays(10000)}) ==
             "invalid_event: raw value: nesting depth exceeds 64 at offset 64");
  BOOST_TEST(encode_error(game::envelope{"t", json::raw{nested_arrays(64)}}) ==
             "invalid_event: /payload: raw value: nesting depth exceeds 64 at "
             "offset 63");
}

BOOST_AUTO_TEST_CASE(depth_limit_is_exact_and_configurable) {
  BOOST_TEST(dec<json::raw>(nested_arrays(64)).text == nested_arrays(64));
  BOOST_TEST(decode_error<json::raw>(nested_arrays(65)) ==
             "decode_failed: nesting depth exceeds 64 at offset 64");
  BOOST_TEST(decode_error<std::vector<std::vector<int>>>("[[1]]", 1) ==
             "decode_failed: nesting depth exceeds 1 at offset 1");
  BOOST_TEST(dec<std::vector<std::vector<int>>>("[[1]]").at(0).at(0) == 1);
  std::vector<std::vector<std::vector<int>>> deep{{{1}}};
  BOOST_TEST(encode_error(deep, 2) ==
             "invalid_event: /0/0: nesting depth exceeds 2");
  BOOST_TEST(enc(deep) == "[[[1]]]");
  BOOST_TEST(check(nested_arrays(3), {1, false}) ==
             "invalid_event: expected object at top level, found array at "
             "offset 0");
  BOOST_TEST(check("{\"a\":{\"b\":{}}}", {2, false}) ==
             "invalid_event: nesting depth exceeds 2 at offset 10");
  BOOST_TEST(check("{\"a\":{\"b\":{}}}", {3, false}) == "ok");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_check_object)

BOOST_AUTO_TEST_CASE(accepts_objects) {
  BOOST_TEST(check("{}") == "ok");
  BOOST_TEST(
      check(" {\"a\":[1,2.5,-3e10,{\"b\":null}],\"c\":\"\xC3\xA9\"}\n") ==
      "ok");
  BOOST_TEST(check("{\"a\":1,\"a\":2}") == "ok"); // jsonb keeps the last one
}

BOOST_AUTO_TEST_CASE(rejects_everything_else) {
  BOOST_TEST(check("[]") ==
             "invalid_event: expected object at top level, found array at "
             "offset 0");
  BOOST_TEST(check("5") ==
             "invalid_event: expected object at top level, found number "
             "at offset 0");
  BOOST_TEST(check("\"x\"") ==
             "invalid_event: expected object at top level, found string "
             "at offset 3");
  BOOST_TEST(check("") ==
             "invalid_event: invalid JSON at offset 0: The document is "
             "empty.");
  BOOST_TEST(check("{\"a\":}") ==
             "invalid_event: invalid JSON at offset 5: Invalid value.");
  BOOST_TEST(check("{} {}") ==
             "invalid_event: invalid JSON at offset 3: The document root "
             "must not be followed by other values.");
  BOOST_TEST(check("{\"a\":1e400}") ==
             "invalid_event: invalid JSON at offset 5: Number too big to "
             "be stored in double.");
  BOOST_TEST(check("{\"a\":\"\xFF\"}") ==
             "invalid_event: invalid JSON at offset 6: Invalid encoding "
             "in string.");
  BOOST_TEST(check("{\"a\":\"\\udc00\"}") ==
             "invalid_event: invalid UTF-8 in string (escaped lone "
             "surrogate) at offset 13");
  BOOST_TEST(check(std::string_view{"{}\0", 3}) ==
             "invalid_event: invalid JSON at offset 2: NUL byte in input");
}

BOOST_AUTO_TEST_CASE(nul_escape_is_rejected_unless_allowed) {
  BOOST_TEST(check("{\"a\":\"x\\u0000\"}") ==
             "invalid_event: string contains \\u0000, which PostgreSQL "
             "jsonb rejects at offset 14");
  BOOST_TEST(check("{\"a\\u0000\":1}") ==
             "invalid_event: string contains \\u0000, which PostgreSQL "
             "jsonb rejects at offset 10");
  BOOST_TEST(check("{\"a\":\"x\\u0000\"}", {json::default_max_depth, true}) ==
             "ok");
}

BOOST_AUTO_TEST_SUITE_END()
