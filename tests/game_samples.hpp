// Valid sample values of every game event, shared by the messages and
// registry suites: each `sample<T>()` passes `validate_base`, `validate` and
// the mode plugins of its mode, so a test changes one field and expects
// exactly that field's violation. Also `for_each_type`, which calls a
// generic lambda with a `T*` (null) for every T of a `game::type_list`.
#pragma once

#include "messages/game_events.hpp"
#include "messages/time.hpp"
#include "messages/uuid.hpp"

#include <string>
#include <type_traits>
#include <utility>

namespace es::test {

inline uuid fixed_id(const char* text) {
  return *uuid::parse(text);
}

inline timestamp sample_time() {
  return *parse_iso8601("2026-01-15T12:00:00.123456Z");
}

inline const std::string guild = "222222222222222222";
inline const std::string channel = "333333333333333333";
inline const std::string player_a = "111111111111111111";
inline const std::string player_b = "111111111111111112";
inline const std::string player_c = "111111111111111113";
inline const uuid game_id = fixed_id("0190b5a4-7c1e-7a3b-8f00-00000000000a");
inline const uuid event_id = fixed_id("0190b5a4-7c1e-7a3b-8f00-00000000000e");
inline const uuid team_red = fixed_id("0190b5a4-7c1e-7a3b-8f00-0000000000f1");
inline const uuid team_blue = fixed_id("0190b5a4-7c1e-7a3b-8f00-0000000000f2");
inline const uuid variation = fixed_id("0190b5a4-7c1e-7a3b-8f00-0000000000c1");
inline const uuid error_id = fixed_id("0190b5a4-7c1e-7a3b-8f00-0000000000e1");

template<class T, class = void>
struct has_required_mode : std::false_type {};
template<class T>
struct has_required_mode<T, std::void_t<decltype(T::required_mode)>>
    : std::true_type {};

template<class... Ts, class F>
void for_each_type(game::type_list<Ts...>, F&& f) {
  (f(static_cast<Ts*>(nullptr)), ...);
}

inline void fill(game::game_created& x) {
  x.channel_id = channel;
  x.created_by = player_a;
  x.max_players = 8;
  x.max_rounds = 5;
  x.word_length = 5;
  x.max_guesses = 6;
  x.variation_id = variation;
}

inline void fill(game::game_started& x) {
  x.started_by = player_a;
  x.player_ids = {player_a, player_b, player_c};
  x.team_ids = {team_red, team_blue};
}

inline void fill(game::game_mode_changed& x) {
  x.previous_mode = game::mode::race;
  x.new_mode = game::mode::standard;
  x.changed_by = player_a;
}

inline void fill(game::game_paused& x) {
  x.paused_by = player_a;
  x.reason = "dinner";
}

inline void fill(game::game_resumed& x) {
  x.resumed_by = player_a;
  x.paused_ms = 90'000;
}

inline void fill(game::game_completed& x) {
  x.winner_team_id = team_red;
  x.standings = {{team_red, 120, 14, true}, {team_blue, 80, 20, false}};
  x.rounds_played = 5;
  x.duration_ms = 1'800'000;
}

inline void fill(game::game_cancelled& x) {
  x.cancelled_by = player_a;
  x.reason = game::cancel_reason::host_cancelled;
  x.detail = "wrong channel";
}

inline void fill(game::player_joined& x) {
  x.player_id = player_b;
  x.display_name = "Ann";
  x.team_id = team_red;
  x.rejoin = true;
}

inline void fill(game::player_left& x) {
  x.player_id = player_b;
  x.reason = game::leave_reason::kicked;
  x.kicked_by = player_a;
}

inline void fill(game::player_status_changed& x) {
  x.player_id = player_b;
  x.previous_status = game::player_status::active;
  x.status = game::player_status::idle;
}

inline void fill(game::team_created& x) {
  x.team_id = team_red;
  x.name = "Red Foxes";
  x.members = {player_a, player_b};
  x.captain_id = player_a;
}

inline void fill(game::team_member_added& x) {
  x.team_id = team_red;
  x.player_id = player_c;
  x.added_by = player_a;
}

inline void fill(game::team_member_removed& x) {
  x.team_id = team_red;
  x.player_id = player_c;
  x.removed_by = player_a;
}

inline void fill(game::team_disbanded& x) {
  x.team_id = team_blue;
  x.reason = "not enough players";
}

inline void fill(game::round_started& x) {
  x.word_length = 5;
  x.max_guesses = 6;
  x.time_limit_ms = 120'000;
}

inline void fill(game::round_ended& x) {
  x.reason = game::round_end_reason::solved;
  x.target_word = "crane";
  x.results = {{team_red, 50, 4, true}, {team_blue, 0, 6, false}};
}

inline void fill(game::guess_processed& x) {
  x.player_id = player_b;
  x.team_id = team_red;
  x.guess = "crate";
  x.guess_number = 2;
  x.correct = false;
  x.matched_letters = 4;
  x.points = 10;
}

inline void fill(game::guess_abandoned& x) {
  x.player_id = player_c;
  x.guess_number = 3;
  x.reason = game::abandon_reason::timed_out;
  x.guess = "cr";
}

inline void fill(game::pair_guess_result& x) {
  x.player_id = player_a;
  x.partner_id = player_b;
  x.guess = "crane";
  x.correct = true;
  x.pair_correct = 3;
  x.shared_target = 5;
}

inline void fill(game::two_player_target_reached& x) {
  x.player_id = player_a;
  x.partner_id = player_b;
  x.pair_correct = 5;
  x.shared_target = 5;
  x.total_guesses = 12;
}

inline void fill(game::player_eliminated& x) {
  x.player_id = player_c;
  x.team_id = team_blue;
  x.reason = game::elimination_reason::lowest_score;
  x.detail = "lowest score in round 3";
  x.placement = 3;
  x.final_score = 40;
}

inline void fill(game::team_eliminated& x) {
  x.team_id = team_blue;
  x.reason = game::elimination_reason::out_of_guesses;
  x.placement = 2;
  x.remaining_teams = 1;
}

inline void fill(game::race_time_expired& x) {
  x.time_limit_ms = 300'000;
  x.elapsed_ms = 300'250;
  x.leading_team_id = team_red;
}

inline void fill(game::team_progress_updated& x) {
  x.team_id = team_red;
  x.words_solved = 3;
  x.target_words = 8;
  x.progress_percent = 37;
}

inline void fill(game::race_match_counted& x) {
  x.team_id = team_red;
  x.player_id = player_b;
  x.word = "crane";
  x.match_count = 4;
}

inline void fill(game::game_error& x) {
  x.kind = game::error_kind::word_list;
  x.context = "fetching word list: HTTP 503";
  x.recovery_hint = "retry in a minute";
  x.recoverable = true;
}

inline void fill(game::recovery_started& x) {
  x.error_event_id = error_id;
  x.strategy = game::recovery_strategy::restore_snapshot;
  x.attempt = 1;
}

inline void fill(game::recovery_completed& x) {
  x.error_event_id = error_id;
  x.succeeded = true;
  x.events_replayed = 42;
  x.duration_ms = 1500;
}

inline void fill(game::round_check_failed& x) {
  x.check = "guess_count";
  x.expected = "6";
  x.actual = "7";
}

inline void fill(game::game_config_changed& x) {
  x.config_version = 4;
  x.changed_by = player_a;
  x.changes = {{"round_time_ms", "90000"}, {"word_list", "en.hard"}};
}

inline void fill(game::custom_variation_created& x) {
  x.variation_id = variation;
  x.name = "Speed Five";
  x.base_mode = game::mode::race;
  x.created_by = player_a;
  x.settings = {{"word_length", "5"}};
  x.description = "five-letter race";
}

inline void fill(game::v1::player_joined& x) {
  x.player_id = player_b;
  x.team_id = team_red;
}

inline void fill(game::v1::round_ended& x) {
  x.winner_id = player_b;
  x.total_guesses = 9;
  x.target_word = "crane";
}

/// A valid `T` in round 3 of a game in guild `guild`, in `T::required_mode`
/// or else standard mode.
template<class T>
T sample() {
  T x;
  x.event_id = event_id;
  x.game_id = game_id;
  x.guild_id = guild;
  if constexpr (has_required_mode<T>::value)
    x.game_mode = T::required_mode;
  x.round = 3;
  x.at = sample_time();
  fill(x);
  return x;
}

} // namespace es::test
