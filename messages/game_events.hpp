// The game's events: what happened in a game of GameBot, the Discord
// word-guessing bot, as typed values with their JSON form.
//
// Every event derives from `event_base` (which game, which guild, the mode it
// is played in, the round it belongs to, when it happened) and declares its
// type name and schema version for the registry:
//
//   static constexpr const char* event_type = "PlayerJoined";
//   static constexpr int32_t event_version = 2;
//
// Its `fields` writes the base's fields first and then its own into one flat
// JSON object, e.g. {"event_id":...,"game_id":...,"mode":"standard",
// "at":...,"player_id":"1234","display_name":"Ann","rejoin":false}. Events
// that only make sense in one mode also declare `required_mode`; the
// validators (registry/game_validators.hpp) reject them in any other mode.
//
// Compatibility: field names and enum names are the stored format. A change
// that old readers cannot ignore (removing or retyping a field) needs a new
// `event_version`; the old shape then moves to namespace `v1` (or `v2`...),
// where the registry upcasts it. `all_events` and `legacy_events` list every
// type so the registry and the tests can cover all of them.
//
// Ids: `uuid` for ids this system makes (games, teams, events, variations);
// strings of 1-20 digits for Discord ids (players, guilds, channels). Scores
// and counts are int32, durations int64 milliseconds. Plain data; no
// invariants are enforced here (that is the validators' job).
#pragma once

#include "messages/game.hpp"
#include "messages/time.hpp"
#include "messages/uuid.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace es::game {

/// The fields every game event has.
struct event_base {
  uuid event_id = uuid::v7();
  uuid game_id;
  /// Absent for games played in direct messages.
  std::optional<std::string> guild_id;
  mode game_mode = mode::standard;
  /// The round the event belongs to (1-based); absent outside rounds.
  std::optional<int32_t> round;
  timestamp at = now_utc();
};

template<class F>
bool fields(F& f, event_base& x) {
  return f("event_id", x.event_id) && f("game_id", x.game_id) &&
         f("guild_id", x.guild_id) && f("mode", x.game_mode) &&
         f("round", x.round) && f("at", x.at);
}

/// The stream that holds a game's events: "game-<uuid>".
std::string stream_id(const uuid& game_id);

// -- game lifecycle -----------------------------------------------------------

/// A host set up a game in a channel; players may join from now on.
struct game_created : event_base {
  static constexpr const char* event_type = "GameCreated";
  static constexpr int32_t event_version = 1;
  std::string channel_id;
  std::string created_by;
  int32_t max_players = 0;
  int32_t max_rounds = 0;
  int32_t word_length = 0;
  int32_t max_guesses = 0;
  /// The custom variation the game plays, if any.
  std::optional<uuid> variation_id;
};

template<class F>
bool fields(F& f, game_created& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("channel_id", x.channel_id) && f("created_by", x.created_by) &&
         f("max_players", x.max_players) && f("max_rounds", x.max_rounds) &&
         f("word_length", x.word_length) && f("max_guesses", x.max_guesses) &&
         f("variation_id", x.variation_id);
}

/// The host started the game with these players and teams.
struct game_started : event_base {
  static constexpr const char* event_type = "GameStarted";
  static constexpr int32_t event_version = 1;
  std::string started_by;
  std::vector<std::string> player_ids;
  std::vector<uuid> team_ids;
};

template<class F>
bool fields(F& f, game_started& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("started_by", x.started_by) && f("player_ids", x.player_ids) &&
         f("team_ids", x.team_ids);
}

/// The game switched modes; the base's `mode` is already the new one.
struct game_mode_changed : event_base {
  static constexpr const char* event_type = "GameModeChanged";
  static constexpr int32_t event_version = 1;
  mode previous_mode = mode::standard;
  mode new_mode = mode::standard;
  std::string changed_by;
};

template<class F>
bool fields(F& f, game_mode_changed& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("previous_mode", x.previous_mode) && f("new_mode", x.new_mode) &&
         f("changed_by", x.changed_by);
}

/// Play is suspended; guesses are not accepted until GameResumed.
struct game_paused : event_base {
  static constexpr const char* event_type = "GamePaused";
  static constexpr int32_t event_version = 1;
  std::string paused_by;
  std::optional<std::string> reason;
};

template<class F>
bool fields(F& f, game_paused& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("paused_by", x.paused_by) && f("reason", x.reason);
}

/// Play continues after a pause of `paused_ms` milliseconds.
struct game_resumed : event_base {
  static constexpr const char* event_type = "GameResumed";
  static constexpr int32_t event_version = 1;
  std::string resumed_by;
  int64_t paused_ms = 0;
};

template<class F>
bool fields(F& f, game_resumed& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("resumed_by", x.resumed_by) && f("paused_ms", x.paused_ms);
}

/// The game ended normally with these final standings (best first).
struct game_completed : event_base {
  static constexpr const char* event_type = "GameCompleted";
  static constexpr int32_t event_version = 1;
  /// Absent for a draw or when nobody solved anything.
  std::optional<uuid> winner_team_id;
  std::vector<team_result> standings;
  int32_t rounds_played = 0;
  int64_t duration_ms = 0;
};

template<class F>
bool fields(F& f, game_completed& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("winner_team_id", x.winner_team_id) && f("standings", x.standings) &&
         f("rounds_played", x.rounds_played) && f("duration_ms", x.duration_ms);
}

/// The game ended without a result.
struct game_cancelled : event_base {
  static constexpr const char* event_type = "GameCancelled";
  static constexpr int32_t event_version = 1;
  /// Absent when the bot itself cancelled (inactivity, error).
  std::optional<std::string> cancelled_by;
  cancel_reason reason = cancel_reason::host_cancelled;
  std::optional<std::string> detail;
};

template<class F>
bool fields(F& f, game_cancelled& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("cancelled_by", x.cancelled_by) && f("reason", x.reason) &&
         f("detail", x.detail);
}

// -- players and teams --------------------------------------------------------

/// A Discord user joined the game (version 2: with their display name).
struct player_joined : event_base {
  static constexpr const char* event_type = "PlayerJoined";
  static constexpr int32_t event_version = 2;
  std::string player_id;
  std::string display_name;
  std::optional<uuid> team_id;
  /// True when the player had left this game before.
  bool rejoin = false;
};

template<class F>
bool fields(F& f, player_joined& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("display_name", x.display_name) &&
         f("team_id", x.team_id) && f("rejoin", x.rejoin);
}

/// A player left, was kicked or timed out.
struct player_left : event_base {
  static constexpr const char* event_type = "PlayerLeft";
  static constexpr int32_t event_version = 1;
  std::string player_id;
  leave_reason reason = leave_reason::left;
  /// Present exactly when `reason` is `kicked`.
  std::optional<std::string> kicked_by;
};

template<class F>
bool fields(F& f, player_left& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("reason", x.reason) &&
         f("kicked_by", x.kicked_by);
}

/// A player's presence changed (active, idle, disconnected, eliminated).
struct player_status_changed : event_base {
  static constexpr const char* event_type = "PlayerStatusChanged";
  static constexpr int32_t event_version = 1;
  std::string player_id;
  player_status previous_status = player_status::active;
  player_status status = player_status::active;
};

template<class F>
bool fields(F& f, player_status_changed& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) &&
         f("previous_status", x.previous_status) && f("status", x.status);
}

/// A team was formed with these members.
struct team_created : event_base {
  static constexpr const char* event_type = "TeamCreated";
  static constexpr int32_t event_version = 1;
  uuid team_id;
  std::string name;
  std::vector<std::string> members;
  /// One of `members`, when the team has a captain.
  std::optional<std::string> captain_id;
};

template<class F>
bool fields(F& f, team_created& x) {
  return fields(f, static_cast<event_base&>(x)) && f("team_id", x.team_id) &&
         f("name", x.name) && f("members", x.members) &&
         f("captain_id", x.captain_id);
}

/// A player joined a team.
struct team_member_added : event_base {
  static constexpr const char* event_type = "TeamMemberAdded";
  static constexpr int32_t event_version = 1;
  uuid team_id;
  std::string player_id;
  std::optional<std::string> added_by;
};

template<class F>
bool fields(F& f, team_member_added& x) {
  return fields(f, static_cast<event_base&>(x)) && f("team_id", x.team_id) &&
         f("player_id", x.player_id) && f("added_by", x.added_by);
}

/// A player left a team (but not necessarily the game).
struct team_member_removed : event_base {
  static constexpr const char* event_type = "TeamMemberRemoved";
  static constexpr int32_t event_version = 1;
  uuid team_id;
  std::string player_id;
  std::optional<std::string> removed_by;
};

template<class F>
bool fields(F& f, team_member_removed& x) {
  return fields(f, static_cast<event_base&>(x)) && f("team_id", x.team_id) &&
         f("player_id", x.player_id) && f("removed_by", x.removed_by);
}

/// A team no longer exists; its members are teamless.
struct team_disbanded : event_base {
  static constexpr const char* event_type = "TeamDisbanded";
  static constexpr int32_t event_version = 1;
  uuid team_id;
  std::optional<std::string> reason;
};

template<class F>
bool fields(F& f, team_disbanded& x) {
  return fields(f, static_cast<event_base&>(x)) && f("team_id", x.team_id) &&
         f("reason", x.reason);
}

// -- rounds -------------------------------------------------------------------

/// A round began: a hidden word of `word_length` letters is to be guessed.
struct round_started : event_base {
  static constexpr const char* event_type = "RoundStarted";
  static constexpr int32_t event_version = 1;
  int32_t word_length = 0;
  int32_t max_guesses = 0;
  /// Absent for untimed rounds.
  std::optional<int64_t> time_limit_ms;
};

template<class F>
bool fields(F& f, round_started& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("word_length", x.word_length) && f("max_guesses", x.max_guesses) &&
         f("time_limit_ms", x.time_limit_ms);
}

/// A round ended; the word is revealed (version 2: per-team results).
struct round_ended : event_base {
  static constexpr const char* event_type = "RoundEnded";
  static constexpr int32_t event_version = 2;
  round_end_reason reason = round_end_reason::solved;
  std::string target_word;
  std::vector<team_result> results;
};

template<class F>
bool fields(F& f, round_ended& x) {
  return fields(f, static_cast<event_base&>(x)) && f("reason", x.reason) &&
         f("target_word", x.target_word) && f("results", x.results);
}

/// A guess was checked against the word and scored.
struct guess_processed : event_base {
  static constexpr const char* event_type = "GuessProcessed";
  static constexpr int32_t event_version = 1;
  std::string player_id;
  std::optional<uuid> team_id;
  std::string guess;
  /// 1-based number of this guess within the round.
  int32_t guess_number = 0;
  bool correct = false;
  /// Letters in the right place.
  int32_t matched_letters = 0;
  int32_t points = 0;
};

template<class F>
bool fields(F& f, guess_processed& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("team_id", x.team_id) &&
         f("guess", x.guess) && f("guess_number", x.guess_number) &&
         f("correct", x.correct) && f("matched_letters", x.matched_letters) &&
         f("points", x.points);
}

/// A guess was dropped without being scored.
struct guess_abandoned : event_base {
  static constexpr const char* event_type = "GuessAbandoned";
  static constexpr int32_t event_version = 1;
  std::string player_id;
  int32_t guess_number = 0;
  abandon_reason reason = abandon_reason::timed_out;
  /// The text as far as it was received, if any.
  std::optional<std::string> guess;
};

template<class F>
bool fields(F& f, guess_abandoned& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("guess_number", x.guess_number) &&
         f("reason", x.reason) && f("guess", x.guess);
}

// -- two-player mode ----------------------------------------------------------

/// Two-player: one partner's guess and the pair's count of correct guesses
/// toward their shared target.
struct pair_guess_result : event_base {
  static constexpr const char* event_type = "PairGuessResult";
  static constexpr int32_t event_version = 1;
  static constexpr mode required_mode = mode::two_player;
  std::string player_id;
  std::string partner_id;
  std::string guess;
  bool correct = false;
  /// Correct guesses of the pair so far, this one included.
  int32_t pair_correct = 0;
  int32_t shared_target = 0;
};

template<class F>
bool fields(F& f, pair_guess_result& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("partner_id", x.partner_id) &&
         f("guess", x.guess) && f("correct", x.correct) &&
         f("pair_correct", x.pair_correct) &&
         f("shared_target", x.shared_target);
}

/// Two-player: the pair reached its shared target.
struct two_player_target_reached : event_base {
  static constexpr const char* event_type = "TwoPlayerTargetReached";
  static constexpr int32_t event_version = 1;
  static constexpr mode required_mode = mode::two_player;
  std::string player_id;
  std::string partner_id;
  int32_t pair_correct = 0;
  int32_t shared_target = 0;
  /// All guesses the pair needed, correct or not.
  int32_t total_guesses = 0;
};

template<class F>
bool fields(F& f, two_player_target_reached& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("partner_id", x.partner_id) &&
         f("pair_correct", x.pair_correct) &&
         f("shared_target", x.shared_target) &&
         f("total_guesses", x.total_guesses);
}

// -- knockout mode ------------------------------------------------------------

/// Knockout: a player is out of the game, finishing at `placement`.
struct player_eliminated : event_base {
  static constexpr const char* event_type = "PlayerEliminated";
  static constexpr int32_t event_version = 1;
  static constexpr mode required_mode = mode::knockout;
  std::string player_id;
  std::optional<uuid> team_id;
  elimination_reason reason = elimination_reason::lowest_score;
  std::optional<std::string> detail;
  int32_t placement = 0;
  int32_t final_score = 0;
};

template<class F>
bool fields(F& f, player_eliminated& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("team_id", x.team_id) &&
         f("reason", x.reason) && f("detail", x.detail) &&
         f("placement", x.placement) && f("final_score", x.final_score);
}

/// Knockout: a team is out; `remaining_teams` are still playing.
struct team_eliminated : event_base {
  static constexpr const char* event_type = "TeamEliminated";
  static constexpr int32_t event_version = 1;
  static constexpr mode required_mode = mode::knockout;
  uuid team_id;
  elimination_reason reason = elimination_reason::lowest_score;
  std::optional<std::string> detail;
  /// Always `remaining_teams + 1`.
  int32_t placement = 0;
  int32_t remaining_teams = 0;
};

template<class F>
bool fields(F& f, team_eliminated& x) {
  return fields(f, static_cast<event_base&>(x)) && f("team_id", x.team_id) &&
         f("reason", x.reason) && f("detail", x.detail) &&
         f("placement", x.placement) && f("remaining_teams", x.remaining_teams);
}

// -- race mode ----------------------------------------------------------------

/// Race: the clock ran out; the race is decided.
struct race_time_expired : event_base {
  static constexpr const char* event_type = "RaceTimeExpired";
  static constexpr int32_t event_version = 1;
  static constexpr mode required_mode = mode::race;
  int64_t time_limit_ms = 0;
  /// At least `time_limit_ms` (timers fire late, never early).
  int64_t elapsed_ms = 0;
  std::optional<uuid> leading_team_id;
};

template<class F>
bool fields(F& f, race_time_expired& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("time_limit_ms", x.time_limit_ms) && f("elapsed_ms", x.elapsed_ms) &&
         f("leading_team_id", x.leading_team_id);
}

/// Race: a team's progress toward its target number of words.
struct team_progress_updated : event_base {
  static constexpr const char* event_type = "TeamProgressUpdated";
  static constexpr int32_t event_version = 1;
  static constexpr mode required_mode = mode::race;
  uuid team_id;
  int32_t words_solved = 0;
  int32_t target_words = 0;
  /// floor(100 * words_solved / target_words).
  int32_t progress_percent = 0;
};

template<class F>
bool fields(F& f, team_progress_updated& x) {
  return fields(f, static_cast<event_base&>(x)) && f("team_id", x.team_id) &&
         f("words_solved", x.words_solved) &&
         f("target_words", x.target_words) &&
         f("progress_percent", x.progress_percent);
}

/// Race: a player's word matched; the team's match count went up.
struct race_match_counted : event_base {
  static constexpr const char* event_type = "RaceMatchCounted";
  static constexpr int32_t event_version = 1;
  static constexpr mode required_mode = mode::race;
  uuid team_id;
  std::string player_id;
  std::string word;
  /// The team's matches so far, this one included.
  int32_t match_count = 0;
};

template<class F>
bool fields(F& f, race_match_counted& x) {
  return fields(f, static_cast<event_base&>(x)) && f("team_id", x.team_id) &&
         f("player_id", x.player_id) && f("word", x.word) &&
         f("match_count", x.match_count);
}

// -- errors and recovery ------------------------------------------------------

/// Something went wrong while running the game.
struct game_error : event_base {
  static constexpr const char* event_type = "GameError";
  static constexpr int32_t event_version = 1;
  error_kind kind = error_kind::internal;
  /// What failed, for operators ("fetching word list: HTTP 503").
  std::string context;
  /// What the bot or a host can do; required when `recoverable`.
  std::optional<std::string> recovery_hint;
  bool recoverable = false;
};

template<class F>
bool fields(F& f, game_error& x) {
  return fields(f, static_cast<event_base&>(x)) && f("kind", x.kind) &&
         f("context", x.context) && f("recovery_hint", x.recovery_hint) &&
         f("recoverable", x.recoverable);
}

/// The bot began recovering from the GameError `error_event_id`.
struct recovery_started : event_base {
  static constexpr const char* event_type = "RecoveryStarted";
  static constexpr int32_t event_version = 1;
  uuid error_event_id;
  recovery_strategy strategy = recovery_strategy::replay_stream;
  /// 1 for the first attempt.
  int32_t attempt = 0;
};

template<class F>
bool fields(F& f, recovery_started& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("error_event_id", x.error_event_id) && f("strategy", x.strategy) &&
         f("attempt", x.attempt);
}

/// A recovery finished, successfully or not (then `detail` says why).
struct recovery_completed : event_base {
  static constexpr const char* event_type = "RecoveryCompleted";
  static constexpr int32_t event_version = 1;
  uuid error_event_id;
  bool succeeded = false;
  int64_t events_replayed = 0;
  int64_t duration_ms = 0;
  std::optional<std::string> detail;
};

template<class F>
bool fields(F& f, recovery_completed& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("error_event_id", x.error_event_id) && f("succeeded", x.succeeded) &&
         f("events_replayed", x.events_replayed) &&
         f("duration_ms", x.duration_ms) && f("detail", x.detail);
}

/// A consistency check at the end of a round found a mismatch.
struct round_check_failed : event_base {
  static constexpr const char* event_type = "RoundCheckFailed";
  static constexpr int32_t event_version = 1;
  /// The check's name, e.g. "guess_count".
  std::string check;
  std::string expected;
  std::string actual;
};

template<class F>
bool fields(F& f, round_check_failed& x) {
  return fields(f, static_cast<event_base&>(x)) && f("check", x.check) &&
         f("expected", x.expected) && f("actual", x.actual);
}

// -- configuration ------------------------------------------------------------

/// Settings changed: each changed key with its new value (as text).
struct game_config_changed : event_base {
  static constexpr const char* event_type = "GameConfigChanged";
  static constexpr int32_t event_version = 1;
  /// Increases by one with every change, starting at 1.
  int32_t config_version = 0;
  std::string changed_by;
  std::map<std::string, std::string> changes;
};

template<class F>
bool fields(F& f, game_config_changed& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("config_version", x.config_version) &&
         f("changed_by", x.changed_by) && f("changes", x.changes);
}

/// A host defined a custom variation of a mode with its own settings.
struct custom_variation_created : event_base {
  static constexpr const char* event_type = "CustomVariationCreated";
  static constexpr int32_t event_version = 1;
  uuid variation_id;
  std::string name;
  mode base_mode = mode::standard;
  std::string created_by;
  std::map<std::string, std::string> settings;
  std::optional<std::string> description;
};

template<class F>
bool fields(F& f, custom_variation_created& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("variation_id", x.variation_id) && f("name", x.name) &&
         f("base_mode", x.base_mode) && f("created_by", x.created_by) &&
         f("settings", x.settings) && f("description", x.description);
}

// -- legacy shapes ------------------------------------------------------------

namespace v1 {

/// PlayerJoined version 1: no display name (the registry upcasts it).
struct player_joined : event_base {
  static constexpr const char* event_type = "PlayerJoined";
  static constexpr int32_t event_version = 1;
  std::string player_id;
  std::optional<uuid> team_id;
};

template<class F>
bool fields(F& f, player_joined& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("player_id", x.player_id) && f("team_id", x.team_id);
}

/// RoundEnded version 1: only the winner and totals, no per-team results.
struct round_ended : event_base {
  static constexpr const char* event_type = "RoundEnded";
  static constexpr int32_t event_version = 1;
  /// The player who solved the word; absent when nobody did.
  std::optional<std::string> winner_id;
  int32_t total_guesses = 0;
  std::string target_word;
};

template<class F>
bool fields(F& f, round_ended& x) {
  return fields(f, static_cast<event_base&>(x)) &&
         f("winner_id", x.winner_id) && f("total_guesses", x.total_guesses) &&
         f("target_word", x.target_word);
}

} // namespace v1

// -- lists of types -----------------------------------------------------------

template<class... Ts>
struct type_list {};

/// Every event type in its latest version.
using all_events =
    type_list<game_created, game_started, game_mode_changed, game_paused,
              game_resumed, game_completed, game_cancelled, player_joined,
              player_left, player_status_changed, team_created,
              team_member_added, team_member_removed, team_disbanded,
              round_started, round_ended, guess_processed, guess_abandoned,
              pair_guess_result, two_player_target_reached, player_eliminated,
              team_eliminated, race_time_expired, team_progress_updated,
              race_match_counted, game_error, recovery_started,
              recovery_completed, round_check_failed, game_config_changed,
              custom_variation_created>;

/// Older versions that stored streams may still hold.
using legacy_events = type_list<v1::player_joined, v1::round_ended>;

} // namespace es::game
