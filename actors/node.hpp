// The node: the root supervisor the bot spawns, and the facade its code
// talks to.
//
// Start, in dependency order: the registry actor, the connection
// supervisor (the pool), the stream router (which needs the pool), the
// dispatcher, and the session (actors/session.hpp: LISTEN/NOTIFY wake-ups
// and ownership locks; it learns every new dispatcher, and stops beside the
// dispatcher at shutdown).
//
// Supervision policy (written down, and tested in tests/actors):
// - Every component is monitored. One that dies while the node runs is
//   restarted, with the same options and the same catalog source; when the
//   pool restarts, the router restarts after it (it holds the pool). Callers
//   of requests that were inside the dead component get an error, never a
//   false success: nothing is acknowledged before COMMIT.
// - More than `max_restarts` restarts within `restart_window` escalate: the
//   node stops everything and quits with the last component's exit reason,
//   for the bot's own supervisor to see.
//
// Subscriptions it started are monitored too. One that crashes (ends with
// a reason other than `normal` or `user_shutdown`) is started again, as a
// new actor with the same spec, after the checkpoint it had reached; more
// than `max_restarts` subscription restarts within `restart_window` and
// it gives up on that one (logged).
//
// Shutdown, in reverse dependency order, on an exit message: new requests
// fail with `ec::unavailable`; the subscriptions stop (persistent ones
// write their checkpoint first) and the router stops (its stream actors
// send what they hold); once all of them are gone the pool stops (it
// commits what is queued and in flight, or lets it expire), then the
// registry; then the node quits.
//
// Facade: appends go to the router, reads and stream info to the pool.
// Every event a read returns is upcast to its type's latest version with
// the current catalog snapshot (an event of an unknown type is returned as
// stored). An append without a deadline gets `request_timeout` from now.
//
// Exclusive subscriptions (`subscription_spec::exclusive`, which needs
// `persistent`): the join is answered at once with a handle that stays
// valid while ownership moves between processes
// (actors/exclusive_subscription.hpp); it delivers only while this process
// owns the subscription, and reports `standby` in its status otherwise.
#pragma once

#include "config/node_options.hpp"
#include "messages/actors.hpp"

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <unordered_map>

namespace es {

struct node_state {
  using clock = std::chrono::steady_clock;
  static inline const char* name = "node";

  node_options options;
  std::shared_ptr<registry::catalog_source> catalog;
  registry_actor registry;
  pool_actor pool;
  router_actor router;
  dispatcher_actor dispatcher;
  session_actor session;
  /// A subscription the node started, and where it would restart it.
  struct supervised {
    subscription_spec spec;
    std::shared_ptr<std::atomic<int64_t>> progress;
  };
  /// Every subscription it started and that runs, by address.
  std::unordered_map<caf::actor_addr, supervised> subscriptions;
  /// When each recent restart of a subscription happened.
  std::deque<clock::time_point> subscription_restarts;
  /// The pool, and the registry, have been told to stop (at shutdown).
  bool pool_stopping = false;
  bool registry_stopping = false;
  /// When each recent restart happened (within `restart_window`).
  std::deque<clock::time_point> restart_times;
  uint64_t restarts = 0;
  bool stopping = false;
  caf::error exit_reason;
};

/// Spawns the components and supervises them (see above). Precondition:
/// `validate(options)` is empty.
node_actor::behavior_type
node_behavior(node_actor::stateful_pointer<node_state> self,
              node_options options,
              std::shared_ptr<registry::catalog_source> catalog);

} // namespace es
