// The game's validators: every sample event is valid; every event type has
// rejecting cases, each checked by the exact paths it reports.
#include "registry/game_validators.hpp"
#include "tests/game_samples.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <type_traits>

namespace g = es::game;

using es::registry::validate;
using es::registry::validate_base;
using es::registry::validation_context;
using es::registry::violations;
using es::test::sample;
using namespace std::chrono_literals;

namespace {

validation_context context() {
  validation_context ctx;
  ctx.now = es::test::sample_time() + 1min;
  return ctx;
}

/// "path: message; path: message" of every violation.
std::string describe(const violations& v) {
  std::string result;
  for (auto& x : v.list()) {
    if (!result.empty())
      result += "; ";
    result += x.path + ": " + x.message;
  }
  return result;
}

/// The paths of every violation, space-separated, in order.
std::string paths(const violations& v) {
  std::string result;
  for (auto& x : v.list()) {
    if (!result.empty())
      result += " ";
    result += x.path;
  }
  return result;
}

/// The violations of the event-specific validator for `sample<T>()`
/// changed by `change`.
template<class T, class F>
violations check(F change, const validation_context& ctx = context()) {
  auto x = sample<T>();
  change(x);
  violations out;
  validate(x, ctx, out);
  return out;
}

template<class T, class F>
std::string paths_of(F change) {
  return paths(check<T>(change));
}

/// The violations of the base validator.
template<class F>
violations check_base(F change, const validation_context& ctx = context()) {
  auto x = sample<g::game_started>();
  change(x);
  violations out;
  validate_base(x, ctx, out);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(game_validators)

BOOST_AUTO_TEST_CASE(every_sample_is_valid) {
  auto run = [](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    auto x = sample<T>();
    violations out;
    validate_base(x, context(), out);
    validate(x, context(), out);
    BOOST_TEST(out.empty(), T::event_type << " v" << T::event_version << ": "
                                          << describe(out));
  };
  es::test::for_each_type(g::all_events{}, run);
  es::test::for_each_type(g::legacy_events{}, run);
}

BOOST_AUTO_TEST_CASE(mode_specific_events_require_their_mode) {
  size_t checked = 0;
  es::test::for_each_type(g::all_events{}, [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    if constexpr (es::test::has_required_mode<T>::value) {
      for (auto m : {g::mode::standard, g::mode::two_player, g::mode::knockout,
                     g::mode::race}) {
        auto v = check<T>([m](T& x) { x.game_mode = m; });
        if (m == T::required_mode)
          BOOST_TEST(v.empty(), T::event_type << ": " << describe(v));
        else
          BOOST_TEST(paths(v) == "/mode", T::event_type);
        ++checked;
      }
    }
  });
  BOOST_TEST(checked == 28u);
  auto v =
      check<g::player_eliminated>([](auto& x) { x.game_mode = g::mode::race; });
  BOOST_TEST(
      describe(v) ==
      R"(/mode: PlayerEliminated expected mode "knockout", found "race")");
}

// -- base ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(base_accepts_minimal_and_boundary_values) {
  auto v = check_base([](auto& x) {
    x.guild_id.reset();
    x.round.reset();
  });
  BOOST_TEST(v.empty(), describe(v));
  auto ctx = context();
  v = check_base([&](auto& x) { x.at = ctx.now + ctx.max_future; }, ctx);
  BOOST_TEST(v.empty(), describe(v));
  v = check_base([&](auto& x) { x.at = ctx.now - ctx.max_past; }, ctx);
  BOOST_TEST(v.empty(), describe(v));
  v = check_base([](auto& x) { x.round = g::limits::max_rounds; });
  BOOST_TEST(v.empty(), describe(v));
}

BOOST_AUTO_TEST_CASE(base_rejects_nil_ids) {
  auto v = check_base([](auto& x) {
    x.event_id = es::uuid{};
    x.game_id = es::uuid{};
  });
  BOOST_TEST(describe(v) ==
             "/event_id: expected a non-nil UUID, found the nil UUID; "
             "/game_id: expected a non-nil UUID, found the nil UUID");
}

BOOST_AUTO_TEST_CASE(base_rejects_bad_guild_ids) {
  for (auto bad : {"", "abc", "123456789012345678901", " 1"}) {
    auto v = check_base([&](auto& x) { x.guild_id = bad; });
    BOOST_TEST(paths(v) == "/guild_id", bad);
  }
  auto v = check_base([](auto& x) { x.guild_id = "12a"; });
  BOOST_TEST(describe(v) ==
             R"(/guild_id: expected a Discord id (1-20 decimal digits), )"
             R"(found "12a")");
}

BOOST_AUTO_TEST_CASE(base_rejects_round_zero_and_beyond_limit) {
  auto v = check_base([](auto& x) { x.round = 0; });
  BOOST_TEST(describe(v) == "/round: expected a value in [1, 1000], found 0");
  BOOST_TEST(paths(check_base([](auto& x) { x.round = -3; })) == "/round");
  BOOST_TEST(paths(check_base([](auto& x) { x.round = 1001; })) == "/round");
}

BOOST_AUTO_TEST_CASE(base_rejects_absurd_timestamps) {
  auto ctx = context();
  auto v =
      check_base([&](auto& x) { x.at = ctx.now + ctx.max_future + 1us; }, ctx);
  BOOST_TEST(describe(v) == "/at: expected at most "
                            "2026-01-16T12:01:00.123456Z (clock skew bound), "
                            "found 2026-01-16T12:01:00.123457Z");
  v = check_base([&](auto& x) { x.at = ctx.now - ctx.max_past - 1us; }, ctx);
  BOOST_TEST(paths(v) == "/at");
  v = check_base([](auto& x) { x.at = es::timestamp{}; }); // 1970
  BOOST_TEST(paths(v) == "/at");
  v = check_base([](auto& x) { x.at = es::timestamp_max; });
  BOOST_TEST(paths(v) == "/at");
}

BOOST_AUTO_TEST_CASE(base_rejects_unnamed_mode) {
  auto v = check_base([](auto& x) { x.game_mode = static_cast<g::mode>(9); });
  BOOST_TEST(describe(v) == R"(/mode: expected one of ["standard", )"
                            R"("two_player", "knockout", "race"], found )"
                            "value 9");
}

BOOST_AUTO_TEST_CASE(base_reports_every_violation) {
  auto v = check_base([](auto& x) {
    x.game_id = es::uuid{};
    x.guild_id = "x";
    x.round = 0;
    x.at = es::timestamp{};
  });
  BOOST_TEST(paths(v) == "/game_id /guild_id /round /at");
  auto err = v.to_error("GameStarted");
  BOOST_TEST((err == es::ec::invalid_event));
}

// -- game lifecycle -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(game_created) {
  using T = g::game_created;
  BOOST_TEST(paths_of<T>([](T& x) { x.channel_id = "#general"; }) ==
             "/channel_id");
  BOOST_TEST(paths_of<T>([](T& x) { x.created_by = ""; }) == "/created_by");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.max_players = 0;
               x.max_rounds = 1001;
               x.word_length = 1;
               x.max_guesses = 0;
             }) == "/max_players /max_rounds /word_length /max_guesses");
  BOOST_TEST(paths_of<T>([](T& x) { x.variation_id = es::uuid{}; }) ==
             "/variation_id");
  BOOST_TEST(paths_of<T>([](T& x) { x.variation_id.reset(); }) == "");
  auto v = check<T>([](T& x) { x.word_length = 33; });
  BOOST_TEST(describe(v) ==
             "/word_length: expected a value in [2, 32], found 33");
}

BOOST_AUTO_TEST_CASE(game_started) {
  using T = g::game_started;
  BOOST_TEST(paths_of<T>([](T& x) { x.player_ids.clear(); }) == "/player_ids");
  BOOST_TEST(paths_of<T>([](T& x) { x.player_ids[1] = "b"; }) ==
             "/player_ids/1");
  auto v = check<T>([](T& x) { x.player_ids.push_back(es::test::player_a); });
  BOOST_TEST(describe(v) ==
             R"(/player_ids/3: duplicate id "111111111111111111")");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_ids.push_back(es::uuid{}); }) ==
             "/team_ids/2");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_ids.push_back(x.team_ids[0]); }) ==
             "/team_ids/2");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_ids.clear(); }) == "");
  auto ctx = context();
  ctx.max_list_size = 2;
  v = check<T>([](T&) {}, ctx);
  BOOST_TEST(describe(v) == "/player_ids: expected 1-2 elements, found 3");
}

BOOST_AUTO_TEST_CASE(game_mode_changed) {
  using T = g::game_mode_changed;
  auto v = check<T>([](T& x) { x.previous_mode = g::mode::standard; });
  BOOST_TEST(describe(v) == "/new_mode: expected a mode other than "
                            R"(previous_mode, found "standard" in both)");
  v = check<T>([](T& x) { x.game_mode = g::mode::race; });
  BOOST_TEST(describe(v) ==
             R"(/mode: expected the new mode "standard", found "race")");
  BOOST_TEST(paths_of<T>([](T& x) { x.changed_by = "me"; }) == "/changed_by");
}

BOOST_AUTO_TEST_CASE(game_paused_and_resumed) {
  BOOST_TEST(paths_of<g::game_paused>([](auto& x) { x.paused_by = "1.5"; }) ==
             "/paused_by");
  BOOST_TEST(paths_of<g::game_paused>([](auto& x) { x.reason = ""; }) ==
             "/reason");
  BOOST_TEST(paths_of<g::game_paused>([](auto& x) { x.reason.reset(); }) == "");
  auto v =
      check<g::game_paused>([](auto& x) { x.reason = std::string(2001, 'x'); });
  BOOST_TEST(describe(v) == "/reason: expected at most 2000 bytes, found 2001");
  BOOST_TEST(paths_of<g::game_resumed>([](auto& x) { x.paused_ms = -1; }) ==
             "/paused_ms");
  BOOST_TEST(paths_of<g::game_resumed>([](auto& x) { x.resumed_by = ""; }) ==
             "/resumed_by");
}

BOOST_AUTO_TEST_CASE(game_completed) {
  using T = g::game_completed;
  BOOST_TEST(paths_of<T>([](T& x) { x.standings[1].score = -1; }) ==
             "/standings/1/score");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.standings[1].team_id = es::test::team_red;
             }) == "/standings/1/team_id");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.winner_team_id = es::test::team_blue;
             }) == "/winner_team_id");
  BOOST_TEST(paths_of<T>([](T& x) { x.standings.clear(); }) ==
             "/winner_team_id");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.winner_team_id.reset();
               x.standings.clear();
             }) == "");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.rounds_played = -1;
               x.duration_ms = -1;
             }) == "/rounds_played /duration_ms");
}

BOOST_AUTO_TEST_CASE(game_cancelled) {
  using T = g::game_cancelled;
  BOOST_TEST(paths_of<T>([](T& x) { x.cancelled_by.reset(); }) ==
             "/cancelled_by");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.cancelled_by.reset();
               x.reason = g::cancel_reason::inactivity;
               x.detail.reset();
             }) == "");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.reason = g::cancel_reason::error;
               x.detail.reset();
             }) == "/detail");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.reason = static_cast<g::cancel_reason>(7);
             }) == "/reason");
}

// -- players and teams --------------------------------------------------------

BOOST_AUTO_TEST_CASE(player_joined) {
  using T = g::player_joined;
  auto v = check<T>([](T& x) { x.display_name.clear(); });
  BOOST_TEST(describe(v) ==
             R"(/display_name: expected a non-empty text, found "")");
  v = check<T>([](T& x) { x.display_name = std::string(101, 'a'); });
  BOOST_TEST(describe(v) ==
             "/display_name: expected at most 100 bytes, found 101");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.player_id = "";
               x.team_id = es::uuid{};
             }) == "/player_id /team_id");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_id.reset(); }) == "");
}

BOOST_AUTO_TEST_CASE(player_joined_v1) {
  using T = g::v1::player_joined;
  BOOST_TEST(paths_of<T>([](T& x) { x.player_id = "Ann"; }) == "/player_id");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_id = es::uuid{}; }) == "/team_id");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_id.reset(); }) == "");
}

BOOST_AUTO_TEST_CASE(player_left) {
  using T = g::player_left;
  BOOST_TEST(paths_of<T>([](T& x) { x.kicked_by.reset(); }) == "/kicked_by");
  auto v = check<T>([](T& x) { x.reason = g::leave_reason::left; });
  BOOST_TEST(describe(v) == R"(/kicked_by: expected none when reason is )"
                            R"("left", found "111111111111111111")");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.reason = g::leave_reason::timed_out;
               x.kicked_by.reset();
             }) == "");
  BOOST_TEST(paths_of<T>([](T& x) { x.player_id = "x"; }) == "/player_id");
}

BOOST_AUTO_TEST_CASE(player_status_changed) {
  using T = g::player_status_changed;
  BOOST_TEST(paths_of<T>([](T& x) { x.status = x.previous_status; }) ==
             "/status");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.previous_status = g::player_status::eliminated;
             }) == "/previous_status");
  BOOST_TEST(
      paths_of<T>([](T& x) { x.status = g::player_status::eliminated; }) == "");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.status = static_cast<g::player_status>(4);
             }) == "/status");
}

BOOST_AUTO_TEST_CASE(team_created) {
  using T = g::team_created;
  BOOST_TEST(paths_of<T>([](T& x) { x.team_id = es::uuid{}; }) == "/team_id");
  BOOST_TEST(paths_of<T>([](T& x) { x.name.clear(); }) == "/name");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.members.clear();
               x.captain_id.reset();
             }) == "/members");
  BOOST_TEST(paths_of<T>([](T& x) { x.members[1] = x.members[0]; }) ==
             "/members/1");
  auto v = check<T>([](T& x) { x.captain_id = es::test::player_c; });
  BOOST_TEST(describe(v) == R"(/captain_id: expected one of the members, )"
                            R"(found "111111111111111113")");
  BOOST_TEST(paths_of<T>([](T& x) { x.captain_id.reset(); }) == "");
}

BOOST_AUTO_TEST_CASE(team_members_added_removed_disbanded) {
  BOOST_TEST(paths_of<g::team_member_added>([](auto& x) {
               x.team_id = es::uuid{};
               x.player_id = "";
               x.added_by = "";
             }) == "/team_id /player_id /added_by");
  BOOST_TEST(paths_of<g::team_member_added>(
                 [](auto& x) { x.added_by.reset(); }) == "");
  BOOST_TEST(paths_of<g::team_member_removed>([](auto& x) {
               x.team_id = es::uuid{};
               x.player_id = "";
               x.removed_by = "";
             }) == "/team_id /player_id /removed_by");
  BOOST_TEST(paths_of<g::team_disbanded>([](auto& x) {
               x.team_id = es::uuid{};
               x.reason = "";
             }) == "/team_id /reason");
  BOOST_TEST(paths_of<g::team_disbanded>([](auto& x) { x.reason.reset(); }) ==
             "");
}

// -- rounds -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(round_started) {
  using T = g::round_started;
  auto v = check<T>([](T& x) { x.round.reset(); });
  BOOST_TEST(describe(v) ==
             "/round: expected a round number in RoundStarted, found none");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.word_length = 0;
               x.max_guesses = 101;
               x.time_limit_ms = 0;
             }) == "/word_length /max_guesses /time_limit_ms");
  BOOST_TEST(paths_of<T>([](T& x) { x.time_limit_ms.reset(); }) == "");
}

BOOST_AUTO_TEST_CASE(round_ended) {
  using T = g::round_ended;
  BOOST_TEST(paths_of<T>([](T& x) { x.round.reset(); }) == "/round");
  BOOST_TEST(paths_of<T>([](T& x) { x.results[1].score = 1'000'001; }) ==
             "/results/1/score");
  BOOST_TEST(paths_of<T>([](T& x) { x.results[0].guesses = -1; }) ==
             "/results/0/guesses");
  BOOST_TEST(paths_of<T>([](T& x) { x.target_word = "two words"; }) ==
             "/target_word");
  BOOST_TEST(paths_of<T>([](T& x) { x.target_word = ""; }) == "/target_word");
  BOOST_TEST(paths_of<T>([](T& x) { x.target_word = "caf\xc3\xa9"; }) == "");
  BOOST_TEST(paths_of<T>([](T& x) { x.results[0].solved = false; }) ==
             "/results");
  auto v = check<T>([](T& x) { x.reason = g::round_end_reason::skipped; });
  BOOST_TEST(describe(v) == R"(/reason: expected "solved" since a team )"
                            R"(solved the word, found "skipped")");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.reason = g::round_end_reason::time_expired;
               x.results[0].solved = false;
             }) == "");
}

BOOST_AUTO_TEST_CASE(round_ended_v1) {
  using T = g::v1::round_ended;
  BOOST_TEST(paths_of<T>([](T& x) {
               x.round.reset();
               x.winner_id = "Ann";
               x.total_guesses = -1;
               x.target_word = "";
             }) == "/round /winner_id /total_guesses /target_word");
  BOOST_TEST(paths_of<T>([](T& x) { x.winner_id.reset(); }) == "");
}

BOOST_AUTO_TEST_CASE(guess_processed) {
  using T = g::guess_processed;
  BOOST_TEST(paths_of<T>([](T& x) { x.round.reset(); }) == "/round");
  BOOST_TEST(paths_of<T>([](T& x) { x.guess = std::string(33, 'a'); }) ==
             "/guess");
  BOOST_TEST(paths_of<T>([](T& x) { x.guess_number = 0; }) == "/guess_number");
  BOOST_TEST(paths_of<T>([](T& x) { x.matched_letters = 6; }) ==
             "/matched_letters");
  auto v = check<T>([](T& x) { x.correct = true; });
  BOOST_TEST(describe(v) == "/matched_letters: expected all 5 letters of a "
                            "correct guess, found 4");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.correct = true;
               x.matched_letters = 5;
             }) == "");
  BOOST_TEST(paths_of<T>([](T& x) { x.points = -5; }) == "/points");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_id = es::uuid{}; }) == "/team_id");
}

BOOST_AUTO_TEST_CASE(guess_abandoned) {
  using T = g::guess_abandoned;
  BOOST_TEST(paths_of<T>([](T& x) {
               x.round.reset();
               x.player_id = "";
               x.guess_number = 0;
               x.guess = "";
             }) == "/round /player_id /guess_number /guess");
  BOOST_TEST(paths_of<T>([](T& x) { x.guess.reset(); }) == "");
}

// -- mode-specific ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pair_guess_result) {
  using T = g::pair_guess_result;
  auto v = check<T>([](T& x) { x.partner_id = x.player_id; });
  BOOST_TEST(describe(v) == "/partner_id: expected an id other than "
                            R"(player_id, found "111111111111111111" in both)");
  BOOST_TEST(paths_of<T>([](T& x) { x.pair_correct = 6; }) == "/pair_correct");
  BOOST_TEST(paths_of<T>([](T& x) { x.pair_correct = 0; }) == "/pair_correct");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.pair_correct = 0;
               x.correct = false;
             }) == "");
  BOOST_TEST(paths_of<T>([](T& x) { x.shared_target = 0; }) ==
             "/shared_target /pair_correct");
  BOOST_TEST(paths_of<T>([](T& x) { x.guess = "a b"; }) == "/guess");
}

BOOST_AUTO_TEST_CASE(two_player_target_reached) {
  using T = g::two_player_target_reached;
  auto v = check<T>([](T& x) { x.pair_correct = 4; });
  BOOST_TEST(describe(v) ==
             "/pair_correct: expected the shared target 5, found 4");
  BOOST_TEST(paths_of<T>([](T& x) { x.total_guesses = 4; }) ==
             "/total_guesses");
  BOOST_TEST(paths_of<T>([](T& x) { x.partner_id = x.player_id; }) ==
             "/partner_id");
}

BOOST_AUTO_TEST_CASE(player_eliminated) {
  using T = g::player_eliminated;
  auto v = check<T>([](T& x) { x.placement = 1; });
  BOOST_TEST(describe(v) ==
             "/placement: expected a value in [2, 100], found 1");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.player_id = "";
               x.team_id = es::uuid{};
               x.detail = "";
               x.final_score = -1;
             }) == "/player_id /team_id /detail /final_score");
  BOOST_TEST(paths_of<T>([](T& x) { x.game_mode = g::mode::race; }) == "/mode");
}

BOOST_AUTO_TEST_CASE(team_eliminated) {
  using T = g::team_eliminated;
  auto v = check<T>([](T& x) { x.placement = 3; });
  BOOST_TEST(describe(v) ==
             "/placement: expected remaining_teams + 1 = 2, found 3");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.remaining_teams = 0;
               x.placement = 1;
             }) == "/remaining_teams");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_id = es::uuid{}; }) == "/team_id");
}

BOOST_AUTO_TEST_CASE(race_time_expired) {
  using T = g::race_time_expired;
  auto v = check<T>([](T& x) { x.elapsed_ms = 299'999; });
  BOOST_TEST(describe(v) == "/elapsed_ms: expected at least time_limit_ms "
                            "(300000), found 299999");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.time_limit_ms = 0;
               x.elapsed_ms = 0;
             }) == "/time_limit_ms");
  BOOST_TEST(paths_of<T>([](T& x) { x.leading_team_id = es::uuid{}; }) ==
             "/leading_team_id");
}

BOOST_AUTO_TEST_CASE(team_progress_updated) {
  using T = g::team_progress_updated;
  BOOST_TEST(paths_of<T>([](T& x) { x.words_solved = 9; }) == "/words_solved");
  BOOST_TEST(paths_of<T>([](T& x) { x.progress_percent = 101; }) ==
             "/progress_percent");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.target_words = 0;
               x.words_solved = 0;
             }) == "/target_words");
  BOOST_TEST(paths_of<T>([](T& x) { x.team_id = es::uuid{}; }) == "/team_id");
}

BOOST_AUTO_TEST_CASE(race_match_counted) {
  using T = g::race_match_counted;
  BOOST_TEST(paths_of<T>([](T& x) {
               x.team_id = es::uuid{};
               x.player_id = "";
               x.word = "";
               x.match_count = 0;
             }) == "/team_id /player_id /word /match_count");
}

// -- errors and recovery ------------------------------------------------------

BOOST_AUTO_TEST_CASE(game_error) {
  using T = g::game_error;
  auto v = check<T>([](T& x) { x.recovery_hint.reset(); });
  BOOST_TEST(describe(v) == "/recovery_hint: expected a hint for a "
                            "recoverable error, found none");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.recovery_hint.reset();
               x.recoverable = false;
             }) == "");
  BOOST_TEST(paths_of<T>([](T& x) { x.context = ""; }) == "/context");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.kind = static_cast<g::error_kind>(6);
             }) == "/kind");
}

BOOST_AUTO_TEST_CASE(recovery_started_and_completed) {
  BOOST_TEST(paths_of<g::recovery_started>([](auto& x) {
               x.error_event_id = es::uuid{};
               x.attempt = 0;
             }) == "/error_event_id /attempt");
  BOOST_TEST(paths_of<g::recovery_completed>(
                 [](auto& x) { x.succeeded = false; }) == "/detail");
  BOOST_TEST(paths_of<g::recovery_completed>([](auto& x) {
               x.succeeded = false;
               x.detail = "snapshot corrupt";
             }) == "");
  BOOST_TEST(paths_of<g::recovery_completed>([](auto& x) {
               x.error_event_id = es::uuid{};
               x.events_replayed = -1;
               x.duration_ms = -1;
             }) == "/error_event_id /events_replayed /duration_ms");
}

BOOST_AUTO_TEST_CASE(round_check_failed) {
  using T = g::round_check_failed;
  BOOST_TEST(paths_of<T>([](T& x) { x.round.reset(); }) == "/round");
  BOOST_TEST(paths_of<T>([](T& x) { x.check = "Guess Count"; }) == "/check");
  BOOST_TEST(paths_of<T>([](T& x) { x.actual = x.expected; }) == "/actual");
  BOOST_TEST(paths_of<T>([](T& x) { x.expected = std::string(2001, '1'); }) ==
             "/expected");
  BOOST_TEST(paths_of<T>([](T& x) { x.expected = ""; }) == "");
}

// -- configuration ------------------------------------------------------------

BOOST_AUTO_TEST_CASE(game_config_changed) {
  using T = g::game_config_changed;
  BOOST_TEST(paths_of<T>([](T& x) { x.config_version = 0; }) ==
             "/config_version");
  BOOST_TEST(paths_of<T>([](T& x) { x.changes.clear(); }) == "/changes");
  auto v = check<T>([](T& x) { x.changes["a/b~c"] = "1"; });
  BOOST_TEST(describe(v) == "/changes/a~1b~0c: expected a key of 1-100 "
                            R"(characters [a-z0-9_.], found "a/b~c")");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.changes["motd"] = std::string(2001, 'x');
             }) == "/changes/motd");
  BOOST_TEST(paths_of<T>([](T& x) { x.changed_by = ""; }) == "/changed_by");
}

BOOST_AUTO_TEST_CASE(custom_variation_created) {
  using T = g::custom_variation_created;
  BOOST_TEST(paths_of<T>([](T& x) {
               x.variation_id = es::uuid{};
               x.name = "";
               x.created_by = "";
               x.description = "";
             }) == "/variation_id /name /created_by /description");
  BOOST_TEST(paths_of<T>([](T& x) { x.settings[""] = "1"; }) == "/settings/");
  BOOST_TEST(paths_of<T>([](T& x) { x.base_mode = static_cast<g::mode>(4); }) ==
             "/base_mode");
  BOOST_TEST(paths_of<T>([](T& x) {
               x.settings.clear();
               x.description.reset();
             }) == "");
}

BOOST_AUTO_TEST_SUITE_END()
