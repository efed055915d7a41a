#include "tools/demo/game_script.hpp"

#include "messages/error.hpp"
#include "messages/game_events.hpp"
#include "messages/metadata.hpp"

#include <algorithm>
#include <array>
#include <optional>
#include <random>
#include <utility>

namespace es::demo {

namespace {

constexpr std::array<const char*, 12> words = {
    "crane", "slate", "pious", "lemon", "quart", "mirth",
    "gland", "spoke", "tryst", "vouch", "blimp", "dwarf"};

constexpr std::array<const char*, 8> names = {
    "Ann", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal"};

constexpr const char* channel = "901234567890123456";

struct team {
  uuid id = uuid::v7();
  std::string name;
  std::vector<std::string> members;
  int32_t score = 0;
  int32_t guesses = 0;
};

/// Builds one game's turns; `error` holds the first encoding failure.
class scripter {
public:
  scripter(const game_plan& plan, const registry::catalog& cat)
      : plan_(plan), cat_(cat), rng_(plan.seed), mode_(plan.mode) {}

  caf::expected<std::vector<turn>> run() {
    create();
    join_all();
    start();
    int32_t rounds = 2 + static_cast<int32_t>(plan_.seed % 3);
    bool cancelled = plan_.seed % 13 == 5;
    for (int32_t r = 1; r <= rounds && !error_; ++r) {
      play_round(r);
      between_rounds(r, rounds);
      if (cancelled && r == 2) {
        cancel();
        break;
      }
    }
    if (!cancelled)
      complete(rounds);
    if (error_)
      return std::move(error_);
    return std::move(turns_);
  }

private:
  // -- helpers ----------------------------------------------------------------

  /// A number in [0, n).
  uint32_t draw(size_t n) {
    return std::uniform_int_distribution<uint32_t>{
        0, static_cast<uint32_t>(n - 1)}(rng_);
  }

  std::string player_id(size_t i) const {
    return std::to_string(300000000000000000ULL + plan_.seed % 1000 * 100 + i);
  }

  /// Starts a turn: a user action by `actor`.
  void begin(const std::string& actor) {
    discord_source src{plan_.guild_id, channel, actor, false};
    turn_meta_ = event_metadata::from_discord(src, demo_client);
    turns_.emplace_back();
    first_.reset();
  }

  /// Adds `ev` (its base filled in) to the current turn.
  template<class T>
  void add(T ev, std::optional<int32_t> round = std::nullopt) {
    if (error_)
      return;
    ev.game_id = plan_.game_id;
    ev.guild_id = plan_.guild_id;
    ev.game_mode = mode_;
    ev.round = round;
    ev.at = now_utc();
    auto meta = first_ ? event_metadata::caused_by(*first_, turn_meta_,
                                                   turn_meta_.actor_id)
                       : turn_meta_;
    auto data = cat_.encode(ev, meta);
    if (!data) {
      error_ = make_error(ec::invalid_event,
                          std::string{"demo script: "} + T::event_type + ": "
                              + describe(data.error()));
      return;
    }
    if (!first_)
      first_ = ev.event_id;
    turns_.back().push_back(std::move(*data));
  }

  const std::string& host() const { return players_.front(); }

  // -- the game ---------------------------------------------------------------

  void create() {
    size_t n = mode_ == game::mode::two_player ? 2 : 3 + draw(4);
    for (size_t i = 0; i < n; ++i)
      players_.push_back(player_id(i));
    begin(host());
    game::game_created x;
    x.channel_id = channel;
    x.created_by = host();
    x.max_players = mode_ == game::mode::two_player ? 2 : 8;
    x.max_rounds = 5;
    x.word_length = 5;
    x.max_guesses = 6;
    add(x);
  }

  void join_all() {
    for (size_t i = 0; i < players_.size(); ++i) {
      begin(players_[i]);
      game::player_joined x;
      x.player_id = players_[i];
      x.display_name = std::string{names[i % names.size()]} + " "
                       + std::to_string(plan_.seed % 100);
      add(x);
    }
  }

  void start() {
    begin(host());
    size_t n_teams = mode_ == game::mode::two_player ? 1 : 2;
    for (size_t t = 0; t < n_teams; ++t)
      teams_.push_back(team{uuid::v7(), t == 0 ? "Red Foxes" : "Blue Owls", {}});
    for (size_t i = 0; i < players_.size(); ++i)
      teams_[i % n_teams].members.push_back(players_[i]);
    game::game_started started;
    started.started_by = host();
    started.player_ids = players_;
    for (auto& t : teams_) {
      game::team_created x;
      x.team_id = t.id;
      x.name = t.name;
      x.members = t.members;
      x.captain_id = t.members.front();
      add(x);
      started.team_ids.push_back(t.id);
    }
    add(started);
  }

  void play_round(int32_t r) {
    begin(host());
    game::round_started rs;
    rs.word_length = 5;
    rs.max_guesses = 6;
    rs.time_limit_ms = 120'000;
    add(rs, r);
    auto target = words[draw(words.size())];
    switch (mode_) {
      case game::mode::two_player:
        pair_guesses(r, target);
        break;
      case game::mode::race:
        race_matches(r);
        break;
      default:
        guesses(r, target);
    }
    end_round(r, target);
    if (mode_ == game::mode::knockout)
      knock_out(r);
  }

  void guesses(int32_t r, const char* target) {
    size_t winner = draw(teams_.size());
    int32_t n = 1 + static_cast<int32_t>(draw(4));
    for (int32_t g = 1; g <= n; ++g) {
      bool last = g == n;
      auto& t = teams_[last ? winner : draw(teams_.size())];
      auto& who = t.members[draw(t.members.size())];
      begin(who);
      game::guess_processed x;
      x.player_id = who;
      x.team_id = t.id;
      x.guess = last ? target : words[draw(words.size())];
      x.correct = last || x.guess == target;
      x.guess_number = g;
      x.matched_letters = x.correct ? 5 : static_cast<int32_t>(draw(5));
      x.points = x.correct ? 50 : 5 * x.matched_letters;
      t.score += x.points;
      t.guesses += 1;
      add(x, r);
      if (x.correct)
        break;
    }
    solved_ = &teams_[winner];
  }

  void pair_guesses(int32_t r, const char* target) {
    auto& t = teams_.front();
    const int32_t shared_target = 3;
    pair_correct_ = 0;
    for (int32_t g = 1; pair_correct_ < shared_target && g <= 4; ++g) {
      auto& who = t.members[static_cast<size_t>(g) % 2];
      auto& partner = t.members[static_cast<size_t>(g + 1) % 2];
      begin(who);
      game::pair_guess_result x;
      x.player_id = who;
      x.partner_id = partner;
      x.correct = draw(3) != 0;
      x.guess = x.correct ? target : words[draw(words.size())];
      pair_correct_ += x.correct ? 1 : 0;
      x.pair_correct = pair_correct_;
      x.shared_target = shared_target;
      t.guesses += 1;
      t.score += x.correct ? 30 : 0;
      add(x, r);
      if (pair_correct_ == shared_target) {
        game::two_player_target_reached done;
        done.player_id = who;
        done.partner_id = partner;
        done.pair_correct = shared_target;
        done.shared_target = shared_target;
        done.total_guesses = std::max(t.guesses, shared_target);
        add(done, r);
      }
    }
    solved_ = &t;
  }

  void race_matches(int32_t r) {
    const int32_t target_words = 4;
    std::vector<int32_t> solved(teams_.size(), 0);
    int32_t n = 2 + static_cast<int32_t>(draw(4));
    for (int32_t m = 0; m < n; ++m) {
      size_t ti = draw(teams_.size());
      auto& t = teams_[ti];
      auto& who = t.members[draw(t.members.size())];
      begin(who);
      game::race_match_counted x;
      x.team_id = t.id;
      x.player_id = who;
      x.word = words[draw(words.size())];
      x.match_count = 1 + static_cast<int32_t>(draw(5));
      add(x, r);
      if (solved[ti] < target_words) {
        game::team_progress_updated p;
        p.team_id = t.id;
        p.words_solved = ++solved[ti];
        p.target_words = target_words;
        p.progress_percent = 100 * p.words_solved / target_words;
        add(p, r);
      }
      t.score += 20;
      t.guesses += 1;
    }
    auto lead = std::max_element(solved.begin(), solved.end()) - solved.begin();
    begin(host());
    game::race_time_expired x;
    x.time_limit_ms = 120'000;
    x.elapsed_ms = 120'000 + draw(3000);
    x.leading_team_id = teams_[static_cast<size_t>(lead)].id;
    add(x, r);
    solved_ = &teams_[static_cast<size_t>(lead)];
  }

  void end_round(int32_t r, const char* target) {
    game::round_ended x;
    x.reason = game::round_end_reason::solved;
    x.target_word = target;
    // A two-player round has one result: the pair's.
    for (auto& t : teams_) {
      x.results.push_back(game::team_result{t.id, t.score,
                                            std::min(t.guesses, 6),
                                            &t == solved_});
      if (mode_ == game::mode::two_player)
        break;
    }
    add(x, r);
  }

  void knock_out(int32_t r) {
    // The weakest remaining player of the trailing team leaves the game,
    // as long as every team keeps one player.
    auto& trailing = *std::min_element(
        teams_.begin(), teams_.end(),
        [](const team& x, const team& y) { return x.score < y.score; });
    if (trailing.members.size() < 2)
      return;
    auto out = trailing.members.back();
    trailing.members.pop_back();
    game::player_eliminated x;
    x.player_id = out;
    x.team_id = trailing.id;
    x.reason = game::elimination_reason::lowest_score;
    x.detail = "lowest score in round " + std::to_string(r);
    x.placement = static_cast<int32_t>(players_.size()) - eliminated_++;
    x.final_score = trailing.score / 2;
    add(x, r);
  }

  void between_rounds(int32_t r, int32_t rounds) {
    auto pick = (plan_.seed + static_cast<uint32_t>(r)) % 6;
    if (r == rounds)
      return;
    switch (pick) {
      case 0: {
        begin(host());
        game::game_paused p;
        p.paused_by = host();
        p.reason = "a break";
        add(p);
        begin(host());
        game::game_resumed x;
        x.resumed_by = host();
        x.paused_ms = 30'000 + draw(60'000);
        add(x);
        break;
      }
      case 1: {
        begin(host());
        game::game_error e;
        e.kind = game::error_kind::discord_api;
        e.context = "editing the scoreboard message: HTTP 502";
        e.recovery_hint = "retry";
        e.recoverable = true;
        add(e);
        game::recovery_started s;
        s.error_event_id = e.event_id;
        s.strategy = game::recovery_strategy::replay_stream;
        s.attempt = 1;
        add(s);
        begin(host());
        game::recovery_completed c;
        c.error_event_id = e.event_id;
        c.succeeded = true;
        c.events_replayed = static_cast<int64_t>(turns_.size());
        c.duration_ms = 200 + draw(800);
        add(c);
        break;
      }
      case 2: {
        begin(host());
        game::game_config_changed x;
        x.config_version = r + 1;
        x.changed_by = host();
        x.changes = {{"round_time_ms", std::to_string(60'000 + 30'000 * r)}};
        add(x);
        break;
      }
      case 3: {
        if (mode_ != game::mode::standard && mode_ != game::mode::race)
          break;
        begin(host());
        game::game_mode_changed x;
        x.previous_mode = mode_;
        x.new_mode = mode_ == game::mode::standard ? game::mode::race
                                                   : game::mode::standard;
        x.changed_by = host();
        mode_ = x.new_mode;
        add(x);
        break;
      }
      case 4: {
        auto& who = players_.back();
        begin(who);
        game::player_status_changed idle;
        idle.player_id = who;
        idle.previous_status = game::player_status::active;
        idle.status = game::player_status::idle;
        add(idle);
        begin(who);
        auto back = idle;
        back.event_id = uuid::v7();
        back.previous_status = game::player_status::idle;
        back.status = game::player_status::active;
        add(back);
        break;
      }
      default: {
        // The last player of a team with others left in it leaves.
        for (auto& t : teams_) {
          if (t.members.size() < 2 || mode_ == game::mode::two_player)
            continue;
          auto who = t.members.back();
          t.members.pop_back();
          begin(who);
          game::player_left x;
          x.player_id = who;
          x.reason = game::leave_reason::left;
          add(x);
          break;
        }
      }
    }
  }

  void cancel() {
    begin(host());
    game::game_cancelled x;
    x.cancelled_by = host();
    x.reason = game::cancel_reason::host_cancelled;
    x.detail = "called off by the host";
    add(x);
  }

  void complete(int32_t rounds) {
    begin(host());
    auto ranked = teams_;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const team& x, const team& y) { return x.score > y.score; });
    game::game_completed x;
    x.winner_team_id = ranked.front().id;
    for (auto& t : ranked)
      x.standings.push_back(game::team_result{t.id, t.score,
                                              std::min(t.guesses, 6),
                                              &t == &ranked.front()});
    x.rounds_played = rounds;
    x.duration_ms = 60'000 * rounds + draw(60'000);
    add(x);
  }

  const game_plan& plan_;
  const registry::catalog& cat_;
  std::mt19937 rng_;
  game::mode mode_;
  std::vector<std::string> players_;
  std::vector<team> teams_;
  const team* solved_ = nullptr;
  int32_t pair_correct_ = 0;
  int32_t eliminated_ = 0;
  std::vector<turn> turns_;
  event_metadata turn_meta_;
  std::optional<uuid> first_;
  caf::error error_;
};

} // namespace

std::vector<game_plan> plan_games(size_t games, size_t guilds, uint32_t seed) {
  constexpr std::array modes = {game::mode::standard, game::mode::two_player,
                                game::mode::knockout, game::mode::race};
  std::mt19937 rng{seed};
  std::vector<game_plan> out;
  out.reserve(games);
  for (size_t i = 0; i < games; ++i) {
    game_plan p;
    p.game_id = uuid::v7();
    p.guild_id = std::to_string(800000000000000000ULL + i % std::max<size_t>(guilds, 1));
    p.mode = modes[i % modes.size()];
    p.seed = static_cast<uint32_t>(rng());
    out.push_back(std::move(p));
  }
  return out;
}

caf::expected<std::vector<turn>> script(const game_plan& plan,
                                        const registry::catalog& cat) {
  return scripter{plan, cat}.run();
}

} // namespace es::demo
