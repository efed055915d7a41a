// The dispatcher: reads the global log once for every live subscription.
//
// It keeps `head`, the highest position it has read, and a backlog of the
// most recent events (`dispatcher_backlog`). While at least one
// subscription is live, whenever it is woken (the pool sends `wake` after
// each commit) or its poll timer fires (events other processes committed),
// it reads the log after `head` through the pool, in pages, up to the log
// horizon, upcasts each event once, and sends each page as one shared
// `live_batch` to every joined subscription. Reads never overlap: a wake
// during a read only makes it read again afterwards, and wakes closer than
// the read interval to the last read wait for it (commits meanwhile go out
// as one batch: one message per subscription instead of one per commit).
// The interval grows with the live subscriptions (`dispatcher_config`):
// the more there are, the more a message per batch costs.
// With no one live it reads nothing, and the next subscription to join
// sets its `head`.
//
// Going live without a gap or a duplicate: a subscription that has read the
// log up to P asks to join after P. The dispatcher answers between two
// batches, so its answer is exact: if P >= head, nothing is missing; if the
// backlog still holds every event after P, they come with the answer; else
// the subscription is too far behind and reads more from the database
// first. After a joined answer, the subscription receives every later
// batch, and nothing before it.
//
// Joined subscriptions are monitored and forgotten when they die or leave.
// A failed read is logged and retried at the next poll: subscriptions only
// wait. Supervision: spawned and monitored by the node, which restarts it;
// a new dispatcher starts at the log horizon with an empty backlog, and
// subscriptions that were live rejoin from their own position (they see
// their dispatcher die and catch up from the database).
#pragma once

#include "config/defaults.hpp"
#include "messages/actors.hpp"
#include "registry/catalog.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>

namespace es {

/// How the dispatcher reads (config/defaults.hpp has the defaults).
struct dispatcher_config {
  /// Reads at least this often while someone is live (other processes'
  /// commits do not wake it).
  std::chrono::milliseconds poll_interval = defaults::dispatcher_poll_interval;
  /// The least time between two reads when wakes come faster:
  /// `read_interval_per_member` per live subscription, within
  /// [`read_interval_min`, `read_interval`].
  std::chrono::milliseconds read_interval = defaults::dispatcher_read_interval;
  std::chrono::milliseconds read_interval_min =
      defaults::dispatcher_read_interval_min;
  std::chrono::microseconds read_interval_per_member =
      defaults::dispatcher_read_interval_per_subscription;
  /// Recent events kept for subscriptions that join.
  size_t backlog_limit = defaults::dispatcher_backlog;
  size_t page_size = defaults::subscription_page_size;
};

struct dispatcher_state {
  using clock = std::chrono::steady_clock;
  static inline const char* name = "dispatcher";

  /// An event of the backlog, and why it could not be upcast (if so).
  struct entry {
    event_ptr event;
    std::string undeliverable;
  };

  pool_actor pool;
  std::shared_ptr<registry::catalog_source> catalog;
  dispatcher_config config;
  /// Highest position read (and sent).
  int64_t head = 0;
  /// The most recent events, oldest first; covers (backlog_after, head].
  std::deque<entry> backlog;
  int64_t backlog_after = 0;
  std::unordered_map<caf::actor_addr, subscription_actor> members;
  bool reading = false;
  /// Woken during a read: read again after it.
  bool woken = false;
  clock::time_point last_read;
  /// The timer is set to read once `read_interval` has passed (wakes that
  /// come meanwhile wait for it).
  bool read_due = false;
  uint64_t timer_generation = 0;
};

/// The least time between two reads with `live` subscriptions joined:
/// `read_interval_per_member` each, within [`read_interval_min`,
/// `read_interval`].
std::chrono::steady_clock::duration
read_interval_for(const dispatcher_config& cfg, size_t live);

dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
           pool_actor pool, std::shared_ptr<registry::catalog_source> catalog,
           dispatcher_config config);

} // namespace es
