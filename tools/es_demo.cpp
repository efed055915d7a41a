// es-demo: the main job. At this stage a small GameBot session: a few games
// across guilds append their events (validated and encoded by the registry)
// to per-game streams, then the demo reads them back, shows the global log,
// a retried append that is recognised as already stored, a stale writer
// that is turned away, and an invalid event that never reaches the store.
//
// Usage: es-demo [--dsn DSN] [--data-dir DIR] [--games N]
// Without --dsn (or ES_DSN), the demo starts an embedded PostgreSQL cluster
// in DIR (default var/pg), which keeps its data between runs.
#include "messages/error.hpp"
#include "messages/game_events.hpp"
#include "messages/metadata.hpp"
#include "registry/game_catalog.hpp"
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

/// Turns a typed game event into what the store appends, through the
/// registry: validated (base, event and mode rules) and encoded.
template<class T>
es::event_data encoded(const es::registry::catalog& cat, const T& ev,
                       const es::event_metadata& meta) {
  auto data = cat.encode(ev, meta);
  if (!data) {
    std::cerr << "es-demo: " << T::event_type << ": "
              << es::describe(data.error()) << "\n";
    std::exit(1);
  }
  return std::move(*data);
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
  auto cat = es::registry::game_catalog();
  std::mt19937 rng{std::random_device{}()};
  const es::game::mode modes[] = {es::game::mode::standard,
                                  es::game::mode::race,
                                  es::game::mode::two_player};
  const char* words[] = {"crane", "slate", "pious", "lemon", "quart"};
  std::vector<std::string> streams;
  for (int g = 0; g < opts.games; ++g) {
    auto game = es::uuid::v7();
    auto stream = es::game::stream_id(game);
    auto guild = std::to_string(801234567890123450 + g % 2);
    auto host = std::to_string(301234567890123000 + rng() % 1000);
    // A slash command in a guild channel starts a chain of events.
    es::discord_source src{guild, "901234567890123456", host, false};
    auto meta = es::event_metadata::from_discord(src, "gamebot-demo/0.1");
    auto base = [&](auto ev, std::optional<int32_t> round = std::nullopt) {
      ev.game_id = game;
      ev.guild_id = guild;
      ev.game_mode = modes[g % 3];
      ev.round = round;
      return ev;
    };
    es::game::game_created created = base(es::game::game_created{});
    created.channel_id = src.channel_id;
    created.created_by = host;
    bool pair = modes[g % 3] == es::game::mode::two_player;
    created.max_players = pair ? 2 : 8;
    created.max_rounds = 1;
    created.word_length = 5;
    created.max_guesses = 6;
    std::vector<es::event_data> opening{encoded(cat, created, meta)};
    std::vector<std::string> players;
    for (int p = 0; p < (pair ? 2 : 2 + g % 4); ++p) {
      es::game::player_joined joined = base(es::game::player_joined{});
      joined.player_id = std::to_string(111111111111111110 + p);
      joined.display_name = "Player " + std::to_string(p + 1);
      players.push_back(joined.player_id);
      opening.push_back(encoded(cat, joined,
                                es::event_metadata::caused_by(
                                    created.event_id, meta, joined.player_id)));
    }
    auto opened =
        store->append({stream, es::expected_version::no_stream(), opening});
    if (!opened) {
      std::cerr << "es-demo: " << es::describe(opened.error()) << "\n";
      return 1;
    }
    auto pick = rng() % 5;
    es::game::round_started round = base(es::game::round_started{}, 1);
    round.word_length = 5;
    round.max_guesses = 6;
    round.time_limit_ms = 120'000;
    es::game::guess_processed miss = base(es::game::guess_processed{}, 1);
    miss.player_id = players[0];
    miss.guess = words[(pick + 1) % 5];
    miss.guess_number = 1;
    miss.matched_letters = 1;
    es::game::guess_processed hit = base(es::game::guess_processed{}, 1);
    hit.player_id = players[1];
    hit.guess = words[pick];
    hit.guess_number = 2;
    hit.correct = true;
    hit.matched_letters = 5;
    hit.points = 50;
    es::game::game_completed done = base(es::game::game_completed{});
    done.rounds_played = 1;
    done.duration_ms = 95'000;
    std::vector<es::event_data> played_events{
        encoded(cat, round, meta), encoded(cat, miss, meta),
        encoded(cat, hit, meta), encoded(cat, done, meta)};
    es::stream_append played{stream,
                             es::expected_version::exact(opened->last_version),
                             played_events};
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
  es::game::game_paused pause;
  pause.game_id = *es::uuid::parse(streams.front().substr(5));
  pause.paused_by = "301234567890123000";
  auto stale = store->append({streams.front(),
                              es::expected_version::exact(2),
                              {encoded(cat, pause, es::event_metadata{})}});
  std::cout << "\nstale append to " << streams.front() << ": "
            << (stale ? "accepted (unexpected!)" : es::describe(stale.error()))
            << "\n";
  // An elimination in a race game never reaches the database.
  es::game::player_eliminated out;
  out.game_id = pause.game_id;
  out.game_mode = es::game::mode::race;
  out.player_id = "111111111111111110";
  auto refused = cat.encode(out, es::event_metadata{});
  std::cout << "invalid event: "
            << (refused ? "accepted (unexpected!)"
                        : es::describe(refused.error()))
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
  return stale || refused ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  if (!opts)
    return 2;
  return run(*opts);
}
