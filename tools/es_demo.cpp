// es-demo: the main job. A simulated GameBot: it starts the event store as
// an actor system (on an embedded PostgreSQL cluster unless given a DSN),
// subscribes the bot's two projections (the live state of every game and a
// leaderboard per guild), and plays many concurrent games across guilds and
// every mode, one actor per game (tools/demo/game_player.hpp), each turn an
// append with the version the game's previous turn left.
//
// While it runs it shows a progress bar (stderr). At the end it waits for
// the projections to catch up and checks each against a fresh replay of the
// store, and prints a summary (stdout) whose last line is exactly
// "projections consistent: yes" or "projections consistent: no" (then the
// exit status is 1). With --linger it keeps running after the games, for
// the console, until SIGINT or SIGTERM; either signal during the games
// stops them early, and the demo still checks and shuts down cleanly.
//
// Options: es-demo --help (the demo's own, and every store option of
// config/es_config.hpp). Exit status: 0 consistent, 1 inconsistent or a
// failure at run time, 2 bad arguments.
#include "actors/game_projections.hpp"
#include "actors/inspector.hpp"
#include "actors/monitoring.hpp"
#include "actors/store.hpp"
#include "config/es_config.hpp"
#include "messages/error.hpp"
#include "messages/json.hpp"
#include "tools/demo/game_player.hpp"
#include "tools/demo/game_script.hpp"
#include "tools/demo/report.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <random>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// es-demo's options, on top of the store's (config/es_config.hpp; every
/// store option works here too, e.g. --store.pool-size 8, --config-file F).
struct demo_config : es::config {
  size_t games = 200;
  size_t guilds = 5;
  caf::timespan duration = std::chrono::seconds{10};
  bool linger = false;
  bool reset = false;
  int64_t seed = -1;

  demo_config() {
    load<caf::io::middleman>(); // the console's inspector is remote
    opt_group{custom_options_, "global"}
        .add(games, "games", "games to play, concurrently (1-100000)")
        .add(guilds, "guilds", "guilds they are played in (1-10000)")
        .add(duration, "duration",
             "spread each game's turns over about this long (0s: as fast "
             "as the store goes)")
        .add(linger, "linger",
             "keep running after the games (for the console) until SIGINT "
             "or SIGTERM")
        .add(reset, "reset", "start from an empty embedded cluster")
        .add(seed, "seed", "the games' random seed (-1: random)")
        .add(console.port, "console-port",
             "same as --console.port (0: any free port)");
  }

  /// Checks the demo's own options; a message naming the first bad one.
  std::optional<std::string> check() const {
    if (games < 1 || games > 100'000)
      return "--games: expected 1-100000, found " + std::to_string(games);
    if (guilds < 1 || guilds > 10'000)
      return "--guilds: expected 1-10000, found " + std::to_string(guilds);
    if (duration.count() < 0)
      return std::string{"--duration: expected at least 0s"};
    if (seed < -1 || seed > int64_t{UINT32_MAX})
      return "--seed: expected -1-4294967295, found " + std::to_string(seed);
    if (reset && !node.dsn.empty())
      return std::string{"--reset: only the embedded cluster is reset; drop "
                         "an external database yourself"};
    return std::nullopt;
  }
};

/// Removes the embedded cluster's data directory, if it is one.
std::optional<std::string> reset_cluster(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code err;
  if (!fs::exists(dir, err))
    return std::nullopt;
  if (!fs::exists(fs::path{dir} / "PG_VERSION", err))
    return "--reset: " + dir
           + " is not a PostgreSQL data directory; not removing it";
  fs::remove_all(dir, err);
  if (err)
    return "--reset: cannot remove " + dir + ": " + err.message();
  return std::nullopt;
}

/// The signals that stop the demo, blocked in every thread (the actor
/// system's threads inherit the mask) and taken with `sigtimedwait`.
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

bool signalled(std::chrono::milliseconds wait) {
  auto set = stop_signals();
  timespec ts{static_cast<time_t>(wait.count() / 1000),
              static_cast<long>(wait.count() % 1000) * 1'000'000};
  return sigtimedwait(&set, nullptr, &ts) > 0;
}

template<class T, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const es::projection_actor& p,
                     Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<T> out{T{}};
  self->request(p, 30s, std::forward<Ts>(xs)...)
      .receive([&](T& x) { out = std::move(x); },
               [&](caf::error& err) { out = std::move(err); });
  return out;
}

/// The global position of the newest event of the bot's games, 0 when
/// there is none.
int64_t head(es::store& store) {
  auto page = store.read_all(es::from_end, 1, es::direction::backward,
                             es::log_filter::category("game"));
  return page && !page->events.empty() ? page->events.front().global_position
                                       : 0;
}

/// How far the slower projection is behind `head_pos`.
int64_t lag(caf::actor_system& sys,
            const std::vector<es::projection_actor>& projections,
            int64_t head_pos) {
  int64_t out = 0;
  for (auto& p : projections) {
    auto st = ask<es::projection_status>(sys, p, es::status_atom_v);
    out = std::max(out, st ? head_pos - st->position : head_pos);
  }
  return std::max<int64_t>(out, 0);
}

/// Every event of the bot's games, as a fresh replay from the origin sees
/// it (upcast).
caf::expected<std::vector<es::recorded_event>> replay(es::store& store) {
  std::vector<es::recorded_event> out;
  int64_t from = 0;
  for (;;) {
    auto page = store.read_all(from, 1000, es::direction::forward,
                               es::log_filter::category("game"));
    if (!page)
      return std::move(page.error());
    out.insert(out.end(), std::make_move_iterator(page->events.begin()),
               std::make_move_iterator(page->events.end()));
    if (page->end)
      return out;
    from = page->next;
  }
}

/// Compares both projections with a fresh replay; fills the summary.
void check_consistency(caf::actor_system& sys, es::store& store,
                       const es::projection_actor& games,
                       const es::projection_actor& board,
                       es::demo::run_summary& s) {
  s.consistent = false;
  auto events = replay(store);
  if (!events) {
    s.why.push_back("cannot replay the store: " + es::describe(events.error()));
    return;
  }
  es::game_state_model fresh_games;
  es::leaderboard_model fresh_board;
  for (auto& ev : *events) {
    if (auto err = fresh_games.apply(ev))
      s.why.push_back("replay: game state: " + es::describe(err));
    if (auto err = fresh_board.apply(ev))
      s.why.push_back("replay: leaderboard: " + es::describe(err));
  }
  s.stored_games = fresh_games.games().size();
  auto by_key = [](auto& x, auto& y) {
    return std::tie(x.guild_id, x.player_id) < std::tie(y.guild_id, y.player_id);
  };
  auto expected_rows = fresh_board.entries();
  std::sort(expected_rows.begin(), expected_rows.end(), by_key);
  s.leaderboard_rows = expected_rows.size();
  bool same = s.why.empty();
  auto live_games_json = ask<std::string>(sys, games, es::query_atom_v,
                                          std::string{});
  auto live_games = live_games_json
                        ? es::game_state_model::from_json(*live_games_json)
                        : caf::expected<es::game_state_model>{
                            live_games_json.error()};
  if (!live_games) {
    s.why.push_back("game-state projection: " + es::describe(live_games.error()));
    same = false;
  } else if (!(*live_games == fresh_games)) {
    size_t differ = 0;
    for (auto& [id, g] : fresh_games.games()) {
      auto it = live_games->games().find(id);
      if (it == live_games->games().end() || !(it->second == g))
        ++differ;
    }
    s.why.push_back("game-state projection: " + std::to_string(differ)
                    + " of " + std::to_string(fresh_games.games().size())
                    + " games differ from a replay");
    same = false;
  }
  auto rows_json = ask<std::string>(sys, board, es::query_atom_v,
                                    std::string{es::leaderboard_all_key});
  auto rows = rows_json
                  ? es::json::decode<std::vector<es::leaderboard_entry>>(*rows_json)
                  : caf::expected<std::vector<es::leaderboard_entry>>{
                      rows_json.error()};
  if (!rows) {
    s.why.push_back("leaderboard projection: " + es::describe(rows.error()));
    same = false;
  } else {
    std::sort(rows->begin(), rows->end(), by_key);
    if (!(*rows == expected_rows)) {
      s.why.push_back("leaderboard projection: " + std::to_string(rows->size())
                      + " rows, a replay gives "
                      + std::to_string(expected_rows.size())
                      + (rows->size() == expected_rows.size()
                             ? " with other counts"
                             : ""));
      same = false;
    }
  }
  s.consistent = same;
}

/// Waits until every projection reached `head_pos` (at most `limit`).
int64_t wait_caught_up(caf::actor_system& sys,
                       const std::vector<es::projection_actor>& projections,
                       int64_t head_pos, std::chrono::seconds limit) {
  auto until = clock_type::now() + limit;
  for (;;) {
    auto behind = lag(sys, projections, head_pos);
    if (behind == 0 || clock_type::now() > until)
      return behind;
    std::this_thread::sleep_for(50ms);
  }
}

int run(demo_config& opts) {
  if (opts.reset)
    if (auto err = reset_cluster(opts.node.data_dir)) {
      std::cerr << "es-demo: " << *err << "\n";
      return 1;
    }
  caf::actor_system sys{opts};
  auto started = es::start(sys, opts.node);
  if (!started) {
    std::cerr << "es-demo: cannot start the store: "
              << es::describe(started.error()) << "\n";
    return 1;
  }
  auto& store = *started;
  spdlog::info("store on {}", store.dsn());
  std::vector<es::projection_actor> projections{
      es::spawn_projection(sys, store.node(), es::game_state_projection()),
      es::spawn_projection(sys, store.node(), es::leaderboard_projection())};
  auto& games_projection = projections[0];
  auto& board_projection = projections[1];

  // The operator console (es-console) attaches to the inspector.
  es::inspector_endpoint where{opts.console.bind, opts.console.port,
                               opts.console.allow_remote,
                               opts.node.request_timeout};
  es::inspector_actor inspector;
  auto console_port = es::publish_inspector(sys, store.node(), where,
                                            &inspector);
  if (!console_port) {
    std::cerr << "es-demo: cannot publish the console on " << where.bind
              << ":" << where.port << ": " << es::describe(console_port.error())
              << " (--console-port P picks another port, 0 any free one)\n";
    for (auto& p : projections)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    return 1;
  }
  // The HTTP monitoring endpoint, when --http.enabled.
  auto monitor = es::monitoring_endpoint::start(sys, store.node(), opts.http);
  if (!monitor) {
    std::cerr << "es-demo: cannot start the monitoring endpoint: "
              << es::describe(monitor.error()) << "\n";
    for (auto& p : projections)
      caf::anon_send_exit(p, caf::exit_reason::user_shutdown);
    return 1;
  }
  if (monitor->active())
    std::cerr << "es-demo: metrics: http://" << opts.http.bind << ":"
              << monitor->port() << "/metrics\n";
  es::register_projection(inspector, "game-state", games_projection);
  es::register_projection(inspector, "leaderboard", board_projection);
  std::cerr << "es-demo: console: es-console --port " << *console_port
            << "\n";

  auto seed = opts.seed >= 0 ? static_cast<uint32_t>(opts.seed)
                            : std::random_device{}();
  auto plans = es::demo::plan_games(opts.games, opts.guilds, seed);
  auto cat = store.catalog();
  std::vector<std::vector<es::demo::turn>> scripts;
  scripts.reserve(plans.size());
  for (auto& plan : plans) {
    auto turns = es::demo::script(plan, *cat);
    if (!turns) {
      std::cerr << "es-demo: " << es::describe(turns.error()) << "\n";
      return 1;
    }
    scripts.push_back(std::move(*turns));
  }

  es::demo::run_summary summary;
  summary.games_planned = plans.size();
  summary.guilds = std::min(opts.guilds, opts.games);
  auto counters = std::make_shared<es::demo::demo_counters>();
  caf::scoped_actor self{sys};
  std::vector<caf::actor> players;
  auto began = clock_type::now();
  for (size_t i = 0; i < plans.size(); ++i) {
    auto turns = scripts[i].size();
    auto pace = turns == 0
                    ? 0ms
                    : std::chrono::duration_cast<std::chrono::milliseconds>(
                          opts.duration / static_cast<int64_t>(turns));
    players.push_back(es::demo::spawn_game_player(
        sys, store.node(), es::game::stream_id(plans[i].game_id),
        std::move(scripts[i]), pace, counters, self));
  }

  bool tty = ::isatty(STDERR_FILENO) != 0;
  size_t reports = 0;
  auto next_line = clock_type::now() + 2s;
  auto next_lag_sample = clock_type::now();
  while (reports < plans.size()) {
    self->receive(
        [&](es::demo::game_report& r) {
          ++reports;
          summary.events += r.events;
          summary.appends += r.appends;
          summary.retries += r.retries;
          summary.replays += r.replays;
          summary.latencies_us.insert(summary.latencies_us.end(),
                                      r.latencies_us.begin(),
                                      r.latencies_us.end());
          if (r.error) {
            ++summary.games_failed;
            std::cerr << "\nes-demo: " << r.stream << ": "
                      << es::describe(r.error) << "\n";
          } else {
            ++summary.games_played;
          }
        },
        caf::after(200ms) >> [&] { /* time to redraw */ });
    double secs = std::chrono::duration<double>(clock_type::now() - began).count();
    auto done = counters->games_done.load();
    auto line = es::demo::progress_line(done, plans.size(),
                                        counters->events.load(), secs);
    if (tty) {
      std::cerr << "\r" << line << std::flush;
    } else if (clock_type::now() >= next_line || done == plans.size()) {
      // A log, not a terminal: a line every few seconds.
      next_line = clock_type::now() + 2s;
      std::cerr << line << "\n";
    }
    if (clock_type::now() >= next_lag_sample) {
      summary.max_lag = std::max(summary.max_lag,
                                 lag(sys, projections, head(store)));
      next_lag_sample = clock_type::now() + 500ms;
    }
    if (signalled(0ms)) {
      summary.interrupted = true;
      for (auto& p : players)
        self->send_exit(p, caf::exit_reason::user_shutdown);
      break;
    }
  }
  if (tty)
    std::cerr << "\n";
  summary.seconds = std::chrono::duration<double>(clock_type::now() - began).count();

  summary.final_lag = wait_caught_up(sys, projections, head(store), 60s);
  check_consistency(sys, store, games_projection, board_projection, summary);
  std::cout << es::demo::format_summary(summary) << std::flush;

  if (opts.linger && !summary.interrupted) {
    std::cerr << "es-demo: lingering for the console (es-console --port "
              << *console_port << "); Ctrl-C or SIGTERM stops it\n";
    while (!signalled(1s)) {
    }
  }
  monitor->stop();
  for (auto& p : projections)
    self->send_exit(p, caf::exit_reason::user_shutdown);
  store.stop();
  return summary.consistent && summary.games_failed == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  demo_config cfg;
  auto err = cfg.parse(argc, argv);
  std::optional<std::string> bad;
  if (err)
    bad = es::describe(err);
  else if (!cfg.remainder.empty())
    bad = "unexpected argument '" + cfg.remainder.front() + "'";
  else
    bad = cfg.check();
  if (bad) {
    std::cerr << "es-demo: " << *bad << "\n(es-demo --help lists the options)\n";
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  for (auto& w : cfg.warnings())
    std::cerr << "es-demo: warning: " << w << "\n";
  // Logs go to stderr: stdout carries the summary only.
  spdlog::set_default_logger(spdlog::stderr_color_mt("es-demo"));
  spdlog::set_level(spdlog::level::warn);
  auto set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return run(cfg);
}
