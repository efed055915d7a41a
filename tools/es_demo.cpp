// es-demo: the main job. At this stage a small GameBot session: a few games
// across guilds append their events to per-game streams, then the demo reads
// them back, shows the global log, a retried append that is recognised as
// already stored, and a stale writer that is turned away.
//
// Usage: es-demo [--dsn DSN] [--data-dir DIR] [--games N]
// Without --dsn (or ES_DSN), the demo starts an embedded PostgreSQL cluster
// in DIR (default var/pg), which keeps its data between runs.
#include "messages/error.hpp"
#include "messages/json.hpp"
#include "storage/embedded_cluster.hpp"
#include "storage/event_store.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

// -- A few of the game's events (the full catalog is the registry's) --------

struct game_created {
  std::string guild_id;
  std::string mode;
  std::string host_id;
};
template<class F>
bool fields(F& f, game_created& x) {
  return f("guild_id", x.guild_id) && f("mode", x.mode) &&
         f("host_id", x.host_id);
}

struct player_joined {
  std::string player_id;
  std::string name;
};
template<class F>
bool fields(F& f, player_joined& x) {
  return f("player_id", x.player_id) && f("name", x.name);
}

struct round_started {
  int32_t round = 1;
  std::string target_word;
};
template<class F>
bool fields(F& f, round_started& x) {
  return f("round", x.round) && f("target_word", x.target_word);
}

struct guess_processed {
  int32_t round = 1;
  std::string player_id;
  std::string guess;
  bool correct = false;
};
template<class F>
bool fields(F& f, guess_processed& x) {
  return f("round", x.round) && f("player_id", x.player_id) &&
         f("guess", x.guess) && f("correct", x.correct);
}

struct game_completed {
  std::string winner_id;
  int32_t rounds = 0;
};
template<class F>
bool fields(F& f, game_completed& x) {
  return f("winner_id", x.winner_id) && f("rounds", x.rounds);
}

struct event_meta {
  std::string correlation_id;
  std::string actor_id;
  std::string guild_id;
};
template<class F>
bool fields(F& f, event_meta& x) {
  return f("correlation_id", x.correlation_id) && f("actor_id", x.actor_id) &&
         f("guild_id", x.guild_id);
}

template<class T>
es::event_data make(const char* type, const T& payload,
                    const event_meta& meta) {
  es::event_data ev;
  ev.type = type;
  ev.data = es::json::encode(payload).value();
  ev.metadata = es::json::encode(meta).value();
  return ev;
}

struct options {
  std::string dsn;
  std::string data_dir = "var/pg";
  int games = 3;
};

std::optional<options> parse(int argc, char** argv) {
  options opts;
  if (auto* env = std::getenv("ES_DSN"); env && *env)
    opts.dsn = env;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc)
        return std::nullopt;
      return std::string{argv[++i]};
    };
    std::optional<std::string> v;
    if (arg == "--dsn" && (v = value()))
      opts.dsn = *v;
    else if (arg == "--data-dir" && (v = value()))
      opts.data_dir = *v;
    else if (arg == "--games" && (v = value()) && !v->empty() &&
             v->find_first_not_of("0123456789") == std::string::npos &&
             v->size() < 5 && std::stoi(*v) > 0)
      opts.games = std::stoi(*v);
    else {
      std::cerr << "es-demo: bad argument '" << arg << "'\n"
                << "usage: es-demo [--dsn DSN] [--data-dir DIR] [--games N]"
                   " (N: 1-9999)\n";
      return std::nullopt;
    }
  }
  return opts;
}

void print_event(const es::recorded_event& ev) {
  std::cout << "  " << ev.stream << " v" << ev.stream_version << " @"
            << ev.global_position << "  " << ev.type << " " << ev.data << "\n";
}

int run(const options& opts) {
  std::optional<es::storage::embedded_cluster> cluster;
  std::string dsn = opts.dsn;
  if (dsn.empty()) {
    es::storage::cluster_options copts;
    copts.data_dir = opts.data_dir;
    auto started = es::storage::embedded_cluster::start(copts);
    if (!started) {
      std::cerr << "es-demo: " << es::describe(started.error()) << "\n";
      return 1;
    }
    cluster.emplace(std::move(*started));
    dsn = cluster->dsn();
  }
  auto store = es::storage::event_store::open(dsn);
  if (!store) {
    std::cerr << "es-demo: " << es::describe(store.error()) << "\n";
    return 1;
  }
  std::mt19937 rng{std::random_device{}()};
  const char* modes[] = {"two-player", "knockout", "race"};
  const char* words[] = {"crane", "slate", "pious", "lemon", "quart"};
  std::vector<std::string> streams;
  for (int g = 0; g < opts.games; ++g) {
    auto stream = "game-" + es::to_string(es::uuid::v7());
    auto guild = "guild-" + std::to_string(g % 2 + 1);
    auto host = "user-" + std::to_string(rng() % 1000);
    event_meta meta{es::to_string(es::uuid::v7()), host, guild};
    // The game is created, players join, one round is played.
    std::vector<es::event_data> opening{
        make("GameCreated", game_created{guild, modes[g % 3], host}, meta)};
    for (int p = 0; p < 2 + g % 3; ++p)
      opening.push_back(make("PlayerJoined",
                             player_joined{"user-" + std::to_string(p),
                                           "Player " + std::to_string(p)},
                             meta));
    auto created =
        store->append({stream, es::expected_version::no_stream(), opening});
    if (!created) {
      std::cerr << "es-demo: " << es::describe(created.error()) << "\n";
      return 1;
    }
    auto pick = rng() % 5;
    auto word = words[pick];
    auto miss = words[(pick + 1) % 5];
    std::vector<es::event_data> round{
        make("RoundStarted", round_started{1, word}, meta),
        make("GuessProcessed", guess_processed{1, "user-0", miss, false}, meta),
        make("GuessProcessed", guess_processed{1, "user-1", word, true}, meta),
        make("GameCompleted", game_completed{"user-1", 1}, meta)};
    es::stream_append played{
        stream, es::expected_version::exact(created->last_version), round};
    auto r = store->append(played);
    if (!r) {
      std::cerr << "es-demo: " << es::describe(r.error()) << "\n";
      return 1;
    }
    // The bot's request timed out and it retries: nothing is written twice.
    auto retried = store->append(played);
    if (!retried || !retried->replayed) {
      std::cerr << "es-demo: a retried append was not recognised\n";
      return 1;
    }
    streams.push_back(stream);
  }
  std::cout << "appended " << opts.games << " games\n\n";
  for (auto& stream : streams) {
    auto page = store->read_stream(stream, 1, 100);
    if (!page) {
      std::cerr << "es-demo: " << es::describe(page.error()) << "\n";
      return 1;
    }
    std::cout << stream << ":\n";
    for (auto& ev : page->events)
      print_event(ev);
  }
  // A writer with a stale view of the first game is turned away.
  auto stale = store->append({streams.front(),
                              es::expected_version::exact(2),
                              {make("GamePaused", game_completed{}, {})}});
  std::cout << "\nstale append to " << streams.front() << ": "
            << (stale ? "accepted (unexpected!)" : es::describe(stale.error()))
            << "\n";
  auto tail = store->read_all(es::from_end, 3, es::direction::backward);
  if (tail) {
    std::cout << "\nlast events of the global log:\n";
    for (auto& ev : tail->events)
      print_event(ev);
  }
  size_t total = 0;
  std::string after;
  for (;;) {
    auto page = store->list_streams(after, 1000);
    if (!page)
      break;
    total += page->streams.size();
    after = page->next;
    if (page->end)
      break;
  }
  std::cout << "\nthe store now holds " << total
            << " streams (data persists between runs)\n";
  return stale ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  if (!opts)
    return 2;
  return run(*opts);
}
