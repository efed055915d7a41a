// A subscriber made from a function, for code that handles events one at a
// time and needs no actor of its own (tests, tools, simple read models).
//
// `handle` runs on the subscriber actor, once per delivered event, in the
// order the subscription hands them out; it returns true when the event is
// handled (acknowledged) and false to have it retried later (a retry counts
// an attempt; see actors/delivery_window.hpp). An exception counts as false,
// with its text as the reason. `handle` must not block for long: the
// subscription's `ack_timeout` runs while it does.
#pragma once

#include "messages/actors.hpp"

#include <caf/actor_system.hpp>

#include <functional>

namespace es {

/// Spawns the subscriber (see the file comment).
subscriber_actor
spawn_subscriber(caf::actor_system& sys,
                 std::function<bool(const recorded_event&)> handle);

} // namespace es
