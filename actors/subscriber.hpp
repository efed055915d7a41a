// A subscriber made from a function, for code that handles events one at a
// time and needs no actor of its own (tests, tools, simple read models).
//
// `handle` runs on the subscriber actor, once per delivered event, in the
// order of each batch; it returns true when the event is handled
// (acknowledged) and false to have it retried later (a retry counts an
// attempt; see actors/delivery_window.hpp): the rest of that batch then
// comes again after it. An exception counts as false, with its text as the
// reason. `handle` must not block for long: the subscription's
// `ack_timeout` runs while it does.
#pragma once

#include "messages/actors.hpp"

#include <caf/actor_system.hpp>

#include <functional>

namespace es {

/// Runs `fn` on the events of `batch` in order until one returns false or
/// throws; acknowledges those before it (the answer of `spawn_subscriber`'s
/// actor, for subscribers written as actors of their own).
batch_ack handle_in_order(const event_batch& batch,
                          const std::function<bool(const recorded_event&)>& fn);

/// Spawns the subscriber (see the file comment).
subscriber_actor
spawn_subscriber(caf::actor_system& sys,
                 std::function<bool(const recorded_event&)> handle);

} // namespace es
