// Small value types shared by the game's events: the game modes, player
// states, the reasons and kinds the events name, a team's result in a round,
// the Discord id format and the game's numeric limits.
//
// Every enum names its values for the JSON codec (messages/json.hpp); the
// names are the wire format and must never change (add new values at the
// end, never rename). Discord ids (snowflakes) travel as strings of 1-20
// decimal digits, because they exceed JavaScript's safe integers. Plain data;
// all functions are pure and thread-safe.
#pragma once

#include "messages/uuid.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

namespace es::game {

/// How a game is played. `standard`: teams guess a word each round;
/// `two_player`: two players cooperate toward a shared target of correct
/// guesses; `knockout`: the weakest player or team leaves after each round;
/// `race`: teams solve as many words as they can before time runs out.
enum class mode : uint8_t { standard, two_player, knockout, race };

constexpr auto enum_names(mode) {
  return std::array{std::pair{mode::standard, "standard"},
                    std::pair{mode::two_player, "two_player"},
                    std::pair{mode::knockout, "knockout"},
                    std::pair{mode::race, "race"}};
}

/// A player's presence in a game. `eliminated` is final.
enum class player_status : uint8_t { active, idle, disconnected, eliminated };

constexpr auto enum_names(player_status) {
  return std::array{std::pair{player_status::active, "active"},
                    std::pair{player_status::idle, "idle"},
                    std::pair{player_status::disconnected, "disconnected"},
                    std::pair{player_status::eliminated, "eliminated"}};
}

/// Why a player left a game.
enum class leave_reason : uint8_t { left, kicked, timed_out };

constexpr auto enum_names(leave_reason) {
  return std::array{std::pair{leave_reason::left, "left"},
                    std::pair{leave_reason::kicked, "kicked"},
                    std::pair{leave_reason::timed_out, "timed_out"}};
}

/// Why a game was cancelled before it completed.
enum class cancel_reason : uint8_t {
  host_cancelled,
  not_enough_players,
  inactivity,
  error,
};

constexpr auto enum_names(cancel_reason) {
  return std::array{
      std::pair{cancel_reason::host_cancelled, "host_cancelled"},
      std::pair{cancel_reason::not_enough_players, "not_enough_players"},
      std::pair{cancel_reason::inactivity, "inactivity"},
      std::pair{cancel_reason::error, "error"}};
}

/// Why a round ended.
enum class round_end_reason : uint8_t {
  solved,
  out_of_guesses,
  time_expired,
  skipped,
};

constexpr auto enum_names(round_end_reason) {
  return std::array{
      std::pair{round_end_reason::solved, "solved"},
      std::pair{round_end_reason::out_of_guesses, "out_of_guesses"},
      std::pair{round_end_reason::time_expired, "time_expired"},
      std::pair{round_end_reason::skipped, "skipped"}};
}

/// Why a guess was dropped without being scored.
enum class abandon_reason : uint8_t {
  timed_out,
  invalid_word,
  duplicate,
  rate_limited,
  player_left,
};

constexpr auto enum_names(abandon_reason) {
  return std::array{std::pair{abandon_reason::timed_out, "timed_out"},
                    std::pair{abandon_reason::invalid_word, "invalid_word"},
                    std::pair{abandon_reason::duplicate, "duplicate"},
                    std::pair{abandon_reason::rate_limited, "rate_limited"},
                    std::pair{abandon_reason::player_left, "player_left"}};
}

/// Why a player or team was knocked out. `other` needs a detail text.
enum class elimination_reason : uint8_t {
  lowest_score,
  out_of_guesses,
  timed_out,
  forfeit,
  other,
};

constexpr auto enum_names(elimination_reason) {
  return std::array{
      std::pair{elimination_reason::lowest_score, "lowest_score"},
      std::pair{elimination_reason::out_of_guesses, "out_of_guesses"},
      std::pair{elimination_reason::timed_out, "timed_out"},
      std::pair{elimination_reason::forfeit, "forfeit"},
      std::pair{elimination_reason::other, "other"}};
}

/// What went wrong in a GameError.
enum class error_kind : uint8_t {
  discord_api,
  word_list,
  state_conflict,
  timeout,
  storage,
  internal,
};

constexpr auto enum_names(error_kind) {
  return std::array{std::pair{error_kind::discord_api, "discord_api"},
                    std::pair{error_kind::word_list, "word_list"},
                    std::pair{error_kind::state_conflict, "state_conflict"},
                    std::pair{error_kind::timeout, "timeout"},
                    std::pair{error_kind::storage, "storage"},
                    std::pair{error_kind::internal, "internal"}};
}

/// How the bot tries to recover a game after an error.
enum class recovery_strategy : uint8_t {
  replay_stream,
  restore_snapshot,
  reset_round,
  abort_game,
};

constexpr auto enum_names(recovery_strategy) {
  return std::array{
      std::pair{recovery_strategy::replay_stream, "replay_stream"},
      std::pair{recovery_strategy::restore_snapshot, "restore_snapshot"},
      std::pair{recovery_strategy::reset_round, "reset_round"},
      std::pair{recovery_strategy::abort_game, "abort_game"}};
}

/// The name of `x` as the JSON codec writes it, or nullptr when `x` is not a
/// named value (e.g. a cast out of range).
template<class E>
constexpr const char* name_of(E x) noexcept {
  for (const auto& [value, name] : enum_names(x))
    if (value == x)
      return name;
  return nullptr;
}

/// One team's result in a round (or, summed up, in a game).
struct team_result {
  uuid team_id;
  int32_t score = 0;
  int32_t guesses = 0;
  bool solved = false;
};

template<class F>
bool fields(F& f, team_result& x) {
  return f("team_id", x.team_id) && f("score", x.score) &&
         f("guesses", x.guesses) && f("solved", x.solved);
}

/// True for a Discord id: 1-20 decimal digits.
constexpr bool is_snowflake(std::string_view x) noexcept {
  if (x.empty() || x.size() > 20)
    return false;
  for (char c : x)
    if (c < '0' || c > '9')
      return false;
  return true;
}

/// The game's numeric bounds, shared by the bot and the validators.
namespace limits {

inline constexpr int32_t max_rounds = 1000;
inline constexpr int32_t min_word_length = 2;
inline constexpr int32_t max_word_length = 32;
inline constexpr int32_t max_guesses = 100;
inline constexpr int32_t max_players = 100;
inline constexpr int32_t max_score = 1'000'000;
/// Longest name of a team, variation or check and of a config key, in bytes.
inline constexpr size_t max_name_bytes = 100;
/// A day: the longest a round, a pause or a race may last.
inline constexpr int64_t max_duration_ms = 24LL * 3600 * 1000;

} // namespace limits

} // namespace es::game
