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
  entries_.emplace_hint(entries_.end(), position,
                        entry{std::move(partition), 0, 0, false, time_point{},
                              std::move(event)});
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
  if (in_flight_ == entries_.size())
    return out; // nothing queued
  // Partitions whose later events wait: one with an event in flight before
  // this call (busy_partitions_), or with an earlier queued event that
  // cannot go now. `mine`: partitions taken into this batch, whose later
  // events may follow them into it.
  std::unordered_set<std::string_view> blocked;
  std::unordered_set<std::string_view> mine;
  auto deadline = now + opts_.ack_timeout;
  for (auto it = entries_.begin(); it != entries_.end() && out.size() < max;
       ++it) {
    auto& e = it->second;
    if (e.in_flight)
      continue;
    bool partitioned = !e.partition.empty();
    std::string_view part = e.partition; // stable: the node stays put
    if (partitioned
        && (blocked.count(part) != 0
            || (mine.count(part) == 0
                && busy_partitions_.find(part) != busy_partitions_.end())))
      continue;
    bool due = e.at <= now;
    if (!due || (accepts && !accepts(part))) {
      if (partitioned)
        blocked.insert(part);
      else if (due)
        break; // refused: so is every later event without a partition
      continue;
    }
    if (e.at != time_point{})
      retries_.erase({e.at, it->first});
    e.attempts += 1;
    e.owner = owner;
    e.in_flight = true;
    e.at = deadline;
    ++in_flight_;
    out.push_back(delivery{it->first, e.partition, e.attempts, e.event});
    if (partitioned) {
      ++busy_partitions_[e.partition];
      mine.insert(part);
    }
  }
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
  auto it = find_in_flight(position);
  return it != entries_.end() && it->second.at == deadline;
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

delivery_window::entry_map::iterator
delivery_window::find_in_flight(int64_t position) {
  auto it = entries_.find(position);
  return it != entries_.end() && it->second.in_flight ? it : entries_.end();
}

delivery_window::entry_map::const_iterator
delivery_window::find_in_flight(int64_t position) const {
  auto it = entries_.find(position);
  return it != entries_.end() && it->second.in_flight ? it : entries_.end();
}

void delivery_window::landed(entry_map::iterator it) {
  auto& e = it->second;
  e.in_flight = false;
  --in_flight_;
  if (e.partition.empty())
    return;
  auto busy = busy_partitions_.find(e.partition);
  if (busy != busy_partitions_.end() && --busy->second == 0)
    busy_partitions_.erase(busy);
}

bool delivery_window::ack(int64_t position) {
  auto it = find_in_flight(position);
  if (it == entries_.end())
    return false;
  landed(it);
  entries_.erase(it);
  ++settled_since_save_;
  return true;
}

std::optional<parked> delivery_window::fail(entry_map::iterator it,
                                            time_point now,
                                            std::string reason) {
  auto& e = it->second;
  if (e.attempts >= opts_.max_attempts) {
    ++settled_since_save_;
    parked out{it->first, e.attempts, std::move(reason)};
    entries_.erase(it);
    return out;
  }
  auto delay = opts_.retry_delay;
  for (uint32_t k = 1; k < e.attempts && delay < opts_.retry_delay_max; ++k)
    delay *= 2;
  e.at = now + std::min(delay, opts_.retry_delay_max);
  retries_.emplace(e.at, it->first);
  return std::nullopt;
}

std::optional<parked> delivery_window::nack(int64_t position, time_point now,
                                            std::string reason) {
  auto it = find_in_flight(position);
  if (it == entries_.end())
    return std::nullopt;
  landed(it);
  return fail(it, now, std::move(reason));
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
      if (!in_flight_for(position, due.deadline))
        continue; // settled, or out again in a later batch
      auto it = entries_.find(position);
      if (expired != nullptr)
        expired->emplace_back(position, it->second.owner);
      auto attempts = it->second.attempts;
      landed(it);
      auto why = "not acknowledged within "
                 + std::to_string(std::chrono::duration_cast<
                                      std::chrono::milliseconds>(
                                      opts_.ack_timeout)
                                      .count())
                 + " ms (attempt " + std::to_string(attempts) + ")";
      if (auto p = fail(it, now, std::move(why)))
        out.push_back(std::move(*p));
    }
    drop_settled_batches();
  }
  return out;
}

void delivery_window::release(const std::vector<int64_t>& positions) {
  for (auto position : positions) {
    auto it = find_in_flight(position);
    if (it == entries_.end())
      continue;
    landed(it);
    it->second.attempts -= 1; // the attempt did not happen
    it->second.at = time_point{};
  }
}

std::optional<uint32_t> delivery_window::owner_of(int64_t position) const {
  auto it = find_in_flight(position);
  if (it == entries_.end())
    return std::nullopt;
  return it->second.owner;
}

std::vector<int64_t> delivery_window::in_flight_at(uint32_t owner) const {
  std::vector<int64_t> out;
  for (auto& [position, e] : entries_)
    if (e.in_flight && e.owner == owner)
      out.push_back(position);
  return out;
}

std::optional<uint32_t> delivery_window::attempt_of(int64_t position) const {
  auto it = find_in_flight(position);
  if (it == entries_.end())
    return std::nullopt;
  return it->second.attempts;
}

int64_t delivery_window::checkpoint() const noexcept {
  auto lowest = entries_.empty() ? head_ + 1 : entries_.begin()->first;
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
