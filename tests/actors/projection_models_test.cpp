// The projections' pure models, without actors: the game state folded from
// a game's events, its JSON snapshot, what it skips and what it refuses;
// the leaderboard's scoring, ranking, and the property the PostgreSQL
// projection relies on (a batch folded alone is the change to add).
#include "actors/game_projections.hpp"
#include "actors/game_state_model.hpp"
#include "actors/leaderboard_model.hpp"
#include "messages/json.hpp"
#include "tests/game_samples.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

using namespace es;
using namespace es::test;

namespace {

/// `ev` as the store delivers it, at global position `pos`.
template<class T>
recorded_event recorded(const T& ev, int64_t pos) {
  recorded_event r;
  r.global_position = pos;
  r.id = ev.event_id;
  r.stream = game::stream_id(ev.game_id);
  r.stream_version = pos;
  r.type = T::event_type;
  r.version = T::event_version;
  r.data = *json::encode(ev);
  r.metadata = "{}";
  return r;
}

/// A sample `T` of game `game` in `guild_id` with a fresh event id.
template<class T>
T of(const uuid& game, const std::string& guild_id = guild) {
  auto x = sample<T>();
  x.event_id = uuid::v7();
  x.game_id = game;
  x.guild_id = guild_id;
  return x;
}

/// A short game: created, two players, a team, a round with guesses, a
/// pause, a mode change, an error and its recovery, a player leaving, the end.
std::vector<recorded_event> a_game(const uuid& game,
                                   const std::string& guild_id = guild,
                                   int64_t first_pos = 1) {
  std::vector<recorded_event> out;
  auto pos = first_pos;
  auto add = [&](const auto& ev) { out.push_back(recorded(ev, pos++)); };
  auto created = of<game::game_created>(game, guild_id);
  created.round.reset();
  add(created);
  auto ann = of<game::player_joined>(game, guild_id);
  ann.player_id = player_a;
  ann.display_name = "Ann";
  ann.team_id.reset();
  ann.rejoin = false;
  add(ann);
  auto bob = ann;
  bob.event_id = uuid::v7();
  bob.player_id = player_b;
  bob.display_name = "Bob";
  add(bob);
  auto team = of<game::team_created>(game, guild_id);
  team.members = {player_a, player_b};
  add(team);
  auto started = of<game::game_started>(game, guild_id);
  started.player_ids = {player_a, player_b};
  started.team_ids = {team_red};
  add(started);
  auto round = of<game::round_started>(game, guild_id);
  round.round = 1;
  add(round);
  auto guess = of<game::guess_processed>(game, guild_id);
  guess.round = 1;
  guess.player_id = player_a;
  guess.correct = false;
  guess.points = 10;
  add(guess);
  auto right = guess;
  right.event_id = uuid::v7();
  right.player_id = player_b;
  right.correct = true;
  right.points = 50;
  add(right);
  add(of<game::game_paused>(game, guild_id));
  add(of<game::game_resumed>(game, guild_id));
  auto mode = of<game::game_mode_changed>(game, guild_id);
  mode.previous_mode = game::mode::standard;
  mode.new_mode = game::mode::race;
  mode.game_mode = game::mode::race;
  add(mode);
  add(of<game::game_error>(game, guild_id));
  add(of<game::recovery_started>(game, guild_id));
  auto left = of<game::player_left>(game, guild_id);
  left.player_id = player_b;
  left.reason = game::leave_reason::left;
  left.kicked_by.reset();
  add(left);
  return out;
}

game_state_model fold(const std::vector<recorded_event>& events) {
  game_state_model m;
  for (auto& ev : events) {
    auto err = m.apply(ev);
    BOOST_REQUIRE_MESSAGE(!err, describe(err));
  }
  return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(game_state_models)

BOOST_AUTO_TEST_CASE(a_game_folds_into_its_live_state) {
  auto id = uuid::v7();
  auto m = fold(a_game(id));
  auto* st = m.find(id);
  BOOST_REQUIRE(st);
  BOOST_TEST(st->guild_id.value_or("") == guild);
  BOOST_TEST((st->phase == game_phase::started));
  BOOST_TEST((st->mode == game::mode::race));
  BOOST_TEST(st->round == 1);
  BOOST_TEST(st->round_active);
  BOOST_TEST(!st->paused);
  BOOST_TEST(st->players.size() == 2u);
  BOOST_TEST(st->players.at(player_a).display_name == "Ann");
  BOOST_TEST(st->players.at(player_a).present);
  BOOST_TEST(!st->players.at(player_b).present);
  BOOST_TEST((st->teams.at(team_red).members
             == std::set<std::string>{player_a}));
  BOOST_TEST((st->players.at(player_a).team_id == std::optional{team_red}));
  BOOST_TEST((st->last_error == std::optional{game::error_kind::word_list}));
  BOOST_TEST(st->recovering);
  BOOST_TEST(st->events == 12); // the two guesses change nothing here
  // A pause shows while it lasts; the end clears the round.
  m.apply(recorded(of<game::game_paused>(id), 100));
  BOOST_TEST(m.find(id)->paused);
  auto done = of<game::game_completed>(id);
  m.apply(recorded(done, 101));
  BOOST_TEST((m.find(id)->phase == game_phase::completed));
  BOOST_TEST(!m.find(id)->paused);
  BOOST_TEST(!m.find(id)->round_active);
  BOOST_TEST((m.find(id)->winner_team_id == std::optional{team_red}));
}

BOOST_AUTO_TEST_CASE(the_snapshot_round_trips_and_equality_sees_a_change) {
  auto m = fold(a_game(uuid::v7()));
  auto other = a_game(uuid::v7(), "999", 50);
  for (auto& ev : other)
    BOOST_REQUIRE(!m.apply(ev));
  auto json = m.to_json();
  BOOST_REQUIRE_MESSAGE(json, error_of(json));
  auto back = game_state_model::from_json(*json);
  BOOST_REQUIRE_MESSAGE(back, error_of(back));
  BOOST_TEST((*back == m));
  // Folding the same events again from the snapshot's copy stays equal;
  // one more event does not.
  auto pause = of<game::game_paused>(m.games().begin()->first);
  BOOST_REQUIRE(!back->apply(recorded(pause, 99)));
  BOOST_TEST((*back != m));
  // Queries: one game, or the whole model.
  auto one = m.query(to_string(m.games().begin()->first));
  BOOST_REQUIRE(one);
  auto decoded = json::decode<game_state>(*one);
  BOOST_REQUIRE(decoded);
  BOOST_TEST((*decoded == m.games().begin()->second));
  BOOST_TEST(m.query(to_string(uuid::v7())).error() == ec::not_found);
  BOOST_TEST(m.query("nonsense").error() == ec::invalid_argument);
  BOOST_TEST(*m.query("") == *json);
}

BOOST_AUTO_TEST_CASE(other_events_are_skipped_and_bad_ones_refused) {
  auto id = uuid::v7();
  auto m = fold(a_game(id));
  auto before = m;
  recorded_event foreign;
  foreign.type = "ScoreChanged";
  foreign.data = "{\"score\":1}";
  BOOST_TEST(!m.apply(foreign));
  BOOST_TEST((m == before));
  auto broken = recorded(of<game::game_paused>(id), 77);
  broken.data = "{\"game_id\":7}";
  auto err = m.apply(broken);
  BOOST_REQUIRE(err);
  BOOST_TEST(err == ec::decode_failed);
  BOOST_TEST(describe(err).find("position 77") != std::string::npos);
  auto old = recorded(of<game::player_joined>(id), 78);
  old.version = 1; // not upcast: this code reads version 2
  err = m.apply(old);
  BOOST_REQUIRE(err);
  BOOST_TEST(describe(err).find("version 1") != std::string::npos);
  BOOST_TEST((m == before));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(leaderboard_models)

BOOST_AUTO_TEST_CASE(scores_per_guild_and_ranks) {
  leaderboard_model m;
  auto events = a_game(uuid::v7());
  auto elsewhere = a_game(uuid::v7(), "555", 100);
  events.insert(events.end(), elsewhere.begin(), elsewhere.end());
  for (auto& ev : events)
    BOOST_REQUIRE(!m.apply(ev));
  auto top = m.top(guild, 10);
  BOOST_REQUIRE(top.size() == 2u);
  BOOST_TEST(top[0].player_id == player_b); // 50 points beat 10
  BOOST_TEST(top[0].points == 50);
  BOOST_TEST(top[0].correct == 1);
  BOOST_TEST(top[0].guesses == 1);
  BOOST_TEST(top[0].games == 1);
  BOOST_TEST(top[0].display_name == "Bob");
  BOOST_TEST(top[1].points == 10);
  BOOST_TEST(m.top(guild, 1).size() == 1u);
  BOOST_TEST(m.top("555", 10).size() == 2u);
  BOOST_TEST(m.entries().size() == 4u);
  BOOST_TEST(!m.find("555", player_c));
  // A rejoin is not another game; a DM game has no guild.
  auto again = of<game::player_joined>(uuid::v7());
  again.player_id = player_a;
  again.display_name = "Annie";
  again.rejoin = true;
  BOOST_REQUIRE(!m.apply(recorded(again, 300)));
  BOOST_TEST(m.find(guild, player_a)->games == 1);
  BOOST_TEST(m.find(guild, player_a)->display_name == "Annie");
  auto private_game = of<game::guess_processed>(uuid::v7());
  private_game.guild_id.reset();
  auto size = m.entries().size();
  BOOST_REQUIRE(!m.apply(recorded(private_game, 301)));
  BOOST_TEST(m.entries().size() == size);
}

BOOST_AUTO_TEST_CASE(a_batch_folded_alone_is_the_change_to_add) {
  auto events = a_game(uuid::v7());
  auto second = a_game(uuid::v7(), guild, 100);
  events.insert(events.end(), second.begin(), second.end());
  leaderboard_model whole;
  for (auto& ev : events)
    BOOST_REQUIRE(!whole.apply(ev));
  // Added up batch by batch as the projection writes them (the SQL adds
  // counts and keeps the last non-empty name).
  std::map<std::pair<std::string, std::string>, leaderboard_entry> rows;
  for (size_t from = 0; from < events.size(); from += 5) {
    leaderboard_model batch;
    for (size_t i = from; i < std::min(events.size(), from + 5); ++i)
      BOOST_REQUIRE(!batch.apply(events[i]));
    for (auto& e : batch.entries()) {
      auto& r = rows[{e.guild_id, e.player_id}];
      r.guild_id = e.guild_id;
      r.player_id = e.player_id;
      if (!e.display_name.empty())
        r.display_name = e.display_name;
      r.games += e.games;
      r.guesses += e.guesses;
      r.correct += e.correct;
      r.points += e.points;
    }
  }
  std::vector<leaderboard_entry> summed;
  for (auto& [k, e] : rows)
    summed.push_back(e);
  BOOST_TEST((summed == whole.entries()));
}

BOOST_AUTO_TEST_CASE(leaderboard_query_keys) {
  BOOST_TEST(leaderboard_top_key("42", 5) == "top 5 42");
  BOOST_TEST(leaderboard_player_key("42", "7") == "player 42 7");
  auto def = leaderboard_projection("lb", 2, "game");
  auto model = def.make(3);
  BOOST_TEST(static_cast<bool>(model->query(leaderboard_top_key("42", 5))));
  BOOST_TEST(model->query("top x 42").error() == ec::invalid_argument);
  BOOST_TEST(model->query("bogus").error() == ec::invalid_argument);
  BOOST_TEST(def.version == 2);
  BOOST_TEST((def.kind == projection_definition::storage_kind::postgres));
  BOOST_TEST(!game_state_projection().clean);
}

BOOST_AUTO_TEST_SUITE_END()
