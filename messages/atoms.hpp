// The event store's message type IDs and atoms, registered once.
//
// Atoms are at most 10 characters. Types that only ever travel between
// actors of one process (they hold functions or shared pointers) are
// marked CAF_ALLOW_UNSAFE_MESSAGE_TYPE in messages/actors.hpp, next to the
// interfaces that use them.
#pragma once

#include <caf/atom.hpp>
#include <caf/type_id.hpp>

CAF_BEGIN_TYPE_ID_BLOCK(es, caf::first_custom_type_id)

/// Registers event modules or mode plugins.
CAF_ADD_ATOM(es, es, register_atom, "register")
/// Asks for the current catalog snapshot.
CAF_ADD_ATOM(es, es, catalog_atom, "catalog")

CAF_END_TYPE_ID_BLOCK(es)
