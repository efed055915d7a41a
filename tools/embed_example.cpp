// How a bot embeds the event store: the example the README quotes. It is
// built with the project and run by the test suite (embed_example), so it
// cannot rot. Usage: es-embed-example [DSN] (no DSN: an embedded cluster in
// var/pg).
#include "actors/game_projections.hpp"
#include "actors/store.hpp"
#include "actors/subscriber.hpp"
#include "messages/error.hpp"
#include "messages/game_events.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <iostream>
#include <thread>

int main(int argc, char** argv) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  es::node_options opts; // every default from config/defaults.hpp
  if (argc > 1)
    opts.dsn = argv[1];
  auto store = es::start(sys, opts); // spawns the node (and PostgreSQL)
  if (!store) {
    std::cerr << es::describe(store.error()) << "\n";
    return 1;
  }

  // A projection actor keeps the live state of every game current.
  auto games = es::spawn_projection(sys, store->node(),
                                    es::game_state_projection());
  // Any actor can subscribe; this one prints what it is handed.
  es::subscription_spec spec;
  spec.name = "printer";
  spec.filter = es::log_filter::category("game");
  spec.subscriber = es::spawn_subscriber(sys, [](const es::recorded_event& ev) {
    std::cout << ev.stream << " v" << ev.stream_version << ": " << ev.type
              << "\n";
    return true; // handled: acknowledge it
  });
  if (auto sub = store->subscribe(spec); !sub) {
    std::cerr << es::describe(sub.error()) << "\n";
    return 1;
  }

  // The bot appends typed events; the registry validates them first.
  es::game::game_created created;
  created.game_id = es::uuid::v7();
  created.guild_id = "800000000000000001";
  created.channel_id = "900000000000000001";
  created.created_by = "300000000000000001";
  created.max_players = 4;
  created.max_rounds = 3;
  created.word_length = 5;
  created.max_guesses = 6;
  auto stream = es::game::stream_id(created.game_id);
  es::discord_source src{created.guild_id, created.channel_id,
                         created.created_by, false};
  auto meta = es::event_metadata::from_discord(src, "my-bot/1.0");
  auto appended = store->append_typed(stream, es::expected_version::no_stream(),
                                      meta, created);
  if (!appended) {
    std::cerr << es::describe(appended.error()) << "\n";
    return 1;
  }

  // Read it back, and ask the projection once it has seen it.
  auto page = store->read_stream(stream, 1, 10);
  std::cout << stream << " holds " << (page ? page->events.size() : 0)
            << " event(s)\n";
  caf::scoped_actor self{sys};
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string state;
    self->request(games, std::chrono::seconds{5}, es::query_atom_v,
                  es::to_string(created.game_id))
        .receive([&](std::string& json) { state = std::move(json); },
                 [](caf::error&) { /* not folded in yet */ });
    if (!state.empty()) {
      std::cout << "game state: " << state << "\n";
      store->stop(); // flushes, stops the node, then PostgreSQL
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  std::cerr << "the projection never saw the game\n";
  return 1;
}
