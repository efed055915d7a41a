// Shared helpers of the actor runtime's suites: an actor system for tests,
// valid game events with fresh ids, and waiting on a condition without
// sleeping in a fixed step.
#pragma once

#include "actors/store.hpp"
#include "messages/metadata.hpp"
#include "registry/game_catalog.hpp"
#include "tests/game_samples.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <chrono>
#include <functional>
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

/// The actor system config of the runtime's tests.
struct test_system_config : caf::actor_system_config {
  test_system_config() { set("scheduler.max-threads", 4); }
};

} // namespace es::test
