// The demo bot's pure parts: its game scripts pass the catalog (every
// event of every mode validated and encoded), play whole games as the
// game-state model sees them, and keep a turn's events together; its
// summary ends with the line scripts look for.
#define BOOST_TEST_MODULE demo
#include "actors/game_state_model.hpp"
#include "actors/leaderboard_model.hpp"
#include "messages/error.hpp"
#include "messages/json.hpp"
#include "messages/metadata.hpp"
#include "registry/game_catalog.hpp"
#include "tools/demo/game_script.hpp"
#include "tools/demo/report.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace es;
using namespace es::demo;

namespace {

/// The events of `turns` as the store would record them in `stream`.
std::vector<recorded_event> recorded(const std::string& stream,
                                     const std::vector<turn>& turns,
                                     int64_t& position) {
  std::vector<recorded_event> out;
  int64_t version = 0;
  for (auto& t : turns)
    for (auto& ev : t) {
      recorded_event r;
      r.global_position = ++position;
      r.id = ev.id;
      r.stream = stream;
      r.stream_version = ++version;
      r.type = ev.type;
      r.version = ev.version;
      r.data = ev.data;
      r.metadata = ev.metadata;
      r.created_at = ev.created_at;
      out.push_back(std::move(r));
    }
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(every_planned_game_scripts_and_plays_to_its_end) {
  auto cat = registry::game_catalog();
  game_state_model model;
  leaderboard_model board;
  int64_t position = 0;
  std::set<game::mode> modes;
  std::set<std::string> types;
  size_t cancelled = 0;
  auto plans = plan_games(120, 7, 42);
  BOOST_TEST(plans.size() == 120u);
  for (auto& plan : plans) {
    auto turns = script(plan, cat);
    BOOST_REQUIRE_MESSAGE(turns, "seed " << plan.seed << ": "
                                         << error_of(turns));
    BOOST_TEST(turns->size() > 5u);
    for (auto& ev : recorded(game::stream_id(plan.game_id), *turns, position)) {
      types.insert(ev.type);
      auto err = model.apply(ev);
      BOOST_REQUIRE_MESSAGE(!err, ev.type << ": " << describe(err));
      err = board.apply(ev);
      BOOST_REQUIRE_MESSAGE(!err, ev.type << ": " << describe(err));
    }
    auto& g = model.games().at(plan.game_id);
    BOOST_TEST((g.guild_id == plan.guild_id));
    BOOST_TEST((g.phase == game_phase::completed
                || g.phase == game_phase::cancelled));
    BOOST_TEST(!g.paused);
    BOOST_TEST(!g.recovering);
    cancelled += g.phase == game_phase::cancelled;
    modes.insert(plan.mode);
  }
  BOOST_TEST(model.games().size() == 120u);
  BOOST_TEST(modes.size() == 4u);
  BOOST_TEST(cancelled > 0u);
  BOOST_TEST(cancelled < 30u);
  // What a real game sees, across the plans.
  for (auto* type :
       {"GameCreated", "PlayerJoined", "TeamCreated", "GameStarted",
        "RoundStarted", "GuessProcessed", "RoundEnded", "PairGuessResult",
        "TwoPlayerTargetReached", "PlayerEliminated", "RaceMatchCounted",
        "TeamProgressUpdated", "RaceTimeExpired", "GamePaused", "GameResumed",
        "GameError", "RecoveryStarted", "RecoveryCompleted",
        "GameConfigChanged", "GameModeChanged", "PlayerStatusChanged",
        "PlayerLeft", "GameCompleted", "GameCancelled"})
    BOOST_TEST_CONTEXT(type) { BOOST_TEST(types.count(type) == 1u); }
  std::set<std::string> guilds;
  for (auto& row : board.entries())
    guilds.insert(row.guild_id);
  BOOST_TEST(guilds.size() == 7u);
}

BOOST_AUTO_TEST_CASE(a_turns_events_share_its_correlation_and_cause) {
  auto cat = registry::game_catalog();
  auto plans = plan_games(8, 2, 7);
  std::set<std::string> correlations;
  for (auto& plan : plans) {
    auto turns = script(plan, cat);
    BOOST_REQUIRE(turns);
    for (auto& t : *turns) {
      BOOST_REQUIRE(!t.empty());
      auto first = json::decode<event_metadata>(t.front().metadata);
      BOOST_REQUIRE(first);
      BOOST_TEST(!first->causation_id);
      BOOST_TEST(correlations.insert(to_string(first->correlation_id)).second);
      for (size_t i = 1; i < t.size(); ++i) {
        auto meta = json::decode<event_metadata>(t[i].metadata);
        BOOST_REQUIRE(meta);
        BOOST_TEST((meta->correlation_id == first->correlation_id));
        BOOST_TEST((meta->causation_id == t.front().id));
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(plans_rotate_modes_and_guilds) {
  auto plans = plan_games(8, 3, 1);
  std::set<std::string> guilds;
  std::set<uuid> ids;
  for (size_t i = 0; i < plans.size(); ++i) {
    guilds.insert(plans[i].guild_id);
    ids.insert(plans[i].game_id);
    BOOST_TEST((plans[i].mode == plans[i % 4].mode));
  }
  BOOST_TEST(guilds.size() == 3u);
  BOOST_TEST(ids.size() == 8u);
  BOOST_TEST((plans[0].mode != plans[1].mode));
}

BOOST_AUTO_TEST_CASE(percentiles_by_nearest_rank) {
  std::vector<int64_t> xs;
  for (int64_t i = 100; i >= 1; --i)
    xs.push_back(i);
  BOOST_TEST(percentile(xs, 0.5) == 50);
  BOOST_TEST(percentile(xs, 0.99) == 99);
  BOOST_TEST(percentile(xs, 1.0) == 100);
  BOOST_TEST(percentile(xs, 0.0) == 1);
  BOOST_TEST(percentile({}, 0.5) == 0);
  BOOST_TEST(percentile({7}, 0.99) == 7);
}

BOOST_AUTO_TEST_CASE(the_progress_line_fills_with_the_games_done) {
  BOOST_TEST(progress_line(0, 10, 0, 0, 10) == "[..........] 0/10 games, 0 events");
  BOOST_TEST(progress_line(5, 10, 300, 2.0, 10)
             == "[#####.....] 5/10 games, 300 events, 150 events/s");
  BOOST_TEST(progress_line(10, 10, 300, 1.0, 4)
             == "[####] 10/10 games, 300 events, 300 events/s");
}

BOOST_AUTO_TEST_CASE(the_summary_ends_with_the_consistency_line) {
  run_summary s;
  s.games_planned = s.games_played = 3;
  s.events = 90;
  s.seconds = 1.5;
  s.latencies_us = {1000, 2000, 30000};
  s.consistent = true;
  auto text = format_summary(s);
  BOOST_TEST(text.find("p50 2.0 ms, p99 30.0 ms") != std::string::npos);
  BOOST_TEST(text.find("60 over 1.5 s") != std::string::npos);
  auto last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  BOOST_TEST(last == "projections consistent: yes\n");
  s.consistent = false;
  s.why = {"leaderboard projection: 3 rows, a replay gives 4"};
  text = format_summary(s);
  last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  BOOST_TEST(last == "projections consistent: no\n");
  BOOST_TEST(text.find("a replay gives 4") != std::string::npos);
}
