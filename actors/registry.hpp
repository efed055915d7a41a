// The registry actor: the one writer of the event-type catalog.
//
// Every registration copies the current catalog, applies the change, and
// publishes the copy through the shared `catalog_source` (copy-on-write):
// readers on the hot path call `source->current()` and never wait for this
// actor, and a snapshot they hold never changes under them. A registration
// that fails (a duplicate (type, version), a module without a check)
// publishes nothing and replies with the error.
//
// Supervision: spawned and monitored by the node. It holds no state that
// the shared source does not also hold, so a restart with the same source
// loses nothing.
#pragma once

#include "messages/actors.hpp"

#include <memory>

namespace es {

struct registry_state {
  static inline const char* name = "registry";
  std::shared_ptr<registry::catalog_source> source;
};

registry_actor::behavior_type
registry_behavior(registry_actor::stateful_pointer<registry_state> self,
                  std::shared_ptr<registry::catalog_source> source);

} // namespace es
