#include "registry/game_validators.hpp"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace es::registry {

namespace {

using namespace game;

// -- message helpers ----------------------------------------------------------

std::string quote(std::string_view x) {
  constexpr size_t max_shown = 40;
  std::string result = "\"";
  for (char c : x.substr(0, max_shown)) {
    if (static_cast<unsigned char>(c) < 0x20)
      result += '?';
    else
      result += c;
  }
  result += x.size() > max_shown ? "\"..." : "\"";
  return result;
}

template<class E>
std::string quote_enum(E x) {
  auto name = name_of(x);
  return name ? quote(name) : "value " + std::to_string(static_cast<int>(x));
}

std::string escape_pointer(std::string_view key) {
  std::string result;
  for (char c : key) {
    if (c == '~')
      result += "~0";
    else if (c == '/')
      result += "~1";
    else
      result += c;
  }
  return result;
}

// All guesses of one team in one round.
constexpr int64_t max_round_guesses =
    int64_t{limits::max_guesses} * limits::max_players;

std::string at_index(std::string_view path, size_t i) {
  return std::string{path} + "/" + std::to_string(i);
}

// -- field checks -------------------------------------------------------------

void id(violations& out, std::string_view path, const uuid& x) {
  if (x.nil())
    out.add(std::string{path}, "expected a non-nil UUID, found the nil UUID");
}

void id(violations& out, std::string_view path, const std::optional<uuid>& x) {
  if (x)
    id(out, path, *x);
}

void snowflake(violations& out, std::string_view path, const std::string& x) {
  if (!is_snowflake(x))
    out.add(std::string{path},
            "expected a Discord id (1-20 decimal digits), found " + quote(x));
}

void snowflake(violations& out, std::string_view path,
               const std::optional<std::string>& x) {
  if (x)
    snowflake(out, path, *x);
}

// Non-empty free text of at most `max` bytes.
void text(violations& out, std::string_view path, const std::string& x,
          size_t max) {
  if (x.empty())
    out.add(std::string{path}, "expected a non-empty text, found \"\"");
  else if (x.size() > max)
    out.add(std::string{path}, "expected at most " + std::to_string(max) +
                                   " bytes, found " + std::to_string(x.size()));
}

void text(violations& out, std::string_view path, const std::string& x,
          const validation_context& ctx) {
  text(out, path, x, ctx.max_text_bytes);
}

void text(violations& out, std::string_view path,
          const std::optional<std::string>& x, const validation_context& ctx) {
  if (x)
    text(out, path, *x, ctx);
}

// A display name: non-empty, short.
void name(violations& out, std::string_view path, const std::string& x,
          const validation_context& ctx) {
  text(out, path, x, std::min(ctx.max_text_bytes, limits::max_name_bytes));
}

// The number of characters (UTF-8 code points) in `x`.
int64_t letters(std::string_view x) {
  return std::count_if(x.begin(), x.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
}

// A word: 1 to max_word_length letters, no spaces or control characters.
void word(violations& out, std::string_view path, const std::string& x) {
  auto n = letters(x);
  if (n < 1 || n > limits::max_word_length) {
    out.add(std::string{path},
            "expected a word of 1-" + std::to_string(limits::max_word_length) +
                " letters, found " + std::to_string(n) + " letters");
    return;
  }
  for (char c : x) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      out.add(std::string{path},
              "expected a single word without spaces or control "
              "characters, found " +
                  quote(x));
      return;
    }
  }
}

// A machine name (config key, check name): [a-z0-9_.], 1-100 bytes.
void key(violations& out, std::string_view path, std::string_view x) {
  bool ok = !x.empty() && x.size() <= limits::max_name_bytes &&
            std::all_of(x.begin(), x.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '_' || c == '.';
            });
  if (!ok)
    out.add(std::string{path}, "expected a key of 1-" +
                                   std::to_string(limits::max_name_bytes) +
                                   " characters [a-z0-9_.], found " + quote(x));
}

void range(violations& out, std::string_view path, int64_t x, int64_t min,
           int64_t max) {
  if (x < min || x > max)
    out.add(std::string{path}, "expected a value in [" + std::to_string(min) +
                                   ", " + std::to_string(max) + "], found " +
                                   std::to_string(x));
}

template<class E>
void named(violations& out, std::string_view path, E x) {
  if (name_of(x) != nullptr)
    return;
  std::string msg = "expected one of [";
  bool first = true;
  for (const auto& entry : enum_names(x)) {
    if (!first)
      msg += ", ";
    first = false;
    msg += quote(entry.second);
  }
  out.add(std::string{path}, msg + "], found " + quote_enum(x));
}

bool list_size(violations& out, std::string_view path, size_t n,
               const validation_context& ctx, size_t min = 0) {
  if (n < min || n > ctx.max_list_size) {
    out.add(std::string{path}, "expected " + std::to_string(min) + "-" +
                                   std::to_string(ctx.max_list_size) +
                                   " elements, found " + std::to_string(n));
    return false;
  }
  return true;
}

void snowflakes(violations& out, std::string_view path,
                const std::vector<std::string>& xs,
                const validation_context& ctx, size_t min) {
  if (!list_size(out, path, xs.size(), ctx, min))
    return;
  std::set<std::string_view> seen;
  for (size_t i = 0; i < xs.size(); ++i) {
    snowflake(out, at_index(path, i), xs[i]);
    if (!seen.insert(xs[i]).second)
      out.add(at_index(path, i), "duplicate id " + quote(xs[i]));
  }
}

void ids(violations& out, std::string_view path, const std::vector<uuid>& xs,
         const validation_context& ctx) {
  if (!list_size(out, path, xs.size(), ctx))
    return;
  std::set<uuid> seen;
  for (size_t i = 0; i < xs.size(); ++i) {
    id(out, at_index(path, i), xs[i]);
    if (!seen.insert(xs[i]).second)
      out.add(at_index(path, i), "duplicate id " + to_string(xs[i]));
  }
}

void results(violations& out, std::string_view path,
             const std::vector<team_result>& xs, int64_t max_guesses,
             const validation_context& ctx) {
  if (!list_size(out, path, xs.size(), ctx))
    return;
  std::set<uuid> seen;
  for (size_t i = 0; i < xs.size(); ++i) {
    auto elem = at_index(path, i);
    id(out, elem + "/team_id", xs[i].team_id);
    if (!seen.insert(xs[i].team_id).second)
      out.add(elem + "/team_id", "duplicate team " + to_string(xs[i].team_id));
    range(out, elem + "/score", xs[i].score, 0, limits::max_score);
    range(out, elem + "/guesses", xs[i].guesses, 0, max_guesses);
  }
}

void settings(violations& out, std::string_view path,
              const std::map<std::string, std::string>& xs,
              const validation_context& ctx, size_t min) {
  if (!list_size(out, path, xs.size(), ctx, min))
    return;
  for (const auto& [k, v] : xs) {
    auto elem = std::string{path} + "/" + escape_pointer(k);
    key(out, elem, k);
    if (v.size() > ctx.max_text_bytes)
      out.add(elem, "expected at most " + std::to_string(ctx.max_text_bytes) +
                        " bytes, found " + std::to_string(v.size()));
  }
}

void round_required(violations& out, const event_base& x,
                    const char* event_type) {
  if (!x.round)
    out.add("/round", std::string{"expected a round number in "} + event_type +
                          ", found none");
}

template<class T>
void mode_required(violations& out, const T& x) {
  if (x.game_mode != T::required_mode)
    out.add("/mode", std::string{T::event_type} + " expected mode " +
                         quote_enum(T::required_mode) + ", found " +
                         quote_enum(x.game_mode));
}

void differ(violations& out, std::string_view path, const std::string& x,
            std::string_view other_field, const std::string& other) {
  if (x == other)
    out.add(std::string{path}, "expected an id other than " +
                                   std::string{other_field} + ", found " +
                                   quote(x) + " in both");
}

std::string iso(timestamp t) {
  return t >= timestamp_min && t <= timestamp_max ? to_iso8601(t)
                                                  : "(out of range)";
}

} // namespace

// -- base ---------------------------------------------------------------------

void validate_base(const event_base& x, const validation_context& ctx,
                   violations& out) {
  id(out, "/event_id", x.event_id);
  id(out, "/game_id", x.game_id);
  snowflake(out, "/guild_id", x.guild_id);
  named(out, "/mode", x.game_mode);
  if (x.round)
    range(out, "/round", *x.round, 1, limits::max_rounds);
  auto latest = ctx.now + ctx.max_future;
  auto earliest = ctx.now - ctx.max_past;
  if (x.at > latest)
    out.add("/at", "expected at most " + iso(latest) +
                       " (clock skew bound), found " + iso(x.at));
  else if (x.at < earliest)
    out.add("/at",
            "expected at least " + iso(earliest) + ", found " + iso(x.at));
}

// -- game lifecycle -----------------------------------------------------------

void validate(const game_created& x, const validation_context&,
              violations& out) {
  snowflake(out, "/channel_id", x.channel_id);
  snowflake(out, "/created_by", x.created_by);
  range(out, "/max_players", x.max_players, 1, limits::max_players);
  range(out, "/max_rounds", x.max_rounds, 1, limits::max_rounds);
  range(out, "/word_length", x.word_length, limits::min_word_length,
        limits::max_word_length);
  range(out, "/max_guesses", x.max_guesses, 1, limits::max_guesses);
  id(out, "/variation_id", x.variation_id);
}

void validate(const game_started& x, const validation_context& ctx,
              violations& out) {
  snowflake(out, "/started_by", x.started_by);
  snowflakes(out, "/player_ids", x.player_ids, ctx, 1);
  ids(out, "/team_ids", x.team_ids, ctx);
}

void validate(const game_mode_changed& x, const validation_context&,
              violations& out) {
  named(out, "/previous_mode", x.previous_mode);
  named(out, "/new_mode", x.new_mode);
  snowflake(out, "/changed_by", x.changed_by);
  if (x.previous_mode == x.new_mode)
    out.add("/new_mode", "expected a mode other than previous_mode, found " +
                             quote_enum(x.new_mode) + " in both");
  if (x.game_mode != x.new_mode)
    out.add("/mode", "expected the new mode " + quote_enum(x.new_mode) +
                         ", found " + quote_enum(x.game_mode));
}

void validate(const game_paused& x, const validation_context& ctx,
              violations& out) {
  snowflake(out, "/paused_by", x.paused_by);
  text(out, "/reason", x.reason, ctx);
}

void validate(const game_resumed& x, const validation_context&,
              violations& out) {
  snowflake(out, "/resumed_by", x.resumed_by);
  range(out, "/paused_ms", x.paused_ms, 0, limits::max_duration_ms);
}

void validate(const game_completed& x, const validation_context& ctx,
              violations& out) {
  id(out, "/winner_team_id", x.winner_team_id);
  results(out, "/standings", x.standings, limits::max_score, ctx);
  range(out, "/rounds_played", x.rounds_played, 0, limits::max_rounds);
  if (x.duration_ms < 0)
    out.add("/duration_ms",
            "expected at least 0, found " + std::to_string(x.duration_ms));
  if (x.winner_team_id &&
      (x.standings.empty() || x.standings[0].team_id != *x.winner_team_id))
    out.add("/winner_team_id",
            "expected the first team of the standings, found " +
                to_string(*x.winner_team_id));
}

void validate(const game_cancelled& x, const validation_context& ctx,
              violations& out) {
  snowflake(out, "/cancelled_by", x.cancelled_by);
  named(out, "/reason", x.reason);
  text(out, "/detail", x.detail, ctx);
  if (x.reason == cancel_reason::host_cancelled && !x.cancelled_by)
    out.add("/cancelled_by",
            "expected the host's id when reason is \"host_cancelled\", "
            "found none");
  if (x.reason == cancel_reason::error && !x.detail)
    out.add("/detail", "expected a detail when reason is \"error\", found "
                       "none");
}

// -- players and teams --------------------------------------------------------

void validate(const game::player_joined& x, const validation_context& ctx,
              violations& out) {
  snowflake(out, "/player_id", x.player_id);
  name(out, "/display_name", x.display_name, ctx);
  id(out, "/team_id", x.team_id);
}

void validate(const player_left& x, const validation_context&,
              violations& out) {
  snowflake(out, "/player_id", x.player_id);
  named(out, "/reason", x.reason);
  snowflake(out, "/kicked_by", x.kicked_by);
  if (x.reason == leave_reason::kicked && !x.kicked_by)
    out.add("/kicked_by",
            "expected the kicking user's id when reason is \"kicked\", "
            "found none");
  else if (x.reason != leave_reason::kicked && x.kicked_by)
    out.add("/kicked_by", "expected none when reason is " +
                              quote_enum(x.reason) + ", found " +
                              quote(*x.kicked_by));
}

void validate(const player_status_changed& x, const validation_context&,
              violations& out) {
  snowflake(out, "/player_id", x.player_id);
  named(out, "/previous_status", x.previous_status);
  named(out, "/status", x.status);
  if (x.previous_status == x.status)
    out.add("/status", "expected a status other than previous_status, found " +
                           quote_enum(x.status) + " in both");
  if (x.previous_status == player_status::eliminated)
    out.add("/previous_status",
            "expected a status other than \"eliminated\" (it is final), found "
            "\"eliminated\"");
}

void validate(const team_created& x, const validation_context& ctx,
              violations& out) {
  id(out, "/team_id", x.team_id);
  name(out, "/name", x.name, ctx);
  snowflakes(out, "/members", x.members, ctx, 1);
  snowflake(out, "/captain_id", x.captain_id);
  if (x.captain_id && std::find(x.members.begin(), x.members.end(),
                                *x.captain_id) == x.members.end())
    out.add("/captain_id",
            "expected one of the members, found " + quote(*x.captain_id));
}

void validate(const team_member_added& x, const validation_context&,
              violations& out) {
  id(out, "/team_id", x.team_id);
  snowflake(out, "/player_id", x.player_id);
  snowflake(out, "/added_by", x.added_by);
}

void validate(const team_member_removed& x, const validation_context&,
              violations& out) {
  id(out, "/team_id", x.team_id);
  snowflake(out, "/player_id", x.player_id);
  snowflake(out, "/removed_by", x.removed_by);
}

void validate(const team_disbanded& x, const validation_context& ctx,
              violations& out) {
  id(out, "/team_id", x.team_id);
  text(out, "/reason", x.reason, ctx);
}

// -- rounds -------------------------------------------------------------------

void validate(const round_started& x, const validation_context&,
              violations& out) {
  round_required(out, x, round_started::event_type);
  range(out, "/word_length", x.word_length, limits::min_word_length,
        limits::max_word_length);
  range(out, "/max_guesses", x.max_guesses, 1, limits::max_guesses);
  if (x.time_limit_ms)
    range(out, "/time_limit_ms", *x.time_limit_ms, 1, limits::max_duration_ms);
}

void validate(const game::round_ended& x, const validation_context& ctx,
              violations& out) {
  round_required(out, x, game::round_ended::event_type);
  named(out, "/reason", x.reason);
  word(out, "/target_word", x.target_word);
  results(out, "/results", x.results, max_round_guesses, ctx);
  bool any_solved = std::any_of(x.results.begin(), x.results.end(),
                                [](const team_result& r) { return r.solved; });
  if (x.reason == round_end_reason::solved && !any_solved)
    out.add("/results",
            "expected a solved team when reason is \"solved\", found none");
  else if (x.reason != round_end_reason::solved && any_solved)
    out.add("/reason",
            "expected \"solved\" since a team solved the word, found " +
                quote_enum(x.reason));
}

void validate(const guess_processed& x, const validation_context&,
              violations& out) {
  round_required(out, x, guess_processed::event_type);
  snowflake(out, "/player_id", x.player_id);
  id(out, "/team_id", x.team_id);
  word(out, "/guess", x.guess);
  range(out, "/guess_number", x.guess_number, 1, limits::max_guesses);
  auto n = letters(x.guess);
  range(out, "/matched_letters", x.matched_letters, 0, n);
  if (x.correct && x.matched_letters != n)
    out.add("/matched_letters", "expected all " + std::to_string(n) +
                                    " letters of a correct guess, found " +
                                    std::to_string(x.matched_letters));
  range(out, "/points", x.points, 0, limits::max_score);
}

void validate(const guess_abandoned& x, const validation_context& ctx,
              violations& out) {
  round_required(out, x, guess_abandoned::event_type);
  snowflake(out, "/player_id", x.player_id);
  range(out, "/guess_number", x.guess_number, 1, limits::max_guesses);
  named(out, "/reason", x.reason);
  text(out, "/guess", x.guess, ctx);
}

// -- two-player mode ----------------------------------------------------------

void validate(const pair_guess_result& x, const validation_context&,
              violations& out) {
  mode_required(out, x);
  snowflake(out, "/player_id", x.player_id);
  snowflake(out, "/partner_id", x.partner_id);
  differ(out, "/partner_id", x.partner_id, "player_id", x.player_id);
  word(out, "/guess", x.guess);
  range(out, "/shared_target", x.shared_target, 1, limits::max_score);
  range(out, "/pair_correct", x.pair_correct, x.correct ? 1 : 0,
        std::max(x.shared_target, 1));
}

void validate(const two_player_target_reached& x, const validation_context&,
              violations& out) {
  mode_required(out, x);
  snowflake(out, "/player_id", x.player_id);
  snowflake(out, "/partner_id", x.partner_id);
  differ(out, "/partner_id", x.partner_id, "player_id", x.player_id);
  range(out, "/shared_target", x.shared_target, 1, limits::max_score);
  if (x.pair_correct != x.shared_target)
    out.add("/pair_correct", "expected the shared target " +
                                 std::to_string(x.shared_target) + ", found " +
                                 std::to_string(x.pair_correct));
  if (x.total_guesses < x.pair_correct)
    out.add("/total_guesses", "expected at least pair_correct (" +
                                  std::to_string(x.pair_correct) + "), found " +
                                  std::to_string(x.total_guesses));
}

// -- knockout mode ------------------------------------------------------------

void validate(const player_eliminated& x, const validation_context& ctx,
              violations& out) {
  mode_required(out, x);
  snowflake(out, "/player_id", x.player_id);
  id(out, "/team_id", x.team_id);
  named(out, "/reason", x.reason);
  text(out, "/detail", x.detail, ctx);
  // The winner is never eliminated: placements start at 2.
  range(out, "/placement", x.placement, 2, limits::max_players);
  range(out, "/final_score", x.final_score, 0, limits::max_score);
}

void validate(const team_eliminated& x, const validation_context& ctx,
              violations& out) {
  mode_required(out, x);
  id(out, "/team_id", x.team_id);
  named(out, "/reason", x.reason);
  text(out, "/detail", x.detail, ctx);
  range(out, "/remaining_teams", x.remaining_teams, 1,
        static_cast<int64_t>(ctx.max_list_size));
  if (static_cast<int64_t>(x.placement) != int64_t{x.remaining_teams} + 1)
    out.add("/placement", "expected remaining_teams + 1 = " +
                              std::to_string(int64_t{x.remaining_teams} + 1) +
                              ", found " + std::to_string(x.placement));
}

// -- race mode ----------------------------------------------------------------

void validate(const race_time_expired& x, const validation_context&,
              violations& out) {
  mode_required(out, x);
  range(out, "/time_limit_ms", x.time_limit_ms, 1, limits::max_duration_ms);
  if (x.elapsed_ms < x.time_limit_ms)
    out.add("/elapsed_ms", "expected at least time_limit_ms (" +
                               std::to_string(x.time_limit_ms) + "), found " +
                               std::to_string(x.elapsed_ms));
  id(out, "/leading_team_id", x.leading_team_id);
}

void validate(const team_progress_updated& x, const validation_context&,
              violations& out) {
  mode_required(out, x);
  id(out, "/team_id", x.team_id);
  range(out, "/target_words", x.target_words, 1, limits::max_score);
  range(out, "/words_solved", x.words_solved, 0, std::max(x.target_words, 0));
  range(out, "/progress_percent", x.progress_percent, 0, 100);
}

void validate(const race_match_counted& x, const validation_context&,
              violations& out) {
  mode_required(out, x);
  id(out, "/team_id", x.team_id);
  snowflake(out, "/player_id", x.player_id);
  word(out, "/word", x.word);
  range(out, "/match_count", x.match_count, 1, limits::max_score);
}

// -- errors and recovery ------------------------------------------------------

void validate(const game_error& x, const validation_context& ctx,
              violations& out) {
  named(out, "/kind", x.kind);
  text(out, "/context", x.context, ctx);
  text(out, "/recovery_hint", x.recovery_hint, ctx);
  if (x.recoverable && !x.recovery_hint)
    out.add("/recovery_hint",
            "expected a hint for a recoverable error, found none");
}

void validate(const recovery_started& x, const validation_context&,
              violations& out) {
  id(out, "/error_event_id", x.error_event_id);
  named(out, "/strategy", x.strategy);
  range(out, "/attempt", x.attempt, 1, limits::max_guesses);
}

void validate(const recovery_completed& x, const validation_context& ctx,
              violations& out) {
  id(out, "/error_event_id", x.error_event_id);
  if (x.events_replayed < 0)
    out.add("/events_replayed",
            "expected at least 0, found " + std::to_string(x.events_replayed));
  range(out, "/duration_ms", x.duration_ms, 0, limits::max_duration_ms);
  text(out, "/detail", x.detail, ctx);
  if (!x.succeeded && !x.detail)
    out.add("/detail", "expected a detail for a failed recovery, found none");
}

void validate(const round_check_failed& x, const validation_context& ctx,
              violations& out) {
  round_required(out, x, round_check_failed::event_type);
  key(out, "/check", x.check);
  if (x.expected.size() > ctx.max_text_bytes)
    text(out, "/expected", x.expected, ctx);
  if (x.actual.size() > ctx.max_text_bytes)
    text(out, "/actual", x.actual, ctx);
  if (x.expected == x.actual)
    out.add("/actual", "expected a value other than expected (a failed "
                       "check), found " +
                           quote(x.actual) + " in both");
}

// -- configuration ------------------------------------------------------------

void validate(const game_config_changed& x, const validation_context& ctx,
              violations& out) {
  if (x.config_version < 1)
    out.add("/config_version",
            "expected at least 1, found " + std::to_string(x.config_version));
  snowflake(out, "/changed_by", x.changed_by);
  settings(out, "/changes", x.changes, ctx, 1);
}

void validate(const custom_variation_created& x, const validation_context& ctx,
              violations& out) {
  id(out, "/variation_id", x.variation_id);
  name(out, "/name", x.name, ctx);
  named(out, "/base_mode", x.base_mode);
  snowflake(out, "/created_by", x.created_by);
  settings(out, "/settings", x.settings, ctx, 0);
  text(out, "/description", x.description, ctx);
}

// -- legacy shapes ------------------------------------------------------------

void validate(const v1::player_joined& x, const validation_context&,
              violations& out) {
  snowflake(out, "/player_id", x.player_id);
  id(out, "/team_id", x.team_id);
}

void validate(const v1::round_ended& x, const validation_context&,
              violations& out) {
  round_required(out, x, v1::round_ended::event_type);
  snowflake(out, "/winner_id", x.winner_id);
  if (x.total_guesses < 0)
    out.add("/total_guesses",
            "expected at least 0, found " + std::to_string(x.total_guesses));
  word(out, "/target_word", x.target_word);
}

} // namespace es::registry
