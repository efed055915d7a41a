#include "actors/tail_forwarder.hpp"

#include "actors/console_json.hpp"

#include <caf/exit_reason.hpp>

namespace es {

subscriber_actor::behavior_type
tail_forwarder(subscriber_actor::stateful_pointer<tail_forwarder_state> self,
               tail_sink_actor sink) {
  self->state.sink = std::move(sink);
  self->monitor(self->state.sink);
  self->set_down_handler([=](caf::down_msg&) {
    self->state.sink = nullptr;
    self->quit(caf::exit_reason::normal);
  });
  return {
      [=](deliver_atom, const event_batch& batch) {
        batch_ack ack;
        for (auto& ev : batch.events) {
          if (self->state.sink)
            self->send(self->state.sink, tail_atom_v, console_json::event(*ev));
          ack.handled = ev->global_position;
        }
        return ack;
      },
  };
}

} // namespace es
