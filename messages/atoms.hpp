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
/// Appends events (facade, router, stream actors, pool, workers).
CAF_ADD_ATOM(es, es, append_atom, "append")
/// Reads a stream or the global log.
CAF_ADD_ATOM(es, es, read_atom, "read")
/// Asks for what the store knows about one stream.
CAF_ADD_ATOM(es, es, info_atom, "info")
/// Asks a component for its state (pool, router, node).
CAF_ADD_ATOM(es, es, status_atom, "status")
/// Asks a connection worker to (re)connect.
CAF_ADD_ATOM(es, es, connect_atom, "connect")
/// Asks a connection worker to check its connection.
CAF_ADD_ATOM(es, es, health_atom, "health")
/// A stream actor tells the router it has been idle.
CAF_ADD_ATOM(es, es, idle_atom, "idle")
/// A timer of the actor that sent it to itself.
CAF_ADD_ATOM(es, es, timer_atom, "timer")
/// A connection worker reports that its connection broke.
CAF_ADD_ATOM(es, es, lost_atom, "lost")

/// A subscription asks the dispatcher for live delivery after a position.
CAF_ADD_ATOM(es, es, join_atom, "join")
/// A subscription leaves live delivery (it fell behind).
CAF_ADD_ATOM(es, es, leave_atom, "leave")
/// The dispatcher hands a batch of committed events to live subscriptions.
CAF_ADD_ATOM(es, es, live_atom, "live")
/// New events may have committed: the dispatcher reads the log.
CAF_ADD_ATOM(es, es, wake_atom, "wake")
/// A subscription hands one event to its subscriber, which acknowledges.
CAF_ADD_ATOM(es, es, deliver_atom, "deliver")

/// Stores or loads a persistent subscription's state (subscription_op).
CAF_ADD_ATOM(es, es, checkpoint_atom, "checkpoint")

/// Takes / releases the ownership of an exclusive subscription (session).
CAF_ADD_ATOM(es, es, own_atom, "own")
CAF_ADD_ATOM(es, es, disown_atom, "disown")
/// A projection's storage operation (projection_op), run by the pool.
CAF_ADD_ATOM(es, es, project_atom, "project")
/// Asks a projection's read model.
CAF_ADD_ATOM(es, es, query_atom, "query")
/// Starts a projection's rebuild, or feeds it an event of the rebuild.
CAF_ADD_ATOM(es, es, rebuild_atom, "rebuild")
/// Delivers a subscription's parked events again.
CAF_ADD_ATOM(es, es, replay_atom, "replay")

/// The operator console (actors/inspector.hpp): the handshake, a command,
/// following new events, and listing what a component holds.
CAF_ADD_ATOM(es, es, hello_atom, "hello")
CAF_ADD_ATOM(es, es, console_atom, "console")
CAF_ADD_ATOM(es, es, tail_atom, "tail")
CAF_ADD_ATOM(es, es, list_atom, "list")

CAF_END_TYPE_ID_BLOCK(es)
