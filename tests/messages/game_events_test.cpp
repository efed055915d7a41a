#include "messages/error.hpp"
#include "messages/game_events.hpp"
#include "messages/json.hpp"
#include "messages/metadata.hpp"
#include "tests/game_samples.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

namespace json = es::json;
namespace g = es::game;

using es::test::for_each_type;
using es::test::sample;

namespace {

template<class T>
struct is_optional : std::false_type {};
template<class T>
struct is_optional<std::optional<T>> : std::true_type {};

struct field_info {
  std::string name;
  bool optional = false;
  bool boolean = false;
};

/// The `F` of `fields` that only lists the names.
struct field_lister {
  std::vector<field_info> list;

  template<class T>
  bool operator()(std::string_view name, T&) {
    list.push_back(
        {std::string{name}, is_optional<T>::value,
         std::is_same_v<T, bool> || std::is_same_v<T, std::optional<bool>>});
    return true;
  }
};

template<class T>
std::vector<field_info> fields_of() {
  T x;
  field_lister f;
  fields(f, x);
  return f.list;
}

using json_object = std::map<std::string, json::raw>;

template<class T>
json_object encode_as_object(const T& x) {
  auto text = json::encode(x);
  BOOST_REQUIRE_MESSAGE(text, es::error_of(text));
  auto obj = json::decode<json_object>(*text);
  BOOST_REQUIRE_MESSAGE(obj, es::error_of(obj));
  return *obj;
}

std::string text_of(const json_object& obj) {
  auto text = json::encode(obj);
  BOOST_REQUIRE_MESSAGE(text, es::error_of(text));
  return *text;
}

/// "decoded" or the error of decoding `text` as a `T`.
template<class T>
std::string decode_error(const std::string& text) {
  auto res = json::decode<T>(text);
  if (res)
    return "decoded";
  BOOST_TEST((res.error() == es::ec::decode_failed));
  return es::describe(res.error());
}

/// Events compare equal when they encode to the same JSON.
template<class T>
bool same(const T& x, const T& y) {
  auto a = json::encode(x);
  auto b = json::encode(y);
  return a && b && *a == *b;
}

} // namespace

BOOST_AUTO_TEST_SUITE(game_events)

// Runs `f` for every latest and every legacy event type.
template<class F>
void for_every_event(F&& f) {
  for_each_type(g::all_events{}, f);
  for_each_type(g::legacy_events{}, f);
}

BOOST_AUTO_TEST_CASE(every_event_round_trips) {
  size_t count = 0;
  for_every_event([&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    BOOST_TEST_CONTEXT(T::event_type << " v" << T::event_version) {
      ++count;
      auto x = sample<T>();
      auto text = json::encode(x);
      BOOST_REQUIRE_MESSAGE(text, es::error_of(text));
      auto y = json::decode<T>(*text);
      BOOST_REQUIRE_MESSAGE(y, es::error_of(y));
      BOOST_TEST(same(x, *y));
      BOOST_TEST(y->event_id == es::test::event_id);
      BOOST_TEST(y->game_id == es::test::game_id);
      BOOST_TEST((y->guild_id == es::test::guild));
      BOOST_TEST((y->game_mode == x.game_mode));
      BOOST_TEST((y->round == std::optional<int32_t>{3}));
      BOOST_TEST((y->at == es::test::sample_time()));
      // One flat object: the base's keys and the event's own, nothing else;
      // every required field is written.
      auto obj = encode_as_object(x);
      std::set<std::string> declared;
      for (auto& field : fields_of<T>()) {
        declared.insert(field.name);
        if (!field.optional)
          BOOST_TEST(obj.count(field.name) == 1u, field.name);
      }
      for (auto& [key, value] : obj)
        BOOST_TEST(declared.count(key) == 1u, key);
      for (auto key :
           {"event_id", "game_id", "guild_id", "mode", "round", "at"})
        BOOST_TEST(obj.count(key) == 1u, key);
    }
  });
  BOOST_TEST(count == 33u);
}

BOOST_AUTO_TEST_CASE(optional_fields_are_absent_when_empty) {
  auto x = sample<g::recovery_completed>();
  x.guild_id.reset();
  x.round.reset();
  auto obj = encode_as_object(x);
  BOOST_TEST(obj.count("guild_id") == 0u);
  BOOST_TEST(obj.count("round") == 0u);
  BOOST_TEST(obj.count("detail") == 0u);
  auto y = json::decode<g::recovery_completed>(text_of(obj));
  BOOST_REQUIRE_MESSAGE(y, es::error_of(y));
  BOOST_TEST(!y->guild_id);
  BOOST_TEST(!y->round);
  BOOST_TEST(!y->detail);
}

BOOST_AUTO_TEST_CASE(wire_format_of_player_joined) {
  auto x = sample<g::player_joined>();
  auto text = json::encode(x);
  BOOST_REQUIRE_MESSAGE(text, es::error_of(text));
  BOOST_TEST(*text ==
             R"({"event_id":"0190b5a4-7c1e-7a3b-8f00-00000000000e",)"
             R"("game_id":"0190b5a4-7c1e-7a3b-8f00-00000000000a",)"
             R"("guild_id":"222222222222222222","mode":"standard",)"
             R"("round":3,"at":"2026-01-15T12:00:00.123456Z",)"
             R"("player_id":"111111111111111112","display_name":"Ann",)"
             R"("team_id":"0190b5a4-7c1e-7a3b-8f00-0000000000f1",)"
             R"("rejoin":true})");
}

BOOST_AUTO_TEST_CASE(wire_format_of_round_ended_results) {
  auto obj = encode_as_object(sample<g::round_ended>());
  BOOST_TEST(obj["reason"].text == R"("solved")");
  BOOST_TEST(obj["results"].text ==
             R"([{"team_id":"0190b5a4-7c1e-7a3b-8f00-0000000000f1",)"
             R"("score":50,"guesses":4,"solved":true},)"
             R"({"team_id":"0190b5a4-7c1e-7a3b-8f00-0000000000f2",)"
             R"("score":0,"guesses":6,"solved":false}])");
  obj = encode_as_object(sample<g::game_config_changed>());
  BOOST_TEST(obj["changes"].text ==
             R"({"round_time_ms":"90000","word_list":"en.hard"})");
}

BOOST_AUTO_TEST_CASE(missing_required_field_is_named) {
  size_t checked = 0;
  for_every_event([&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    auto obj = encode_as_object(sample<T>());
    for (auto& field : fields_of<T>()) {
      if (field.optional)
        continue;
      BOOST_TEST_CONTEXT(T::event_type << " v" << T::event_version << " "
                                       << field.name) {
        auto broken = obj;
        BOOST_REQUIRE(broken.erase(field.name) == 1u);
        BOOST_TEST(decode_error<T>(text_of(broken)) ==
                   "decode_failed: /" + field.name +
                       ": missing required field");
        ++checked;
      }
    }
  });
  BOOST_TEST(checked > 150u);
}

BOOST_AUTO_TEST_CASE(wrong_type_is_named) {
  size_t checked = 0;
  for_every_event([&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    auto obj = encode_as_object(sample<T>());
    for (auto& field : fields_of<T>()) {
      BOOST_TEST_CONTEXT(T::event_type << " v" << T::event_version << " "
                                       << field.name) {
        auto broken = obj;
        broken[field.name].text = field.boolean ? R"("yes")" : "true";
        auto err = decode_error<T>(text_of(broken));
        auto prefix = "decode_failed: /" + field.name + ": expected ";
        BOOST_TEST(err.substr(0, prefix.size()) == prefix);
        ++checked;
      }
    }
  });
  BOOST_TEST(checked > 200u);
}

BOOST_AUTO_TEST_CASE(decode_errors_say_what_was_expected) {
  auto obj = encode_as_object(sample<g::round_started>());
  obj["round"].text = R"("3")";
  BOOST_TEST(decode_error<g::round_started>(text_of(obj)) ==
             "decode_failed: /round: expected integer, found string");
  obj["round"].text = "2147483648";
  BOOST_TEST(decode_error<g::round_started>(text_of(obj)) ==
             "decode_failed: /round: expected integer in [-2147483648, "
             "2147483647], found 2147483648");
  obj["round"].text = "3";
  obj["mode"].text = R"("chess")";
  BOOST_TEST(decode_error<g::round_started>(text_of(obj)) ==
             R"(decode_failed: /mode: expected one of ["standard", )"
             R"("two_player", "knockout", "race"], found "chess")");
  obj = encode_as_object(sample<g::round_ended>());
  obj["results"].text = R"([{"team_id":"0190b5a4-7c1e-7a3b-8f00-0000000000f1",)"
                        R"("score":50,"guesses":4,"solved":true},)"
                        R"({"team_id":"0190b5a4-7c1e-7a3b-8f00-0000000000f2",)"
                        R"("score":"high","guesses":6,"solved":false}])";
  BOOST_TEST(decode_error<g::round_ended>(text_of(obj)) ==
             "decode_failed: /results/1/score: expected integer, found "
             "string");
  obj = encode_as_object(sample<g::game_started>());
  obj["player_ids"].text = R"(["1",2])";
  BOOST_TEST(decode_error<g::game_started>(text_of(obj)) ==
             "decode_failed: /player_ids/1: expected string, found number");
  BOOST_TEST(decode_error<g::game_started>("[]") ==
             "decode_failed: expected object, found array");
}

BOOST_AUTO_TEST_CASE(old_readers_ignore_new_fields) {
  // A version-2 PlayerJoined reads as version 1 (display_name is ignored).
  auto v2 = sample<g::player_joined>();
  auto text = json::encode(v2);
  BOOST_REQUIRE_MESSAGE(text, es::error_of(text));
  auto v1 = json::decode<g::v1::player_joined>(*text);
  BOOST_REQUIRE_MESSAGE(v1, es::error_of(v1));
  BOOST_TEST(v1->player_id == v2.player_id);
  BOOST_TEST((v1->team_id == v2.team_id));
  // But a version-1 RoundEnded lacks what version 2 requires.
  auto old = json::encode(sample<g::v1::round_ended>());
  BOOST_REQUIRE_MESSAGE(old, es::error_of(old));
  BOOST_TEST(decode_error<g::round_ended>(*old) ==
             "decode_failed: /reason: missing required field");
}

BOOST_AUTO_TEST_CASE(type_names_and_versions) {
  std::set<std::pair<std::string, int32_t>> seen;
  std::map<std::string, int32_t> latest;
  for_each_type(g::all_events{}, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    BOOST_TEST(seen.emplace(T::event_type, T::event_version).second,
               T::event_type);
    latest[T::event_type] = T::event_version;
  });
  BOOST_TEST(latest.size() == 31u);
  for_each_type(g::legacy_events{}, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    BOOST_TEST(seen.emplace(T::event_type, T::event_version).second,
               T::event_type);
    BOOST_TEST(latest[T::event_type] > T::event_version, T::event_type);
  });
  BOOST_TEST(std::string{g::player_joined::event_type} == "PlayerJoined");
  BOOST_TEST(g::player_joined::event_version == 2);
  BOOST_TEST(std::string{g::v1::player_joined::event_type} == "PlayerJoined");
  BOOST_TEST(g::v1::player_joined::event_version == 1);
  BOOST_TEST(g::round_ended::event_version == 2);
  BOOST_TEST(g::v1::round_ended::event_version == 1);
  BOOST_TEST((g::player_eliminated::required_mode == g::mode::knockout));
  BOOST_TEST((g::team_eliminated::required_mode == g::mode::knockout));
  BOOST_TEST((g::pair_guess_result::required_mode == g::mode::two_player));
  BOOST_TEST(
      (g::two_player_target_reached::required_mode == g::mode::two_player));
  BOOST_TEST((g::race_time_expired::required_mode == g::mode::race));
  BOOST_TEST((g::team_progress_updated::required_mode == g::mode::race));
  BOOST_TEST((g::race_match_counted::required_mode == g::mode::race));
}

BOOST_AUTO_TEST_CASE(stream_id_and_snowflakes) {
  BOOST_TEST(g::stream_id(es::test::game_id) ==
             "game-0190b5a4-7c1e-7a3b-8f00-00000000000a");
  BOOST_TEST(g::is_snowflake("1"));
  BOOST_TEST(g::is_snowflake("12345678901234567890"));
  BOOST_TEST(!g::is_snowflake(""));
  BOOST_TEST(!g::is_snowflake("123456789012345678901"));
  BOOST_TEST(!g::is_snowflake("12a"));
  BOOST_TEST(!g::is_snowflake("-1"));
  BOOST_TEST(std::string{g::name_of(g::mode::two_player)} == "two_player");
  BOOST_TEST(g::name_of(static_cast<g::mode>(9)) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(event_metadata)

es::discord_source guild_source() {
  es::discord_source src;
  src.guild_id = "222222222222222222";
  src.channel_id = "333333333333333333";
  src.user_id = "111111111111111111";
  return src;
}

BOOST_AUTO_TEST_CASE(from_discord_in_a_guild) {
  auto meta = es::event_metadata::from_discord(guild_source(), "gamebot/2.3.1");
  BOOST_TEST(!meta.causation_id);
  BOOST_TEST(!meta.correlation_id.nil());
  BOOST_TEST(meta.correlation_id.version() == 7);
  BOOST_TEST(meta.actor_id == "111111111111111111");
  BOOST_TEST(meta.client_version == "gamebot/2.3.1");
  BOOST_TEST(meta.server_version == "gamebot-es/0.1.0");
  BOOST_TEST(std::string{es::server_version} == "gamebot-es/0.1.0");
  BOOST_TEST(
      (meta.guild_id == std::optional<std::string>{"222222222222222222"}));
  BOOST_TEST(
      (meta.channel_id == std::optional<std::string>{"333333333333333333"}));
  // Every interaction starts a correlation of its own.
  auto other = es::event_metadata::from_discord(guild_source(), "x");
  BOOST_TEST(other.correlation_id != meta.correlation_id);
}

BOOST_AUTO_TEST_CASE(from_discord_in_a_direct_message) {
  auto src = guild_source();
  src.direct_message = true; // a guild id sent along anyway is dropped
  auto meta = es::event_metadata::from_discord(src, "gamebot/2.3.1");
  BOOST_TEST(!meta.guild_id);
  BOOST_TEST(
      (meta.channel_id == std::optional<std::string>{"333333333333333333"}));
  BOOST_TEST(meta.actor_id == "111111111111111111");
  BOOST_TEST(!meta.causation_id);
  auto obj = encode_as_object(meta);
  BOOST_TEST(obj.count("guild_id") == 0u);
  BOOST_TEST(obj.count("causation_id") == 0u);
}

BOOST_AUTO_TEST_CASE(caused_by_inherits_correlation) {
  auto cause =
      es::event_metadata::from_discord(guild_source(), "gamebot/2.3.1");
  cause.server_version = "gamebot-es/0.0.9";
  auto cause_id = es::test::event_id;
  auto meta = es::event_metadata::caused_by(cause_id, cause, "bot");
  BOOST_TEST((meta.causation_id == std::optional<es::uuid>{cause_id}));
  BOOST_TEST(meta.correlation_id == cause.correlation_id);
  BOOST_TEST(meta.actor_id == "bot");
  BOOST_TEST(meta.client_version == "gamebot/2.3.1");
  BOOST_TEST(meta.server_version == "gamebot-es/0.1.0");
  BOOST_TEST((meta.guild_id == cause.guild_id));
  BOOST_TEST((meta.channel_id == cause.channel_id));
  // A chain keeps the correlation and points at the latest cause.
  auto next_id = es::uuid::v7();
  auto next = es::event_metadata::caused_by(next_id, meta, "bot");
  BOOST_TEST(next.correlation_id == cause.correlation_id);
  BOOST_TEST((next.causation_id == std::optional<es::uuid>{next_id}));
}

BOOST_AUTO_TEST_CASE(metadata_json_keys) {
  es::event_metadata meta;
  meta.causation_id = es::test::error_id;
  meta.correlation_id = es::test::game_id;
  meta.actor_id = "111111111111111111";
  meta.client_version = "gamebot/2.3.1";
  meta.guild_id = "222222222222222222";
  meta.channel_id = "333333333333333333";
  auto text = json::encode(meta);
  BOOST_REQUIRE_MESSAGE(text, es::error_of(text));
  BOOST_TEST(*text ==
             R"({"causation_id":"0190b5a4-7c1e-7a3b-8f00-0000000000e1",)"
             R"("correlation_id":"0190b5a4-7c1e-7a3b-8f00-00000000000a",)"
             R"("actor_id":"111111111111111111",)"
             R"("client_version":"gamebot/2.3.1",)"
             R"("server_version":"gamebot-es/0.1.0",)"
             R"("guild_id":"222222222222222222",)"
             R"("channel_id":"333333333333333333"})");
  auto back = json::decode<es::event_metadata>(*text);
  BOOST_REQUIRE_MESSAGE(back, es::error_of(back));
  BOOST_TEST(*json::encode(*back) == *text);
  BOOST_TEST(decode_error<es::event_metadata>(R"({"actor_id":"1"})") ==
             "decode_failed: /correlation_id: missing required field");
  auto src = json::decode<es::discord_source>(
      R"({"channel_id":"3","user_id":"1","direct_message":true})");
  BOOST_REQUIRE_MESSAGE(src, es::error_of(src));
  BOOST_TEST(src->direct_message);
  BOOST_TEST(!src->guild_id);
}

BOOST_AUTO_TEST_SUITE_END()
