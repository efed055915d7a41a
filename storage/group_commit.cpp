#include "storage/group_commit.hpp"

#include "messages/error.hpp"
#include "storage/input.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace es::storage {

caf::error validate(const commit_queue_options& opts) {
  auto bad = [](const char* name) {
    return make_error(ec::invalid_argument, std::string{"option store."} +
                                                name + ": must be at least 1");
  };
  if (opts.max_group_events == 0)
    return bad("group-commit-max-events");
  if (opts.max_group_bytes == 0)
    return bad("group-commit-max-bytes");
  if (opts.min_parallel_group == 0)
    return bad("group-commit-min-parallel");
  if (opts.min_parallel_events == 0)
    return bad("group-commit-min-parallel-events");
  if (opts.max_queue_items == 0)
    return bad("outage-queue-max-items");
  if (opts.max_queue_bytes == 0)
    return bad("outage-queue-max-bytes");
  return {};
}

commit_queue::commit_queue(commit_queue_options opts) : opts_(opts) {
  // nop
}

caf::error commit_queue::enqueue(pending item, time_point now) {
  auto what = [&] {
    return "append " + std::to_string(item.id) + " to stream " +
           excerpt(item.stream) + " (" + std::to_string(item.events) +
           " events, " + std::to_string(item.bytes) + " bytes)";
  };
  if (item.deadline <= now)
    return make_error(ec::timeout,
                      what() + ": deadline passed before it was queued");
  // bytes_ never exceeds the bound, so the subtraction cannot wrap.
  if (size_ >= opts_.max_queue_items ||
      item.bytes >
          opts_.max_queue_bytes - std::min(bytes_, opts_.max_queue_bytes))
    return make_error(ec::unavailable,
                      "queue full: " + std::to_string(size_) + " items / " +
                          std::to_string(bytes_) + " bytes queued, bound " +
                          std::to_string(opts_.max_queue_items) + " items / " +
                          std::to_string(opts_.max_queue_bytes) +
                          " bytes; rejected " + what());
  auto [i, added] = queues_.try_emplace(item.stream);
  if (added)
    turns_.push_back(item.stream);
  ++size_;
  bytes_ += item.bytes;
  events_ += item.events;
  deadlines_.insert(item.deadline);
  i->second.push_back(std::move(item));
  return {};
}

std::vector<pending> commit_queue::next_group(time_point now) {
  std::vector<pending> group;
  size_t events = 0;
  size_t bytes = 0;
  // Streams that can contribute nothing more to this group. They keep their
  // turn: first in line for the next group.
  std::deque<std::string> held;
  while (!turns_.empty()) {
    if (!group.empty() &&
        (events >= opts_.max_group_events || bytes >= opts_.max_group_bytes))
      break;
    auto key = std::move(turns_.front());
    turns_.pop_front();
    auto i = queues_.find(key);
    auto& queue = i->second;
    auto& item = queue.front();
    // Inside the bounds here unless the group is empty, so no wrap-around.
    auto fits =
        group.empty() || (item.events <= opts_.max_group_events - events &&
                          item.bytes <= opts_.max_group_bytes - bytes);
    if (!fits || item.deadline <= now) {
      held.push_back(std::move(key));
      continue;
    }
    events += item.events;
    bytes += item.bytes;
    --size_;
    bytes_ -= item.bytes;
    events_ -= item.events;
    forget_deadline(item.deadline);
    group.push_back(std::move(item));
    queue.pop_front();
    if (queue.empty())
      queues_.erase(i);
    else
      turns_.push_back(std::move(key)); // Its next append waits a round.
  }
  turns_.insert(turns_.begin(), std::make_move_iterator(held.begin()),
                std::make_move_iterator(held.end()));
  return group;
}

std::vector<pending> commit_queue::expire(time_point now) {
  std::vector<pending> result;
  if (deadlines_.empty() || *deadlines_.begin() > now)
    return result;
  auto expired = [now](const pending& x) { return x.deadline <= now; };
  std::deque<std::string> turns;
  for (auto& key : turns_) {
    auto i = queues_.find(key);
    auto& queue = i->second;
    if (std::any_of(queue.begin(), queue.end(), expired)) {
      std::deque<pending> kept;
      for (auto& x : queue) {
        if (expired(x)) {
          --size_;
          bytes_ -= x.bytes;
          events_ -= x.events;
          result.push_back(std::move(x));
        } else {
          kept.push_back(std::move(x));
        }
      }
      queue = std::move(kept);
    }
    if (queue.empty())
      queues_.erase(i);
    else
      turns.push_back(std::move(key));
  }
  turns_ = std::move(turns);
  deadlines_.erase(deadlines_.begin(), deadlines_.upper_bound(now));
  return result;
}

std::optional<commit_queue::time_point> commit_queue::next_deadline() const {
  if (deadlines_.empty())
    return std::nullopt;
  return *deadlines_.begin();
}

void commit_queue::forget_deadline(time_point deadline) {
  if (auto i = deadlines_.find(deadline); i != deadlines_.end())
    deadlines_.erase(i);
}

} // namespace es::storage
