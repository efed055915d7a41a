#include "actors/delivery_window.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <unordered_set>

namespace es {

caf::error validate(const delivery_options& opts) {
  auto bad = [](const char* name, const char* rule) {
    return make_error(ec::invalid_argument, std::string{"option subscription."}
                                                + name + ": " + rule);
  };
  using zero = delivery_options::duration;
  if (opts.max_buffered == 0)
    return bad("max-buffered", "must be at least 1");
  if (opts.max_attempts == 0)
    return bad("max-attempts", "must be at least 1");
  if (opts.ack_timeout <= zero::zero())
    return bad("ack-timeout", "must be greater than 0");
  if (opts.retry_delay <= zero::zero())
    return bad("retry-delay", "must be greater than 0");
  if (opts.retry_delay_max < opts.retry_delay)
    return bad("retry-delay-max", "must be at least retry-delay");
  if (opts.checkpoint_every == 0)
    return bad("checkpoint-every", "must be at least 1");
  if (opts.checkpoint_interval <= zero::zero())
    return bad("checkpoint-interval", "must be greater than 0");
  return {};
}

delivery_window::delivery_window(delivery_options opts, int64_t checkpoint,
                                 time_point now)
  : opts_(opts), head_(checkpoint), saved_(checkpoint), saved_at_(now) {
  // nop
}

bool delivery_window::offer(int64_t position, std::string partition,
                            event_ptr event) {
  if (position <= head_ || full())
    return false;
  head_ = position;
  entries_.push_back(entry{position, std::move(partition), 0, 0, false, false,
                           time_point{}, std::move(event)});
  ++live_;
  return true;
}

void delivery_window::scanned(int64_t position) {
  head_ = std::max(head_, position);
}

std::optional<delivery> delivery_window::next(time_point now,
                                              const accept_fn& accepts) {
  auto one = next_batch(now, 1, accepts);
  if (one.empty())
    return std::nullopt;
  return std::move(one.front());
}

std::vector<delivery> delivery_window::next_batch(time_point now, size_t max,
                                                  const accept_fn& accepts,
                                                  uint32_t owner) {
  std::vector<delivery> out;
  if (in_flight_ == live_)
    return out; // nothing queued
  out.reserve(std::min(max, live_ - in_flight_));
  // Partitions whose later events wait: one with an event in flight before
  // this call (busy_partitions_), or with an earlier queued event that
  // cannot go now. `mine`: partitions taken into this batch, whose later
  // events may follow them into it.
  std::unordered_set<std::string_view> blocked;
  std::unordered_set<std::string_view> mine;
  auto deadline = now + opts_.ack_timeout;
  // The first queued event left behind: where the next call starts.
  std::optional<int64_t> left;
  auto it = std::lower_bound(
      entries_.begin(), entries_.end(), queued_from_,
      [](const entry& e, int64_t p) { return e.position < p; });
  for (; it != entries_.end() && out.size() < max; ++it) {
    auto& e = *it;
    if (e.settled || e.in_flight)
      continue;
    bool partitioned = !e.partition.empty();
    std::string_view part = e.partition; // stable: entries never move
    if (partitioned
        && (blocked.count(part) != 0
            || (mine.count(part) == 0
                && busy_partitions_.find(part) != busy_partitions_.end()))) {
      left = left.value_or(e.position);
      continue;
    }
    bool due = e.at <= now;
    if (!due || (accepts && !accepts(part))) {
      left = left.value_or(e.position);
      if (partitioned)
        blocked.insert(part);
      else if (due)
        break; // refused: so is every later event without a partition
      continue;
    }
    if (e.at != time_point{})
      retries_.erase({e.at, e.position});
    e.attempts += 1;
    e.owner = owner;
    e.in_flight = true;
    e.at = deadline;
    ++in_flight_;
    out.push_back(delivery{e.position, e.partition, e.attempts, e.event});
    if (partitioned) {
      ++busy_partitions_[e.partition];
      mine.insert(part);
    }
  }
  if (left)
    queued_from_ = *left;
  else
    queued_from_ = it == entries_.end() ? head_ + 1 : it->position;
  if (!out.empty()) {
    batch b{deadline, {}};
    b.positions.reserve(out.size());
    for (auto& d : out)
      b.positions.push_back(d.position);
    batches_.push_back(std::move(b));
  }
  return out;
}

bool delivery_window::in_flight_for(int64_t position,
                                    time_point deadline) const {
  auto* e = find(position, true);
  return e != nullptr && e->at == deadline;
}

void delivery_window::drop_settled_batches() {
  while (!batches_.empty()) {
    auto& front = batches_.front();
    auto live = std::any_of(front.positions.begin(), front.positions.end(),
                            [&](int64_t p) {
                              return in_flight_for(p, front.deadline);
                            });
    if (live)
      return;
    batches_.pop_front();
  }
}

const delivery_window::entry*
delivery_window::find(int64_t position, bool in_flight_only) const {
  auto it = std::lower_bound(
      entries_.begin(), entries_.end(), position,
      [](const entry& e, int64_t p) { return e.position < p; });
  if (it == entries_.end() || it->position != position || it->settled
      || (in_flight_only && !it->in_flight))
    return nullptr;
  return &*it;
}

delivery_window::entry* delivery_window::find(int64_t position,
                                              bool in_flight_only) {
  return const_cast<entry*>(
      static_cast<const delivery_window*>(this)->find(position,
                                                      in_flight_only));
}

void delivery_window::landed(entry& e) {
  e.in_flight = false;
  --in_flight_;
  if (e.partition.empty())
    return;
  auto busy = busy_partitions_.find(e.partition);
  if (busy != busy_partitions_.end() && --busy->second == 0)
    busy_partitions_.erase(busy);
}

void delivery_window::settle(entry& e) {
  e.settled = true;
  e.event.reset();
  std::string{}.swap(e.partition);
  --live_;
  ++tombstones_;
  while (!entries_.empty() && entries_.front().settled) {
    entries_.pop_front();
    --tombstones_;
  }
  if (tombstones_ > 64 && tombstones_ > live_) {
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                  [](const entry& x) { return x.settled; }),
                   entries_.end());
    tombstones_ = 0;
  }
}

bool delivery_window::ack(int64_t position) {
  auto* e = find(position, true);
  if (e == nullptr)
    return false;
  landed(*e);
  settle(*e);
  ++settled_since_save_;
  return true;
}

std::optional<parked> delivery_window::fail(entry& e, time_point now,
                                            std::string reason) {
  if (e.attempts >= opts_.max_attempts) {
    ++settled_since_save_;
    parked out{e.position, e.attempts, std::move(reason)};
    settle(e);
    return out;
  }
  auto delay = opts_.retry_delay;
  for (uint32_t k = 1; k < e.attempts && delay < opts_.retry_delay_max; ++k)
    delay *= 2;
  e.at = now + std::min(delay, opts_.retry_delay_max);
  retries_.emplace(e.at, e.position);
  requeued(e.position);
  return std::nullopt;
}

std::optional<parked> delivery_window::nack(int64_t position, time_point now,
                                            std::string reason) {
  auto* e = find(position, true);
  if (e == nullptr)
    return std::nullopt;
  landed(*e);
  return fail(*e, now, std::move(reason));
}

std::vector<parked>
delivery_window::expire(time_point now,
                        std::vector<std::pair<int64_t, uint32_t>>* expired) {
  std::vector<parked> out;
  drop_settled_batches();
  while (!batches_.empty() && batches_.front().deadline <= now) {
    auto due = std::move(batches_.front());
    batches_.pop_front();
    for (auto position : due.positions) {
      auto* e = find(position, true);
      if (e == nullptr || e->at != due.deadline)
        continue; // settled, or out again in a later batch
      if (expired != nullptr)
        expired->emplace_back(position, e->owner);
      auto attempts = e->attempts;
      landed(*e);
      auto why = "not acknowledged within "
                 + std::to_string(std::chrono::duration_cast<
                                      std::chrono::milliseconds>(
                                      opts_.ack_timeout)
                                      .count())
                 + " ms (attempt " + std::to_string(attempts) + ")";
      if (auto p = fail(*e, now, std::move(why)))
        out.push_back(std::move(*p));
    }
    drop_settled_batches();
  }
  return out;
}

void delivery_window::release(const std::vector<int64_t>& positions) {
  for (auto position : positions) {
    auto* e = find(position, true);
    if (e == nullptr)
      continue;
    landed(*e);
    e->attempts -= 1; // the attempt did not happen
    e->at = time_point{};
    requeued(position);
  }
}

std::optional<uint32_t> delivery_window::owner_of(int64_t position) const {
  auto* e = find(position, true);
  if (e == nullptr)
    return std::nullopt;
  return e->owner;
}

std::vector<int64_t> delivery_window::in_flight_at(uint32_t owner) const {
  std::vector<int64_t> out;
  for (auto& e : entries_)
    if (!e.settled && e.in_flight && e.owner == owner)
      out.push_back(e.position);
  return out;
}

std::optional<uint32_t> delivery_window::attempt_of(int64_t position) const {
  auto* e = find(position, true);
  if (e == nullptr)
    return std::nullopt;
  return e->attempts;
}

int64_t delivery_window::checkpoint() const noexcept {
  auto lowest = entries_.empty() ? head_ + 1 : entries_.front().position;
  return std::max(saved_, lowest - 1);
}

bool delivery_window::checkpoint_due(time_point now) const noexcept {
  if (checkpoint() <= saved_)
    return false;
  return settled_since_save_ >= opts_.checkpoint_every
         || now - saved_at_ >= opts_.checkpoint_interval;
}

void delivery_window::checkpoint_saved(int64_t position, time_point now) {
  saved_ = std::max(saved_, position);
  settled_since_save_ = 0;
  saved_at_ = now;
}

std::optional<delivery_window::time_point>
delivery_window::checkpoint_deadline() const noexcept {
  if (checkpoint() <= saved_)
    return std::nullopt;
  return saved_at_ + opts_.checkpoint_interval;
}

std::optional<delivery_window::time_point>
delivery_window::next_wakeup() {
  drop_settled_batches();
  std::optional<time_point> out;
  if (!batches_.empty())
    out = batches_.front().deadline;
  if (!retries_.empty() && (!out || retries_.begin()->first < *out))
    out = retries_.begin()->first;
  return out;
}

} // namespace es
