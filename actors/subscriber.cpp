#include "actors/subscriber.hpp"

#include <exception>

namespace es {

batch_ack handle_in_order(const event_batch& batch,
                          const std::function<bool(const recorded_event&)>& fn) {
  batch_ack out;
  for (auto& ev : batch.events) {
    try {
      if (!fn(*ev)) {
        out.reason = "the subscriber declined it";
        return out;
      }
    } catch (const std::exception& ex) {
      out.reason = std::string{"the subscriber failed: "} + ex.what();
      return out;
    }
    out.handled = ev->global_position;
  }
  return out;
}

subscriber_actor
spawn_subscriber(caf::actor_system& sys,
                 std::function<bool(const recorded_event&)> handle) {
  return sys.spawn([handle = std::move(handle)](subscriber_actor::pointer)
                       -> subscriber_actor::behavior_type {
    return {
        [handle](deliver_atom, const event_batch& batch) {
          return handle_in_order(batch, handle);
        },
    };
  });
}

} // namespace es
