// An exclusive subscription: a persistent subscription that runs once per
// cluster. Of all processes that start it under the same name, one at a
// time owns it and delivers; the others wait on standby.
//
// The node answers a join for an exclusive spec at once with this actor: a
// handle that stays valid for the subscription's whole life while
// ownership comes and goes (a bot does not have to care which process runs
// it; `status` says `standby` while this process does not). Waiting for
// ownership before answering would leave the bot without a handle, maybe
// forever, on every standby shard.
//
// Contention: it asks the node's session (actors/session.hpp) to take the
// subscription's ownership lock (a PostgreSQL session advisory lock), and
// retries every `defaults::ownership_retry` while another process holds it
// or the session is disconnected. Once it owns the name, it starts the
// ordinary persistent subscription through the node (same spec, not
// exclusive): the node reads the stored record only now, after the lock is
// held, so the new owner resumes after the checkpoint the previous owner
// saved last. At least once across a failover: the events the previous
// owner handled after its last checkpoint are delivered again, nothing
// before the checkpoint is.
//
// Losing ownership: when the session reports the lock lost (its connection
// broke) or dies, the running subscription is stopped at once (its last
// checkpoint save is best-effort; it saves periodically anyway) and it
// contends again. Between the server releasing the lock and this process
// noticing (one session tick, or the time the connection takes to report
// the failure), a new owner may already run: a short overlap that
// at-least-once delivery tolerates. Failover after the owner process dies
// takes about one retry interval: its backend sees EOF and releases the
// lock at once.
//
// Supervision: spawned by the node (not monitored by it); it monitors the
// node and ends with it. It ends when its subscription ends on its own
// (the subscriber died without `respawn`), or when it gets an exit
// message; it then stops the subscription and releases the lock.
#pragma once

#include "messages/actors.hpp"

#include <chrono>
#include <cstdint>

namespace es {

struct exclusive_subscription_state {
  using clock = std::chrono::steady_clock;
  static inline const char* name = "exclusive-subscription";

  /// The spec of the subscription it runs while it owns the name (not
  /// exclusive).
  subscription_spec spec;
  node_actor node;
  std::chrono::milliseconds retry{};
  /// The session it asked last (monitored).
  session_actor session;
  /// The running subscription while it owns the name.
  subscription_actor inner;
  /// A lock request or the subscription's start is in flight.
  bool busy = false;
  bool owner = false;
  /// The subscriber died while on standby: make a new one before starting.
  bool subscriber_dead = false;
  /// Times it took ownership.
  uint64_t takeovers = 0;
  uint64_t timer_generation = 0;
};

/// Precondition: `spec.persistent` (the node checks it).
exclusive_subscription_actor::behavior_type exclusive_subscription(
    exclusive_subscription_actor::stateful_pointer<exclusive_subscription_state>
        self,
    subscription_spec spec, node_actor node, std::chrono::milliseconds retry);

} // namespace es
