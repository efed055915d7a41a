// A subscription: delivers the events of the global log that pass its
// filter to one subscriber, in order, at least once, with
// acknowledgements.
//
// Catch-up, then live: it reads the log from its start position through the
// pool in pages (`page_size`), up to the log horizon; at the end of the log
// it asks the dispatcher to join after the last position it has read. The
// dispatcher answers with the events it has sent since (or "too far
// behind": the subscription reads on), and from then on hands it every new
// batch. There is no gap and no duplicate at the switch (see
// actors/dispatcher.hpp).
//
// Delivery: the pure `delivery_window` (actors/delivery_window.hpp) decides
// what goes out: at most `buffer_size` events in flight at each subscriber
// (`concurrency_limit` of them share the subscription; with
// `partition_by_stream` a stream always goes to the same one, chosen by
// hash, and its events are never in flight in two batches at once;
// otherwise to the least loaded), in batches of at most `batch_size`
// events per message, acknowledged by position (`batch_ack`). Retries with
// backoff follow a failed event, an error or a missing answer within
// `ack_timeout`; parking follows `max_attempts` (the parked events are in
// the status, and a persistent subscription stores them in
// es_parked_events). Events are shared, never copied per subscriber, and
// upcast once to their type's latest version before they go out (by the
// dispatcher for live batches, here for catch-up pages).
//
// Parked events can be replayed (`replay_atom`): each is delivered again,
// one at a time, outside the window, to the first live subscriber; those
// handled now leave the parked list (and es_parked_events), the others
// stay.
//
// Persistent subscriptions write their checkpoint to es_subscriptions in
// batches (`checkpoint_every` settled events or `checkpoint_interval`,
// whichever first; one write in flight at a time) and once more when they
// stop (an exit message, or the end of its subscriber: it quits once that
// write has answered); started again under the same name, they resume
// after it. Events after the checkpoint may be delivered again after a
// crash: at least once. The node restarts a subscription that crashed
// from the checkpoint it had reached in memory (`progress`).
//
// Memory stays bounded: the window holds at most `max_buffered` events. A
// live subscription that fills it (a slow subscriber) leaves the
// dispatcher, and reads the log from the database again once the
// subscriber has made room.
//
// The subscriber is monitored. When it dies, its events in flight go back
// to the window (no attempt counted); with `respawn` a new subscriber gets
// them first, otherwise the subscription ends. The node is monitored too:
// the subscription ends with it. When the pool or the dispatcher dies (the
// node restarts them), the subscription asks the node for the new ones,
// catches up from the database and joins again.
#pragma once

#include "actors/delivery_window.hpp"
#include "messages/actors.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>

namespace es {

struct subscription_state {
  using clock = std::chrono::steady_clock;
  static inline const char* name = "subscription";

  subscription_spec spec;
  caf::actor node;
  pool_actor pool;
  dispatcher_actor dispatcher;
  std::shared_ptr<registry::catalog_source> catalog;
  std::optional<delivery_window> window;
  /// Events in the window that could not be upcast, and why: parked when
  /// their turn comes.
  std::map<int64_t, std::string> undeliverable;
  /// The subscribers (`concurrency_limit` of them; the window's owner tag
  /// of each is its index), and the events in flight at each.
  std::vector<subscriber_actor> subscribers;
  std::vector<size_t> load;
  /// A catch-up read in flight, or its page waiting for an earlier one:
  /// from `from`, up to `upto` (0: the log horizon, and a read by count).
  struct pending_read {
    int64_t from = 0;
    int64_t upto = 0;
    std::optional<event_page> page;
  };
  /// Catch-up reads, in position order. One read by count at a time; or,
  /// where the log is dense in matching events (`ranged`), up to
  /// `parallel_reads` reads of `page_size` positions each at once, so the
  /// database reads the next range on another connection while this one
  /// is handled. `read_generation` tells the answers of dropped reads.
  std::deque<pending_read> reads;
  bool ranged = false;
  uint64_t read_generation = 0;
  /// `live` once the dispatcher took us.
  bool joining = false;
  bool live = false;
  /// A checkpoint write is in flight (persistent subscriptions).
  bool saving = false;
  /// The pool or the dispatcher died: ask the node for the new ones.
  bool stale_handles = false;
  /// A replay of parked events in progress: what is left (with the event
  /// when it is known already), how many were handled, who waits.
  struct replay_job {
    std::deque<std::pair<int64_t, std::optional<recorded_event>>> todo;
    uint64_t handled = 0;
    caf::typed_response_promise<uint64_t> promise;
  };
  std::optional<replay_job> replay;
  subscription_status counters;
  std::shared_ptr<std::atomic<int64_t>> progress;
  /// Stopping: quits once the final checkpoint write has answered.
  bool finishing = false;
  caf::error exit_reason;
  uint64_t timer_generation = 0;
  std::optional<clock::time_point> timer_at;
};

/// Starts delivering. `start_after` is the position to deliver after (the
/// caller resolved `start_from::now` with the dispatcher's head).
/// `progress` is where its supervisor restarts it should it crash: the
/// subscription keeps its checkpoint there (every event up to it settled).
subscription_actor::behavior_type
subscription(subscription_actor::stateful_pointer<subscription_state> self,
             subscription_spec spec, int64_t start_after, caf::actor node,
             pool_actor pool, dispatcher_actor dispatcher,
             std::shared_ptr<registry::catalog_source> catalog,
             std::shared_ptr<std::atomic<int64_t>> progress);

} // namespace es
