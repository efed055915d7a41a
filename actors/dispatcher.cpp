#include "actors/dispatcher.hpp"

#include <algorithm>

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

namespace es {

namespace {

using self_ptr = dispatcher_actor::stateful_pointer<dispatcher_state>;
using clock = dispatcher_state::clock;

void read_next(self_ptr self);

void arm_poll(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.config.poll_interval, timer_atom_v,
                     ++st.timer_generation);
}

/// Keeps the newest `backlog_limit` events.
void remember(dispatcher_state& st, const std::vector<event_ptr>& evs,
              const std::vector<std::pair<int64_t, std::string>>& bad) {
  auto b = bad.begin();
  for (auto& ev : evs) {
    dispatcher_state::entry e{ev, {}};
    if (b != bad.end() && b->first == ev->global_position)
      e.undeliverable = (b++)->second;
    st.backlog.push_back(std::move(e));
  }
  while (st.backlog.size() > st.config.backlog_limit) {
    st.backlog_after = st.backlog.front().event->global_position;
    st.backlog.pop_front();
  }
}

/// Reads now, or once the read interval has passed since the last read.
void schedule_read(self_ptr self) {
  auto& st = self->state;
  if (st.reading) {
    st.woken = true;
    return;
  }
  if (st.read_due)
    return; // the timer reads soon: one timer however many wakes
  auto due = st.last_read + read_interval_for(st.config, st.members.size());
  auto now = clock::now();
  if (now >= due) {
    read_next(self);
    return;
  }
  // The poll timer, brought forward to when the read may run.
  st.read_due = true;
  self->delayed_send(self, due - now, timer_atom_v, ++st.timer_generation);
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
    // Upcast once for every subscription.
    auto cat = st.catalog->current();
    auto events = std::make_shared<std::vector<event_ptr>>();
    auto bad = std::make_shared<std::vector<std::pair<int64_t, std::string>>>();
    events->reserve(page.events.size());
    for (auto& ev : page.events) {
      if (auto up = cat->upcast(ev); !up)
        bad->emplace_back(ev.global_position,
                          "cannot upcast: " + describe(up.error()));
      events->push_back(std::make_shared<const recorded_event>(std::move(ev)));
    }
    remember(st, *events, *bad);
    if (st.backlog.empty())
      st.backlog_after = upto;
    live_batch batch;
    batch.events = std::move(events);
    if (!bad->empty())
      batch.undeliverable = std::move(bad);
    batch.after = from;
    batch.upto = upto;
    st.head = upto;
    for (auto& [addr, member] : st.members)
      self->send(member, live_atom_v, batch);
  }
  if (!page.end) {
    read_next(self); // more to read at once
  } else if (st.woken) {
    st.woken = false;
    schedule_read(self);
  }
}

/// Reads the log after `head`, unless a read runs already or no one is
/// live (then nothing is read at all).
void read_next(self_ptr self) {
  auto& st = self->state;
  if (st.reading || st.members.empty())
    return;
  st.reading = true;
  st.woken = false;
  st.last_read = clock::now();
  read_request req;
  req.what = read_request::target::all;
  req.from = st.head + 1;
  req.count = st.config.page_size;
  self->request(st.pool, caf::infinite, read_atom_v, std::move(req))
      .then([=](event_page& page) { on_page(self, page); },
            [=](caf::error& err) {
              self->state.reading = false;
              spdlog::warn("dispatcher: reading the log after {} failed: {}",
                           self->state.head, describe(err));
            });
}

} // namespace

std::chrono::steady_clock::duration
read_interval_for(const dispatcher_config& cfg, size_t live) {
  auto grown = cfg.read_interval_per_member * static_cast<int64_t>(live);
  return std::clamp<std::chrono::steady_clock::duration>(
      grown, cfg.read_interval_min, cfg.read_interval);
}

dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
           pool_actor pool, std::shared_ptr<registry::catalog_source> catalog,
           dispatcher_config config) {
  auto& init = self->state;
  init.pool = std::move(pool);
  init.catalog = std::move(catalog);
  init.config = config;
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
        auto missing = std::make_shared<std::vector<event_ptr>>();
        auto bad =
            std::make_shared<std::vector<std::pair<int64_t, std::string>>>();
        for (auto& e : st.backlog)
          if (e.event->global_position > after) {
            missing->push_back(e.event);
            if (!e.undeliverable.empty())
              bad->emplace_back(e.event->global_position, e.undeliverable);
          }
        out.backlog.events = std::move(missing);
        if (!bad->empty())
          out.backlog.undeliverable = std::move(bad);
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
      [=](wake_atom) { schedule_read(self); },
      [=](status_atom) { return self->state.head; },
      [=](timer_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.timer_generation)
          return;
        st.read_due = false;
        if (!st.reading)
          read_next(self);
        arm_poll(self);
      },
  };
}

} // namespace es
