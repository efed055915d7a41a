// Shared helpers of the actor runtime's suites: an actor system for tests,
// node options on this process's test database, valid game events with
// fresh ids, the log as stored, and waiting on a condition without sleeping
// in a fixed step.
#pragma once

#include "actors/store.hpp"
#include "messages/metadata.hpp"
#include "registry/game_catalog.hpp"
#include "tests/game_samples.hpp"
#include "tests/pg_fixture.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>
#include <thread>

namespace es::test {

/// A PlayerJoined event with fresh ids, encoded through the game catalog.
inline event_data joined_event(const registry::catalog& cat,
                               const std::string& name = "Ann") {
  auto ev = sample<game::player_joined>();
  ev.event_id = uuid::v7();
  ev.at = now_utc();
  ev.display_name = name;
  discord_source src{guild, channel, player_a, false};
  auto meta = event_metadata::from_discord(src, "test-client/1");
  auto data = cat.encode(ev, meta);
  if (!data)
    throw std::runtime_error("cannot encode sample: " + describe(data.error()));
  return std::move(*data);
}

/// `n` PlayerJoined events.
inline std::vector<event_data> joined_events(const registry::catalog& cat,
                                             size_t n) {
  std::vector<event_data> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back(joined_event(cat, "P" + std::to_string(i)));
  return out;
}

/// Checks `cond` until it holds or `limit` passes; returns whether it held.
/// For conditions that other threads make true and that are checked with a
/// blocking request (a status round trip, an append): each check waits on
/// the store, so the loop only yields in between, and the wait ends as soon
/// as the condition holds, however fast or slow the machine is.
inline bool eventually(const std::function<bool()>& cond,
                       std::chrono::milliseconds limit = std::chrono::seconds{
                           30}) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until)
      return false;
    std::this_thread::yield();
  }
  return true;
}

/// Node options on this process's test database: a pool of 2, requests
/// that may take 20 s on a loaded machine.
inline node_options test_options() {
  node_options opts;
  opts.dsn = test_database();
  opts.pool_size = 2;
  opts.request_timeout = std::chrono::seconds{20};
  return opts;
}

/// The positions of the events of `category` as the database has them, in
/// order (read with a connection of its own, not through a store).
inline std::vector<int64_t> stored_positions(const std::string& category) {
  auto direct = open_store();
  std::vector<int64_t> out;
  int64_t from = 0;
  for (;;) {
    auto page = direct.read_all(from, 1000, direction::forward,
                                log_filter::category(category));
    if (!page)
      throw std::runtime_error("reading the log: " + describe(page.error()));
    for (auto& ev : page->events)
      out.push_back(ev.global_position);
    if (page->end)
      return out;
    from = page->next;
  }
}

/// The actor system config of the runtime's tests.
struct test_system_config : caf::actor_system_config {
  test_system_config() { set("scheduler.max-threads", 4); }
};

} // namespace es::test
