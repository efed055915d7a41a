// The game's events through PostgreSQL: every type round-trips, version-1
// events stored in the database read as the latest version, and appends are
// validated against the registry before they reach the database.
#include "registry/game_catalog.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

using namespace es;
using namespace es::registry;

namespace {

const uuid game_id = uuid::v7();

template<class T>
T sample() {
  T ev;
  ev.game_id = game_id;
  ev.guild_id = "123456789012345678";
  ev.round = 2;
  if constexpr (std::is_same_v<T, game::v1::round_ended> ||
                std::is_same_v<T, game::round_ended>)
    ev.target_word = "crane";
  return ev;
}

/// Stores `ev` as its own (type, version), bypassing the registry, as an
/// older bot version would have.
template<class T>
recorded_event store_and_read(storage::event_store& store, const T& ev) {
  event_data data;
  data.id = ev.event_id;
  data.type = T::event_type;
  data.version = T::event_version;
  data.data = json::encode(ev).value();
  data.created_at = ev.at;
  auto stream = test::unique_stream("game");
  auto r = store.append({stream, expected_version::no_stream(), {data}});
  BOOST_REQUIRE_MESSAGE(r, error_of(r));
  auto page = store.read_stream(stream, 1, 1);
  BOOST_REQUIRE_MESSAGE(page, error_of(page));
  BOOST_REQUIRE(page->events.size() == 1u);
  return page->events[0];
}

template<class T>
void round_trip(storage::event_store& store) {
  auto ev = sample<T>();
  auto got = store_and_read(store, ev);
  BOOST_TEST(got.type == T::event_type);
  BOOST_TEST(got.version == T::event_version);
  auto decoded = json::decode<T>(got.data);
  BOOST_REQUIRE_MESSAGE(decoded, T::event_type << ": " << error_of(decoded));
  // jsonb reorders keys; compare what our encoder makes of both.
  BOOST_TEST(json::encode(*decoded).value() == json::encode(ev).value(),
             T::event_type);
}

template<class... Ts>
void round_trip_all(storage::event_store& store, game::type_list<Ts...>) {
  (round_trip<Ts>(store), ...);
}

} // namespace

BOOST_AUTO_TEST_SUITE(through_postgres)

BOOST_AUTO_TEST_CASE(every_event_type_round_trips) {
  auto store = test::open_store();
  round_trip_all(store, game::all_events{});
  round_trip_all(store, game::legacy_events{});
}

BOOST_AUTO_TEST_CASE(v1_player_joined_reads_as_v2) {
  auto store = test::open_store();
  auto cat = game_catalog();
  auto old = sample<game::v1::player_joined>();
  old.player_id = "222222222222222222";
  auto got = store_and_read(store, old);
  BOOST_REQUIRE(got.version == 1);
  auto status = cat.upcast(got);
  BOOST_REQUIRE_MESSAGE(status, error_of(status));
  BOOST_TEST((*status == upcast_status::upcast));
  BOOST_TEST(got.version == 2);
  auto now = json::decode<game::player_joined>(got.data);
  BOOST_REQUIRE_MESSAGE(now, error_of(now));
  BOOST_TEST(now->player_id == "222222222222222222");
  BOOST_TEST(now->display_name == "222222222222222222");
  BOOST_TEST((now->event_id == old.event_id));
  BOOST_TEST((now->game_id == game_id));
  BOOST_TEST(!cat.validate("PlayerJoined", 2, got.data), got.data);
}

BOOST_AUTO_TEST_CASE(v1_round_ended_reads_as_v2_with_team_results) {
  auto store = test::open_store();
  auto cat = game_catalog();
  auto old = sample<game::v1::round_ended>();
  old.winner_id = "333333333333333333";
  old.total_guesses = 7;
  auto got = store_and_read(store, old);
  auto status = cat.upcast(got);
  BOOST_REQUIRE_MESSAGE(status, error_of(status));
  BOOST_TEST(got.version == 2);
  auto now = json::decode<game::round_ended>(got.data);
  BOOST_REQUIRE_MESSAGE(now, error_of(now));
  BOOST_TEST((now->reason == game::round_end_reason::solved));
  BOOST_TEST(now->target_word == "crane");
  BOOST_REQUIRE(now->results.size() == 1u);
  BOOST_TEST(now->results[0].guesses == 7);
  BOOST_TEST(now->results[0].solved);
  BOOST_TEST((now->results[0].team_id == game_id));
}

BOOST_AUTO_TEST_CASE(unknown_types_read_back_raw) {
  auto store = test::open_store();
  auto cat = game_catalog();
  event_data data;
  data.type = "ShardMigrated";
  data.data = R"({"from":3,"to":[4,5]})";
  auto stream = test::unique_stream("game");
  BOOST_REQUIRE(store.append({stream, expected_version::any(), {data}}));
  auto page = store.read_stream(stream, 1, 1);
  BOOST_REQUIRE(page);
  auto ev = page->events.at(0);
  auto status = cat.upcast(ev);
  BOOST_REQUIRE(status);
  BOOST_TEST((*status == upcast_status::unknown));
  BOOST_TEST(ev.data == R"({"to": [4, 5], "from": 3})");
}

BOOST_AUTO_TEST_CASE(invalid_events_never_reach_the_database) {
  auto store = test::open_store();
  auto cat = game_catalog();
  auto stream = test::unique_stream("game");
  // A knockout elimination in a race game: valid JSON, invalid event.
  auto bad = sample<game::player_eliminated>();
  bad.game_mode = game::mode::race;
  event_data data;
  data.id = bad.event_id;
  data.type = game::player_eliminated::event_type;
  data.data = json::encode(bad).value();
  std::vector<stream_append> parts{
      {stream, expected_version::no_stream(), {data}}};
  auto err = validate_append(cat, parts);
  BOOST_TEST(err == ec::invalid_event);
  BOOST_TEST(describe(err).find("/mode") != std::string::npos, describe(err));
  if (!err)
    BOOST_REQUIRE(store.append(parts));
  auto info = store.get_stream_info(stream);
  BOOST_REQUIRE(!info);
  BOOST_TEST(info.error() == ec::not_found);
  // The typed path refuses it before encoding anything.
  auto typed = cat.encode(bad, event_metadata{});
  BOOST_REQUIRE(!typed);
  BOOST_TEST(typed.error() == ec::invalid_event);
  // And old shapes are never written.
  auto stale = cat.encode(sample<game::v1::player_joined>(), event_metadata{});
  BOOST_REQUIRE(!stale);
  BOOST_TEST(describe(stale.error()).find("not the latest version") !=
             std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
