// Decoding a delivered event as one of the game's typed events, for the
// pure read models (game_state_model, leaderboard_model).
#pragma once

#include "messages/error.hpp"
#include "messages/event.hpp"
#include "messages/json.hpp"

#include <caf/error.hpp>

#include <string>

namespace es::detail {

/// Decodes `ev` as a `T` and calls `f` with it. The event must be at the
/// version this code reads (the store upcasts what it delivers; a newer
/// version registered at runtime is refused until the code reads it).
template<class T, class F>
caf::error with_event(const recorded_event& ev, F&& f) {
  if (ev.version != T::event_version)
    return make_error(ec::decode_failed,
                      std::string{"event at position "}
                          + std::to_string(ev.global_position) + ": "
                          + T::event_type + " version "
                          + std::to_string(ev.version)
                          + " cannot be read (this code reads version "
                          + std::to_string(T::event_version) + ")");
  auto x = json::decode<T>(ev.data);
  if (!x)
    return make_error(ec::decode_failed,
                      std::string{"event at position "}
                          + std::to_string(ev.global_position) + " ("
                          + T::event_type + "): " + describe(x.error()));
  f(*x);
  return {};
}

} // namespace es::detail
