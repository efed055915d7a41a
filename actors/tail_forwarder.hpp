// The subscriber of a console's `tail`: forwards every event it receives to
// a sink actor in the console's process, as (tail_atom, JSON of the event;
// actors/console_json.hpp), and acknowledges it.
//
// Supervision: spawned by the inspector for one `tail`, never restarted. It
// monitors the sink (a proxy when the console is remote) and quits when
// the sink is gone (the console ended, or its connection broke); its
// subscription, which has no `respawn`, then ends too. Delivery to the sink
// is fire-and-forget: the console sees the events it is sent, in order,
// and none after it went away.
#pragma once

#include "messages/actors.hpp"

#include <caf/actor.hpp>

namespace es {

struct tail_forwarder_state {
  static inline const char* name = "tail_forwarder";
  tail_sink_actor sink;
};

subscriber_actor::behavior_type
tail_forwarder(subscriber_actor::stateful_pointer<tail_forwarder_state> self,
               tail_sink_actor sink);

} // namespace es
