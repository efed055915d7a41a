#include "actors/subscriber.hpp"

#include "messages/error.hpp"

#include <exception>

namespace es {

subscriber_actor
spawn_subscriber(caf::actor_system& sys,
                 std::function<bool(const recorded_event&)> handle) {
  return sys.spawn([handle = std::move(handle)](subscriber_actor::pointer)
                       -> subscriber_actor::behavior_type {
    return {
        [handle](deliver_atom, recorded_event& ev) -> caf::result<bool> {
          try {
            return handle(ev);
          } catch (const std::exception& ex) {
            return make_error(ec::invalid_argument,
                              std::string{"the subscriber failed: "}
                                  + ex.what());
          }
        },
    };
  });
}

} // namespace es
