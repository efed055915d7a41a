// What a subscription has handed out and what came back, as pure logic (the
// core of the subscription actor, tested without actors).
//
// Delivery is at least once, with acknowledgements:
//
// - Events enter in global-position order (`offer`), each with a partition
//   key (empty: no partition). The window holds at most `max_buffered`
//   events (queued plus in flight); `offer` refuses past that, and the
//   owner stops holding events in memory and reads them from the database
//   again once there is room (a slow subscriber never grows memory).
// - `next` hands out the earliest event that may go now: its retry time
//   has come, the owner accepts its partition (e.g. the subscriber that owns
//   the partition has room in its `buffer_size`), and no earlier event of
//   the same non-empty partition is queued or in flight. So events of one
//   partition go out one at a time, in order; events without a partition go
//   out in position order, several at once.
// - `ack(position)` settles an event. `nack(position)`, and every event not
//   acknowledged by its deadline (`expire`), is tried again after a backoff
//   (`retry_delay` doubled per attempt, capped at `retry_delay_max`), keeping
//   its place before later events of its partition; the attempt that would
//   exceed `max_attempts` parks it instead: it is settled and returned to
//   the owner, which records it in the parked-events table.
// - `release(positions)` puts events back without counting an attempt (their
//   subscriber died; the next one gets them first).
// - The checkpoint is the highest position P such that every event up to P
//   is settled (acknowledged or parked) or was never offered because the
//   owner's reader passed it (`scanned`). A restart from the checkpoint
//   loses nothing; events after it may be delivered again (at least once).
//   `checkpoint_due` batches the writes: after `checkpoint_every` settled
//   events or `checkpoint_interval`, whichever comes first, and only when
//   the checkpoint moved.
//
// Time is an argument, never read from a clock; it never goes back from
// one call to the next. Owned by one actor. Not thread-safe.
#pragma once

#include "config/defaults.hpp"
#include "messages/event.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory_resource>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace es {

struct delivery_options {
  using duration = std::chrono::steady_clock::duration;
  /// Events queued and in flight, at most. >= 1.
  size_t max_buffered = defaults::subscription_max_buffered;
  /// Deliveries of one event, at most, before it is parked. >= 1.
  uint32_t max_attempts = defaults::subscription_max_attempts;
  /// How long a subscriber has to acknowledge. > 0.
  duration ack_timeout = defaults::subscription_ack_timeout;
  /// The delay before the first retry; doubles per attempt. > 0.
  duration retry_delay = defaults::subscription_retry_delay;
  /// Cap on the retry delay. >= retry_delay.
  duration retry_delay_max = defaults::subscription_retry_delay_max;
  /// Settled events after which the checkpoint is due. >= 1.
  size_t checkpoint_every = defaults::subscription_checkpoint_every;
  /// Time after which a moved checkpoint is due. > 0.
  duration checkpoint_interval = defaults::subscription_checkpoint_interval;
};

/// Returns an `ec::invalid_argument` error naming the first option out of
/// range, or an empty error.
caf::error validate(const delivery_options& opts);

/// One event handed to a subscriber.
struct delivery {
  int64_t position = 0;
  std::string partition;
  /// 1 for the first delivery.
  uint32_t attempt = 0;
  /// What the owner offered with it.
  event_ptr event;
};

/// An event that failed `max_attempts` deliveries.
struct parked {
  int64_t position = 0;
  uint32_t attempts = 0;
  std::string reason;
};

class delivery_window {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;

  /// Starts after `checkpoint` (everything up to it is handled).
  /// Precondition: `validate(opts)` is empty.
  delivery_window(delivery_options opts, int64_t checkpoint, time_point now);

  delivery_window(const delivery_window&) = delete;
  delivery_window& operator=(const delivery_window&) = delete;

  /// Queues the event at `position`, which must be above every position
  /// offered or scanned so far (else it is ignored and false returned, as
  /// it is when the window is full: `full()`). `event` is the owner's
  /// payload, held until the event is settled and handed back with it.
  bool offer(int64_t position, std::string partition, event_ptr event = {});

  /// The owner's reader has seen every event up to `position`; those not
  /// offered do not match the subscription. Lets the checkpoint move past
  /// them. Never moves back.
  void scanned(int64_t position);

  /// Decides whether the owner takes an event of a partition now.
  using accept_fn = std::function<bool(std::string_view partition)>;

  /// The next event to hand out at `now` whose partition `accepts` takes
  /// (default: any), marked in flight until `now + ack_timeout`.
  std::optional<delivery> next(time_point now, const accept_fn& accepts = {});

  /// Up to `max` events to hand out together at `now`, in position order,
  /// each as `next` would pick it, except that later events of a partition
  /// taken into this batch may join it (the batch goes to one subscriber,
  /// which handles it in order). `accepts` must give the same answer for
  /// every event of a partition during one call; for events without a
  /// partition, a refusal ends the batch.
  /// The events are in flight at `owner` (the owner's tag for the
  /// subscriber that gets them; see `owner_of`).
  std::vector<delivery> next_batch(time_point now, size_t max,
                                   const accept_fn& accepts = {},
                                   uint32_t owner = 0);

  /// Settles an in-flight event. False when `position` is not in flight
  /// (already settled, or never delivered): nothing changes.
  bool ack(int64_t position);

  /// A subscriber gave up on an in-flight event: retried later or parked
  /// (then returned). Nothing when `position` is not in flight.
  std::optional<parked> nack(int64_t position, time_point now,
                             std::string reason);

  /// Treats every in-flight event past its deadline as nacked ("not
  /// acknowledged within N ms"); returns those parked, and adds the
  /// position of every expired event, and the owner it was in flight at,
  /// to `expired` if given.
  std::vector<parked>
  expire(time_point now,
         std::vector<std::pair<int64_t, uint32_t>>* expired = nullptr);

  /// Puts in-flight events back at the head of their partitions, with no
  /// attempt counted. Positions not in flight are ignored.
  void release(const std::vector<int64_t>& positions);

  /// The attempt of the event at `position` if it is in flight (answers
  /// that arrive for an older attempt are stale).
  std::optional<uint32_t> attempt_of(int64_t position) const;

  /// The owner the event at `position` is in flight at, if it is.
  std::optional<uint32_t> owner_of(int64_t position) const;

  /// The positions in flight at `owner`, in order.
  std::vector<int64_t> in_flight_at(uint32_t owner) const;

  /// See the header comment.
  int64_t checkpoint() const noexcept;
  bool checkpoint_due(time_point now) const noexcept;
  /// The owner stored `position` as the checkpoint at `now`.
  void checkpoint_saved(int64_t position, time_point now);

  /// When a moved checkpoint falls due by time (nothing when it has not
  /// moved since the last save).
  std::optional<time_point> checkpoint_deadline() const noexcept;

  /// The last checkpoint the owner stored.
  int64_t saved_checkpoint() const noexcept { return saved_; }

  /// When `next` or `expire` may have something new without another call
  /// in between (the earliest retry time or ack deadline), if any.
  std::optional<time_point> next_wakeup();

  bool full() const noexcept { return size() >= opts_.max_buffered; }
  size_t size() const noexcept { return live_; }
  size_t queued() const noexcept { return live_ - in_flight_; }
  size_t in_flight() const noexcept { return in_flight_; }
  /// The highest position offered or scanned.
  int64_t head() const noexcept { return head_; }
  const delivery_options& options() const noexcept { return opts_; }

private:
  /// An event offered and not yet settled; settled ones stay behind as
  /// tombstones (no payload) until they reach the front or `compact` drops
  /// them, so an entry never moves while it is live.
  struct entry {
    int64_t position = 0;
    std::string partition;
    /// Deliveries so far.
    uint32_t attempts = 0;
    /// In flight: at which owner.
    uint32_t owner = 0;
    bool in_flight = false;
    bool settled = false;
    /// Not before (retries), or the ack deadline (in flight).
    time_point at;
    event_ptr event;
  };

  /// The live entry at `position` (in flight, when asked), or null. The
  /// pointer is good until the next settlement.
  entry* find(int64_t position, bool in_flight_only);
  const entry* find(int64_t position, bool in_flight_only) const;

  /// Takes `e` out of flight (bookkeeping of `busy_partitions_`).
  void landed(entry& e);

  /// Back to the queue after a failed attempt, or parked (then settled).
  std::optional<parked> fail(entry& e, time_point now, std::string reason);

  /// Settles `e`: a tombstone, dropped from the front at once and from the
  /// middle once tombstones outnumber the live entries.
  void settle(entry& e);

  /// `position` is queued again: `next_batch` must look from there.
  void requeued(int64_t position) noexcept {
    queued_from_ = std::min(queued_from_, position);
  }

  delivery_options opts_;
  /// Recycles the nodes of `retries_`. Declared first: destroyed after it.
  std::pmr::unsynchronized_pool_resource nodes_;
  /// Every event offered, by position (offers come in position order, so
  /// appending keeps it sorted; lookups are binary searches). The front is
  /// always live: the lowest event not settled.
  std::deque<entry> entries_;
  size_t live_ = 0;
  size_t tombstones_ = 0;
  /// No queued entry lies below this position (a hint for `next_batch`,
  /// which would otherwise walk past every event in flight each call).
  int64_t queued_from_ = 0;
  size_t in_flight_ = 0;
  /// The events handed out by one `next_batch` call, which share their ack
  /// deadline. In call order, so by deadline too (time only moves forward
  /// and `ack_timeout` is fixed). A position in a batch is still in flight
  /// for it while its entry is in flight with that deadline (else it was
  /// settled, or handed out again in a later batch). `expire` looks at the
  /// front only; settled batches leave the front as soon as they are
  /// (`drop_settled_batches`), so the queue holds about the batches in
  /// flight, and a settlement costs no bookkeeping of its own.
  struct batch {
    time_point deadline;
    std::vector<int64_t> positions;
  };
  std::deque<batch> batches_;
  /// (not before, position) of every queued retry.
  std::pmr::set<std::pair<time_point, int64_t>> retries_{&nodes_};

  /// Whether the event at `position` is in flight for a batch due at
  /// `deadline`.
  bool in_flight_for(int64_t position, time_point deadline) const;

  /// Pops the front batches that have nothing in flight any more.
  void drop_settled_batches();
  /// Events in flight per non-empty partition.
  std::map<std::string, size_t, std::less<>> busy_partitions_;
  int64_t head_ = 0;
  int64_t saved_ = 0;
  size_t settled_since_save_ = 0;
  time_point saved_at_;
};

} // namespace es
