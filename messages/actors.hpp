// Every typed actor interface of the event store: the map of the system.
//
// One `///` line per interface says what the actor is; one `//` line per
// handler says what it does. Supervision and failure behaviour are in each
// actor's header under actors/.
#pragma once

#include "messages/atoms.hpp"
#include "registry/catalog.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_behavior.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdint>
#include <vector>

namespace es {

/// Modules to register together: all of them or none.
struct module_set {
  std::vector<registry::event_module> modules;
};

/// A mode plugin to register.
struct mode_plugin {
  game::mode mode = game::mode::standard;
  registry::mode_check check;
};

/// The registry: owns the event-type catalog and every change to it, and
/// publishes each new version as an immutable snapshot (actors/registry.hpp).
using registry_actor = caf::typed_actor<
    // Registers modules, all or none; replies with the catalog's new size.
    caf::replies_to<register_atom, module_set>::with<uint64_t>,
    // Registers a check for every event of one game mode.
    caf::replies_to<register_atom, mode_plugin>::with<uint64_t>,
    // Returns the current catalog snapshot.
    caf::replies_to<catalog_atom>::with<registry::catalog_ptr>>;

} // namespace es

// Local-only messages: they hold functions and shared pointers.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::module_set)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::mode_plugin)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::registry::catalog_ptr)
