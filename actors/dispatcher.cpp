#include "actors/dispatcher.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

namespace es {

namespace {

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;

void read_next(self_ptr self);

void arm_poll(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.poll_interval, timer_atom_v,
                     ++st.timer_generation);
}

/// Keeps the newest `backlog_limit` events.
void remember(dispatcher_state& st, const std::vector<recorded_event>& evs) {
  for (auto& ev : evs)
    st.backlog.push_back(ev);
  while (st.backlog.size() > st.backlog_limit) {
    st.backlog_after = st.backlog.front().global_position;
    st.backlog.pop_front();
  }
}

void on_page(self_ptr self, event_page& page) {
  auto& st = self->state;
  st.reading = false;
  auto from = st.head;
  auto upto = st.head;
  if (!page.events.empty())
    upto = page.events.back().global_position;
  if (page.end)
    upto = std::max(upto, page.horizon);
  if (upto > st.head) {
    remember(st, page.events);
    if (st.backlog.empty())
      st.backlog_after = upto;
    live_batch batch;
    batch.events = std::make_shared<const std::vector<recorded_event>>(
        std::move(page.events));
    batch.after = from;
    batch.upto = upto;
    st.head = upto;
    for (auto& [addr, member] : st.members)
      self->send(member, live_atom_v, batch);
  }
  if (!page.end || st.woken)
    read_next(self);
}

/// Reads the log after `head`, unless a read runs already or no one is
/// live (then nothing is read at all).
void read_next(self_ptr self) {
  auto& st = self->state;
  if (st.reading || st.members.empty())
    return;
  st.reading = true;
  st.woken = false;
  read_request req;
  req.what = read_request::target::all;
  req.from = st.head + 1;
  req.count = st.page_size;
  self->request(st.pool, caf::infinite, read_atom_v, std::move(req))
      .then([=](event_page& page) { on_page(self, page); },
            [=](caf::error& err) {
              self->state.reading = false;
              spdlog::warn("dispatcher: reading the log after {} failed: {}",
                           self->state.head, describe(err));
            });
}

} // namespace

dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
           pool_actor pool, std::chrono::milliseconds poll_interval,
           size_t backlog_limit, size_t page_size) {
  auto& init = self->state;
  init.pool = std::move(pool);
  init.poll_interval = poll_interval;
  init.backlog_limit = backlog_limit;
  init.page_size = page_size;
  self->set_down_handler([=](caf::down_msg& dm) {
    self->state.members.erase(dm.source);
  });
  arm_poll(self);
  return {
      [=](join_atom, subscription_actor& who,
          int64_t after) -> caf::result<join_reply> {
        auto& st = self->state;
        join_reply out;
        if (st.members.empty() && !st.reading) {
          // No one was live, so nothing was read: start where the newcomer
          // stands (it has read the log up to `after`).
          st.head = after;
          st.backlog.clear();
          st.backlog_after = after;
        }
        if (after < st.backlog_after)
          return out; // too far behind: not joined
        out.joined = true;
        out.backlog.after = after;
        out.backlog.upto = std::max(after, st.head);
        std::vector<recorded_event> missing;
        for (auto& ev : st.backlog)
          if (ev.global_position > after)
            missing.push_back(ev);
        out.backlog.events =
            std::make_shared<const std::vector<recorded_event>>(
                std::move(missing));
        auto addr = who.address();
        if (st.members.emplace(addr, who).second)
          self->monitor(who);
        read_next(self);
        return out;
      },
      [=](leave_atom, subscription_actor& who) {
        auto& st = self->state;
        if (st.members.erase(who.address()) != 0)
          self->demonitor(who.address());
      },
      [=](wake_atom) {
        auto& st = self->state;
        if (st.reading)
          st.woken = true;
        else
          read_next(self);
      },
      [=](status_atom) { return self->state.head; },
      [=](timer_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.timer_generation)
          return;
        if (!st.reading)
          read_next(self);
        arm_poll(self);
      },
  };
}

} // namespace es
