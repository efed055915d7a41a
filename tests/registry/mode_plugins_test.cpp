// The built-in mode plugins: each rule has accepting and rejecting cases;
// plugins ignore the events they do not know.
#include "registry/mode_plugins.hpp"
#include "tests/game_samples.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <type_traits>

namespace g = es::game;

using es::registry::event_view;
using es::registry::validation_context;
using es::registry::violations;
using es::test::sample;

namespace {

/// Runs every built-in plugin registered for `x.game_mode` over `x` and
/// returns "path: message; ..." of the violations.
template<class T>
std::string run(const T& x) {
  violations out;
  validation_context ctx;
  for (auto& [mode, check] : es::registry::builtin_mode_plugins())
    if (mode == x.game_mode)
      check(x, event_view::of(x), ctx, out);
  std::string result;
  for (auto& v : out.list()) {
    if (!result.empty())
      result += "; ";
    result += v.path + ": " + v.message;
  }
  return result;
}

/// `sample<T>()` in mode `m`, changed by `change`.
template<class T, class F>
std::string run_in(g::mode m, F change) {
  auto x = sample<T>();
  x.game_mode = m;
  change(x);
  return run(x);
}

void nop(...) {
  // nop
}

} // namespace

BOOST_AUTO_TEST_SUITE(mode_plugins)

BOOST_AUTO_TEST_CASE(builtin_registrations) {
  auto plugins = es::registry::builtin_mode_plugins();
  BOOST_TEST(plugins.size() == 6u);
  size_t per_mode[4] = {};
  for (auto& [mode, check] : plugins) {
    BOOST_TEST(static_cast<bool>(check));
    ++per_mode[static_cast<int>(mode)];
  }
  BOOST_TEST(per_mode[0] == 1u); // standard
  BOOST_TEST(per_mode[1] == 2u); // two_player
  BOOST_TEST(per_mode[2] == 1u); // knockout
  BOOST_TEST(per_mode[3] == 2u); // race
}

BOOST_AUTO_TEST_CASE(every_sample_passes_the_plugins_of_its_mode) {
  auto check = [](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    auto x = sample<T>();
    BOOST_TEST(run(x) == "", T::event_type);
  };
  es::test::for_each_type(g::all_events{}, check);
  es::test::for_each_type(g::legacy_events{}, check);
}

BOOST_AUTO_TEST_CASE(two_player_teams_and_games_are_pairs) {
  auto two = g::mode::two_player;
  BOOST_TEST(run_in<g::team_created>(two, nop) == "");
  BOOST_TEST(run_in<g::team_created>(two, [](auto& x) {
               x.members.push_back(es::test::player_c);
             }) == "/members: two_player: expected exactly 2 members, found 3");
  BOOST_TEST(run_in<g::game_started>(two, nop) ==
             "/player_ids: two_player: expected exactly 2 players, found 3");
  BOOST_TEST(run_in<g::game_started>(
                 two, [](auto& x) { x.player_ids.pop_back(); }) == "");
  BOOST_TEST(run_in<g::game_created>(two, nop) ==
             "/max_players: two_player: expected 2, found 8");
  BOOST_TEST(run_in<g::game_created>(two, [](auto& x) { x.max_players = 2; }) ==
             "");
  BOOST_TEST(run_in<g::round_ended>(two, nop) ==
             "/results: two_player: expected at most 1 team result, found 2");
  BOOST_TEST(
      run_in<g::round_ended>(two, [](auto& x) { x.results.pop_back(); }) == "");
  // The same events are fine in standard mode.
  BOOST_TEST(run_in<g::game_started>(g::mode::standard, nop) == "");
  BOOST_TEST(run_in<g::round_ended>(g::mode::standard, nop) == "");
}

BOOST_AUTO_TEST_CASE(knockout_eliminations_carry_round_and_reason) {
  auto ko = g::mode::knockout;
  BOOST_TEST(
      run_in<g::player_eliminated>(ko, [](auto& x) { x.round.reset(); }) ==
      "/round: knockout: expected the round of the "
      "PlayerEliminated, found none");
  BOOST_TEST(run_in<g::team_eliminated>(ko, [](auto& x) { x.round.reset(); }) ==
             "/round: knockout: expected the round of the "
             "TeamEliminated, found none");
  BOOST_TEST(run_in<g::player_eliminated>(ko,
                                          [](auto& x) {
                                            x.reason =
                                                g::elimination_reason::other;
                                            x.detail.reset();
                                          }) ==
             "/detail: knockout: expected a detail when reason is "
             "\"other\", found none");
  BOOST_TEST(
      run_in<g::team_eliminated>(
          ko, [](auto& x) { x.reason = g::elimination_reason::other; }) ==
      "/detail: knockout: expected a detail when reason is "
      "\"other\", found none");
  BOOST_TEST(run_in<g::team_eliminated>(ko, [](auto& x) {
               x.reason = g::elimination_reason::other;
               x.detail = "disqualified";
             }) == "");
  BOOST_TEST(run_in<g::game_completed>(
                 ko, [](auto& x) { x.winner_team_id.reset(); }) ==
             "/winner_team_id: knockout: expected the last team "
             "standing, found none");
  BOOST_TEST(run_in<g::game_completed>(ko, nop) == "");
  BOOST_TEST(run_in<g::player_status_changed>(ko, [](auto& x) {
               x.status = g::player_status::eliminated;
             }) == "");
}

BOOST_AUTO_TEST_CASE(race_rounds_are_timed_and_progress_is_consistent) {
  auto race = g::mode::race;
  BOOST_TEST(run_in<g::round_started>(race, [](auto& x) {
               x.time_limit_ms.reset();
             }) == "/time_limit_ms: race: expected a time limit, found none");
  BOOST_TEST(run_in<g::round_started>(g::mode::standard, [](auto& x) {
               x.time_limit_ms.reset();
             }) == "");
  BOOST_TEST(run_in<g::team_progress_updated>(
                 race, [](auto& x) { x.progress_percent = 38; }) ==
             "/progress_percent: race: expected 37 (3 of 8 words), "
             "found 38");
  BOOST_TEST(run_in<g::team_progress_updated>(race, [](auto& x) {
               x.words_solved = 8;
               x.progress_percent = 100;
             }) == "");
  BOOST_TEST(run_in<g::team_progress_updated>(race, [](auto& x) {
               x.target_words = 0;
             }) == ""); // left to the type's validator
  BOOST_TEST(run_in<g::race_time_expired>(
                 race, [](auto& x) { x.elapsed_ms = 360'001; }) ==
             "/elapsed_ms: race: expected at most 360000 (a minute "
             "past the limit), found 360001");
  BOOST_TEST(run_in<g::race_time_expired>(
                 race, [](auto& x) { x.elapsed_ms = 360'000; }) == "");
}

BOOST_AUTO_TEST_CASE(eliminations_only_in_knockout) {
  for (auto m : {g::mode::standard, g::mode::two_player, g::mode::race}) {
    auto v = run_in<g::player_status_changed>(
        m, [](auto& x) { x.status = g::player_status::eliminated; });
    BOOST_TEST(v ==
               std::string{"/status: expected no eliminations in mode \""} +
                   g::name_of(m) + "\" (knockout only), found \"eliminated\"");
    BOOST_TEST(run_in<g::player_status_changed>(m, nop) == "");
  }
}

BOOST_AUTO_TEST_CASE(plugins_ignore_unknown_views) {
  // A view of a type no plugin knows, and an empty view.
  int other = 42;
  event_view foreign{"Foreign", 1, typeid(int), &other};
  auto base = sample<g::team_created>();
  for (auto& [mode, check] : es::registry::builtin_mode_plugins()) {
    violations out;
    check(base, foreign, validation_context{}, out);
    check(base, event_view{}, validation_context{}, out);
    BOOST_TEST(out.empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()
