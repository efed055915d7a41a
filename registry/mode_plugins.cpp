#include "registry/mode_plugins.hpp"

#include <string>

namespace es::registry {

namespace {

using namespace game;

/// How late a race timer may fire.
constexpr int64_t max_timer_overrun_ms = 60'000;

void exactly(violations& out, const char* path, size_t n, size_t expected,
             const char* what) {
  if (n != expected)
    out.add(path, std::string{"two_player: expected exactly "} +
                      std::to_string(expected) + " " + what + ", found " +
                      std::to_string(n));
}

template<class T>
void elimination(violations& out, const T& x) {
  if (!x.round)
    out.add("/round", std::string{"knockout: expected the round of the "} +
                          T::event_type + ", found none");
  if (x.reason == elimination_reason::other && !x.detail)
    out.add("/detail", "knockout: expected a detail when reason is "
                       "\"other\", found none");
}

} // namespace

void check_two_player(const event_base&, const event_view& view,
                      const validation_context&, violations& out) {
  if (auto x = view.as<team_created>())
    exactly(out, "/members", x->members.size(), 2, "members");
  else if (auto y = view.as<game_started>())
    exactly(out, "/player_ids", y->player_ids.size(), 2, "players");
  else if (auto z = view.as<game_created>(); z && z->max_players != 2)
    out.add("/max_players",
            "two_player: expected 2, found " + std::to_string(z->max_players));
  else if (auto w = view.as<round_ended>(); w && w->results.size() > 1)
    out.add("/results", "two_player: expected at most 1 team result, found " +
                            std::to_string(w->results.size()));
}

void check_knockout(const event_base&, const event_view& view,
                    const validation_context&, violations& out) {
  if (auto x = view.as<player_eliminated>())
    elimination(out, *x);
  else if (auto y = view.as<team_eliminated>())
    elimination(out, *y);
  else if (auto z = view.as<game_completed>(); z && !z->winner_team_id)
    out.add("/winner_team_id",
            "knockout: expected the last team standing, found none");
}

void check_race(const event_base&, const event_view& view,
                const validation_context&, violations& out) {
  if (auto x = view.as<round_started>(); x && !x->time_limit_ms) {
    out.add("/time_limit_ms", "race: expected a time limit, found none");
  } else if (auto y = view.as<team_progress_updated>()) {
    if (y->target_words <= 0)
      return; // the type's validator reports it
    auto expected = int64_t{y->words_solved} * 100 / y->target_words;
    if (y->progress_percent != expected)
      out.add("/progress_percent",
              "race: expected " + std::to_string(expected) + " (" +
                  std::to_string(y->words_solved) + " of " +
                  std::to_string(y->target_words) + " words), found " +
                  std::to_string(y->progress_percent));
  } else if (auto z = view.as<race_time_expired>()) {
    if (z->time_limit_ms < 0 || z->time_limit_ms > limits::max_duration_ms)
      return; // the type's validator reports it
    if (z->elapsed_ms > z->time_limit_ms + max_timer_overrun_ms)
      out.add("/elapsed_ms",
              "race: expected at most " +
                  std::to_string(z->time_limit_ms + max_timer_overrun_ms) +
                  " (a minute past the limit), found " +
                  std::to_string(z->elapsed_ms));
  }
}

void check_no_elimination(const event_base& base, const event_view& view,
                          const validation_context&, violations& out) {
  if (auto x = view.as<player_status_changed>();
      x && x->status == player_status::eliminated)
    out.add("/status",
            std::string{"expected no eliminations in mode \""} +
                (name_of(base.game_mode) ? name_of(base.game_mode) : "?") +
                "\" (knockout only), found \"eliminated\"");
}

std::vector<std::pair<mode, mode_check>> builtin_mode_plugins() {
  return {
      {mode::standard, check_no_elimination},
      {mode::two_player, check_two_player},
      {mode::two_player, check_no_elimination},
      {mode::knockout, check_knockout},
      {mode::race, check_race},
      {mode::race, check_no_elimination},
  };
}

} // namespace es::registry
