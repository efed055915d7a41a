// Group commit: the appends waiting for the next transaction.
//
// While one transaction is in flight, appends from many streams queue up in
// a `commit_queue`; when the connection is free again (or PostgreSQL comes
// back after an outage) the owner takes the next group with `next_group` and
// writes it in one transaction, each append with its own expected-version
// check, so a conflict in one stream fails only that append (the rest of the
// group is retried without it: storage/event_store.hpp).
//
// When to start a group is the queue's call too (`ready`): at once when no
// group is in flight, else only once `min_parallel_group` appends or
// `min_parallel_events` events wait, so that under load small appends make
// the groups grow instead of the number of concurrent transactions (which
// share the same CPUs with less to amortize), while large appends, which
// fill a transaction on their own, still use every connection.
//
// Groups are fair and bounded. Streams take turns (round-robin), each
// contributing its oldest waiting append before any stream contributes a
// second one, so a hot stream or a bulk import cannot starve other games.
// Within a stream, appends leave in arrival order (several of one stream may
// share a group, in order): a stream whose oldest append does not fit into
// the group contributes nothing more to it, and it is first in line for the
// next group. A group holds at most `max_group_events` events and
// `max_group_bytes` bytes, but always at least one append, so an append
// larger than the bounds still commits, alone. The turn order carries over
// from group to group.
//
// The queue itself is bounded by `max_queue_items` appends and
// `max_queue_bytes` bytes; `enqueue` past the bound fails at once with
// `ec::unavailable`. The same queue is the outage queue: while PostgreSQL is
// unreachable nothing is taken and appends wait up to their deadline;
// `expire` removes those past it for the owner to fail with `ec::timeout`.
//
// The queue holds only what it needs to schedule (`pending`); the owner
// keeps the payloads by id. Ids are the owner's and must be unique among
// queued appends. Time is an argument, never read from a clock. Owned by one
// actor (the connection supervisor). Not thread-safe.
#pragma once

#include "config/defaults.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace es::storage {

/// One append waiting for a transaction.
struct pending {
  /// The owner's handle for the append (and its payload).
  uint64_t id = 0;
  std::string stream;
  /// Events and encoded bytes of the append: what counts against the bounds.
  size_t events = 0;
  size_t bytes = 0;
  /// When the caller stops waiting; from then on the append is expired.
  std::chrono::steady_clock::time_point deadline;
};

struct commit_queue_options {
  /// Most events in one group (unless a single append has more). >= 1.
  size_t max_group_events = defaults::group_commit_max_events;
  /// Most bytes in one group (unless a single append has more). >= 1.
  size_t max_group_bytes = defaults::group_commit_max_bytes;
  /// Appends that must wait before a group starts beside one in flight.
  /// >= 1 (1: start a group whenever a connection is free).
  size_t min_parallel_group = defaults::group_commit_min_parallel;
  /// Or events that must wait, whatever the number of appends. >= 1.
  size_t min_parallel_events = defaults::group_commit_min_parallel_events;
  /// Most appends waiting. >= 1.
  size_t max_queue_items = defaults::outage_queue_max_items;
  /// Most bytes waiting. >= 1.
  size_t max_queue_bytes = defaults::outage_queue_max_bytes;
};

/// Returns an `ec::invalid_argument` error naming the first option out of
/// range, or an empty error.
caf::error validate(const commit_queue_options& opts);

class commit_queue {
public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Precondition: `validate(opts)` is empty.
  explicit commit_queue(commit_queue_options opts = {});

  /// Queues `item` behind the stream's earlier appends. Fails, queuing
  /// nothing, with `ec::unavailable` ("queue full: N items / M bytes
  /// queued, ...") when the item would exceed `max_queue_items` or
  /// `max_queue_bytes`, and with `ec::timeout` when its deadline has already
  /// passed at `now`.
  caf::error enqueue(pending item, time_point now);

  /// Removes and returns the next group, fairly and within the group bounds
  /// (see above); empty when nothing can be taken. Never returns an append
  /// whose deadline is at or before `now` (its caller is about to be told
  /// "timeout", so it must not be written); such an append stays queued, and
  /// holds back its stream, until `expire` removes it: call `expire(now)`
  /// first.
  std::vector<pending> next_group(time_point now);

  /// Whether a free connection should take a group now, with `in_flight`
  /// groups being written: something waits, and either nothing is in
  /// flight, or at least `min_parallel_group` appends or
  /// `min_parallel_events` events wait.
  bool ready(size_t in_flight) const noexcept {
    return size_ > 0
           && (in_flight == 0 || size_ >= opts_.min_parallel_group
               || events_ >= opts_.min_parallel_events);
  }

  /// Removes and returns every append whose deadline is at or before `now`,
  /// in arrival order per stream. Cheap when nothing has expired.
  std::vector<pending> expire(time_point now);

  /// The earliest deadline of any queued append, for the owner's timer.
  std::optional<time_point> next_deadline() const;

  /// Appends waiting.
  size_t size() const noexcept { return size_; }

  /// Bytes waiting.
  size_t bytes() const noexcept { return bytes_; }

  /// Events waiting.
  size_t events() const noexcept { return events_; }

  bool empty() const noexcept { return size_ == 0; }

  /// Streams with at least one waiting append.
  size_t streams() const noexcept { return queues_.size(); }

  const commit_queue_options& options() const noexcept { return opts_; }

private:
  void forget_deadline(time_point deadline);

  commit_queue_options opts_;
  /// Waiting appends per stream, oldest first. No empty queues.
  std::unordered_map<std::string, std::deque<pending>> queues_;
  /// Whose turn it is: every key of `queues_` exactly once.
  std::deque<std::string> turns_;
  /// Every queued deadline (with repetitions), for `expire` and
  /// `next_deadline` in O(log n).
  std::multiset<time_point> deadlines_;
  size_t size_ = 0;
  size_t bytes_ = 0;
  size_t events_ = 0;
};

} // namespace es::storage
