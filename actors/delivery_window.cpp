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
  queued_.emplace(position, entry{std::move(partition), 0, 0, time_point{},
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
  // Partitions whose later events wait: one with an event in flight before
  // this call (busy_partitions_), or with an earlier queued event that
  // cannot go now. `mine`: partitions taken into this batch, whose later
  // events may follow them into it.
  std::unordered_set<std::string_view> blocked;
  std::unordered_set<std::string_view> mine;
  for (auto it = queued_.begin(); it != queued_.end() && out.size() < max;) {
    auto& e = it->second;
    bool partitioned = !e.partition.empty();
    std::string_view part = e.partition;
    if (partitioned
        && (blocked.count(part) != 0
            || (mine.count(part) == 0
                && busy_partitions_.find(part) != busy_partitions_.end()))) {
      ++it;
      continue;
    }
    bool due = e.at <= now;
    if (!due || (accepts && !accepts(part))) {
      if (partitioned)
        blocked.insert(part);
      else if (due)
        break; // refused: so is every later event without a partition
      ++it;
      continue;
    }
    auto node = queued_.extract(it++);
    if (node.mapped().at != time_point{})
      retries_.erase({node.mapped().at, node.key()});
    node.mapped().attempts += 1;
    node.mapped().owner = owner;
    node.mapped().at = now + opts_.ack_timeout;
    deadlines_.emplace(node.mapped().at, node.key());
    out.push_back(delivery{node.key(), node.mapped().partition,
                           node.mapped().attempts, node.mapped().event});
    auto placed = in_flight_.insert(std::move(node)).position;
    if (partitioned) {
      // The view must outlive the moved node: it points into in_flight_.
      std::string_view stable = placed->second.partition;
      ++busy_partitions_[placed->second.partition];
      mine.insert(stable);
    }
  }
  return out;
}

void delivery_window::landed(int64_t position, const entry& e) {
  deadlines_.erase({e.at, position});
  if (e.partition.empty())
    return;
  auto it = busy_partitions_.find(e.partition);
  if (it != busy_partitions_.end() && --it->second == 0)
    busy_partitions_.erase(it);
}

bool delivery_window::ack(int64_t position) {
  auto it = in_flight_.find(position);
  if (it == in_flight_.end())
    return false;
  landed(position, it->second);
  in_flight_.erase(it);
  ++settled_since_save_;
  return true;
}

std::optional<parked> delivery_window::fail(int64_t position, entry e,
                                            time_point now,
                                            std::string reason) {
  if (e.attempts >= opts_.max_attempts) {
    ++settled_since_save_;
    return parked{position, e.attempts, std::move(reason)};
  }
  auto delay = opts_.retry_delay;
  for (uint32_t k = 1; k < e.attempts && delay < opts_.retry_delay_max; ++k)
    delay *= 2;
  e.at = now + std::min(delay, opts_.retry_delay_max);
  retries_.emplace(e.at, position);
  queued_.emplace(position, std::move(e));
  return std::nullopt;
}

std::optional<parked> delivery_window::nack(int64_t position, time_point now,
                                            std::string reason) {
  auto it = in_flight_.find(position);
  if (it == in_flight_.end())
    return std::nullopt;
  landed(position, it->second);
  auto e = std::move(it->second);
  in_flight_.erase(it);
  return fail(position, std::move(e), now, std::move(reason));
}

std::vector<parked>
delivery_window::expire(time_point now,
                        std::vector<std::pair<int64_t, uint32_t>>* expired) {
  std::vector<parked> out;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    auto position = deadlines_.begin()->second;
    auto it = in_flight_.find(position);
    if (expired != nullptr)
      expired->emplace_back(position, it->second.owner);
    landed(position, it->second);
    auto e = std::move(it->second);
    in_flight_.erase(it);
    auto why = "not acknowledged within "
               + std::to_string(std::chrono::duration_cast<
                                    std::chrono::milliseconds>(
                                    opts_.ack_timeout)
                                    .count())
               + " ms (attempt " + std::to_string(e.attempts) + ")";
    if (auto p = fail(position, std::move(e), now, std::move(why)))
      out.push_back(std::move(*p));
  }
  return out;
}

void delivery_window::release(const std::vector<int64_t>& positions) {
  for (auto position : positions) {
    auto node = in_flight_.extract(position);
    if (node.empty())
      continue;
    landed(position, node.mapped());
    node.mapped().attempts -= 1; // the attempt did not happen
    node.mapped().at = time_point{};
    queued_.insert(std::move(node));
  }
}

std::optional<uint32_t> delivery_window::owner_of(int64_t position) const {
  auto it = in_flight_.find(position);
  if (it == in_flight_.end())
    return std::nullopt;
  return it->second.owner;
}

std::vector<int64_t> delivery_window::in_flight_at(uint32_t owner) const {
  std::vector<int64_t> out;
  for (auto& [position, e] : in_flight_)
    if (e.owner == owner)
      out.push_back(position);
  return out;
}

std::optional<uint32_t> delivery_window::attempt_of(int64_t position) const {
  auto it = in_flight_.find(position);
  if (it == in_flight_.end())
    return std::nullopt;
  return it->second.attempts;
}

int64_t delivery_window::checkpoint() const noexcept {
  auto lowest = head_ + 1;
  if (!queued_.empty())
    lowest = std::min(lowest, queued_.begin()->first);
  if (!in_flight_.empty())
    lowest = std::min(lowest, in_flight_.begin()->first);
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
delivery_window::next_wakeup() const {
  std::optional<time_point> out;
  if (!deadlines_.empty())
    out = deadlines_.begin()->first;
  if (!retries_.empty() && (!out || retries_.begin()->first < *out))
    out = retries_.begin()->first;
  return out;
}

} // namespace es
