// The console's pure parts: command parsing (actors/console_commands.hpp),
// the inspector's JSON (actors/console_json.hpp) and its rendering as text
// (tools/console/render.hpp).
#define BOOST_TEST_MODULE console_unit
#include "actors/console_commands.hpp"
#include "actors/console_json.hpp"
#include "messages/error.hpp"
#include "registry/game_catalog.hpp"
#include "tools/console/render.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

using namespace es;

namespace {

std::string message_of(const caf::error& err) {
  return describe(err);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(commands)

BOOST_AUTO_TEST_CASE(parses_every_command_with_its_defaults) {
  auto cmd = parse_command({"stream", "game-1"});
  BOOST_REQUIRE(cmd);
  BOOST_TEST(to_string(cmd->verb) == std::string{"stream"});
  BOOST_TEST(cmd->name == "game-1");
  BOOST_TEST(cmd->from == 1);
  BOOST_TEST(cmd->count == 20u);
  cmd = parse_command({"stream", "game-1", "5", "7"});
  BOOST_REQUIRE(cmd);
  BOOST_TEST(cmd->from == 5);
  BOOST_TEST(cmd->count == 7u);
  cmd = parse_command({"streams", "game-", "50"});
  BOOST_REQUIRE(cmd);
  BOOST_TEST(cmd->after == "game-");
  BOOST_TEST(cmd->count == 50u);
  for (auto& h : command_table()) {
    std::vector<std::string> words{to_string(h.verb)};
    if (h.verb == console_verb::parked || h.verb == console_verb::replay ||
        h.verb == console_verb::rebuild || h.verb == console_verb::stream)
      words.push_back("x-1");
    BOOST_TEST(static_cast<bool>(parse_command(words)), h.usage);
  }
}

BOOST_AUTO_TEST_CASE(rejects_what_it_cannot_run_and_says_why) {
  auto unknown = parse_command({"frobnicate"});
  BOOST_REQUIRE(!unknown);
  BOOST_TEST(is(unknown.error(), ec::invalid_argument));
  BOOST_TEST(
      contains(message_of(unknown.error()), "unknown command 'frobnicate'"));
  auto missing = parse_command({"stream"});
  BOOST_REQUIRE(!missing);
  BOOST_TEST(contains(message_of(missing.error()), "usage: stream ID"));
  BOOST_TEST(!parse_command({"status", "extra"}));
  BOOST_TEST(!parse_command({"stream", "s-1", "zero"}));
  BOOST_TEST(!parse_command({"stream", "s-1", "0"}));
  BOOST_TEST(!parse_command({"streams", "a", "100000"}));
  BOOST_TEST(!parse_command({}));
  BOOST_TEST(!parse_command({"tail", "colour:red"}));
}

BOOST_AUTO_TEST_CASE(filters_round_trip) {
  for (std::string text : {"all", "category:game", "type:A,B", "guild:g1",
                           "actor:a", "correlation:c", "causation:d"}) {
    auto f = parse_filter(text);
    BOOST_REQUIRE_MESSAGE(f, text);
    BOOST_TEST(to_string(*f) == text);
  }
  auto types = parse_filter("type:PlayerJoined,GameStarted");
  BOOST_REQUIRE(types);
  BOOST_TEST(types->values.size() == 2u);
  BOOST_TEST(!parse_filter("category:"));
  BOOST_TEST(!parse_filter("nonsense"));
}

BOOST_AUTO_TEST_CASE(words_travel_as_a_json_array) {
  std::vector<std::string> words{"stream", "a \"quoted\" id", "3"};
  auto back = decode_words(encode_words(words));
  BOOST_REQUIRE(back);
  BOOST_TEST(*back == words);
  BOOST_TEST(!decode_words("{\"not\":\"an array\"}"));
  BOOST_TEST(!decode_words("[1,2]"));
  BOOST_TEST((split_words("  stream\tgame-1   2 ") ==
              std::vector<std::string>{"stream", "game-1", "2"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(rendering)

BOOST_AUTO_TEST_CASE(tables_align_columns) {
  auto t = console::table({"NAME", "N"}, {{"a", "1"}, {"long-name", "22"}});
  BOOST_TEST(t == "NAME       N\n"
                  "---------  --\n"
                  "a          1\n"
                  "long-name  22\n");
}

BOOST_AUTO_TEST_CASE(progress_bar_shows_the_fraction) {
  BOOST_TEST(console::progress_bar(0, 10, 10) == "[----------]   0% (0/10)");
  BOOST_TEST(console::progress_bar(5, 10, 10) == "[#####-----]  50% (5/10)");
  BOOST_TEST(console::progress_bar(10, 10, 10) == "[##########] 100% (10/10)");
  BOOST_TEST(console::progress_bar(12, 10, 4) == "[####] 100% (12/10)");
  BOOST_TEST(console::progress_bar(7, 0, 3) == "[...] 7 events");
}

BOOST_AUTO_TEST_CASE(durations_read_naturally) {
  BOOST_TEST(console::duration_text(7.25) == "7.2s");
  BOOST_TEST(console::duration_text(125) == "2m 05s");
  BOOST_TEST(console::duration_text(3723) == "1h 02m 03s");
}

BOOST_AUTO_TEST_CASE(errors_render_as_failures_with_their_code) {
  auto reply = console_json::error(
      make_error(ec::not_found, "stream game-9 does not exist"));
  rapidjson::Document doc;
  doc.Parse(reply.c_str());
  BOOST_REQUIRE(doc.IsObject());
  BOOST_TEST(doc["error"]["code"].GetString() == std::string{"not_found"});
  auto out = console::render(reply);
  BOOST_TEST(!out.ok);
  BOOST_TEST(out.code == "not_found");
  BOOST_TEST(contains(out.text, "stream game-9 does not exist"));
  BOOST_TEST(!console::render("not json").ok);
}

BOOST_AUTO_TEST_CASE(health_renders_the_pool_and_breaker) {
  pool_status pool;
  pool.health = pool_health::degraded;
  pool.pool_size = 4;
  pool.connections_up = 3;
  pool.breaker = storage::breaker_state::half_open;
  pool.queued = 7;
  rapidjson::StringBuffer sb;
  console_json::writer w{sb};
  console_json::write(w, pool);
  auto out =
      console::render(console_json::ok(console_verb::health, sb.GetString()));
  BOOST_TEST(out.ok);
  BOOST_TEST(contains(out.text, "degraded (3 of 4 connections up)"));
  BOOST_TEST(contains(out.text, "half-open"));
  BOOST_TEST(contains(out.text, "7 appends"));
}

BOOST_AUTO_TEST_CASE(events_render_with_their_payload_indented) {
  recorded_event ev;
  ev.global_position = 42;
  ev.stream = "game-1";
  ev.stream_version = 3;
  ev.type = "PlayerJoined";
  ev.data = R"({"display_name":"Ann"})";
  ev.metadata = "{}";
  auto text = console::render_event(console_json::event(ev));
  BOOST_TEST(contains(text, "#3  PlayerJoined v1  stream game-1  position 42"));
  BOOST_TEST(contains(text, "    \"display_name\": \"Ann\""));
}

BOOST_AUTO_TEST_CASE(the_catalog_lists_types_versions_and_upcasters) {
  auto cat = registry::game_catalog();
  auto json = console_json::catalog(cat);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  BOOST_REQUIRE(doc.IsObject());
  BOOST_TEST(doc["size"].GetUint64() == cat.size());
  BOOST_TEST(doc["types"].Size() > 0u);
  auto out = console::render(console_json::ok(console_verb::registry, json));
  BOOST_TEST(out.ok);
  BOOST_TEST(contains(out.text, "TYPE"));
  BOOST_TEST(contains(out.text, "PlayerJoined"));
}

BOOST_AUTO_TEST_SUITE_END()
