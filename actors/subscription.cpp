#include "actors/subscription.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

namespace es {

namespace {

using self_ptr = subscription_actor::stateful_pointer<subscription_state>;
using clock = subscription_state::clock;

void pump(self_ptr self);
void catch_up(self_ptr self);

/// Takes `ev` into the window if it passes the filter. False when the
/// window is full (the event is not taken).
bool take(self_ptr self, const recorded_event& ev) {
  auto& st = self->state;
  auto& w = *st.window;
  if (ev.global_position <= w.head())
    return true; // already seen
  if (!matches(st.spec.filter, ev)) {
    w.scanned(ev.global_position);
    return true;
  }
  if (w.full())
    return false;
  w.offer(ev.global_position,
          st.spec.partition_by_stream ? ev.stream : std::string{});
  st.events.emplace(ev.global_position, ev);
  return true;
}

void leave_live(self_ptr self) {
  auto& st = self->state;
  if (!st.live)
    return;
  st.live = false;
  ++st.counters.fell_behind;
  self->send(st.dispatcher, leave_atom_v,
             caf::actor_cast<subscription_actor>(self));
}

/// Takes the events of a batch (live or backlog) after our head.
void take_batch(self_ptr self, const live_batch& batch) {
  auto& st = self->state;
  if (!batch.events)
    return;
  for (auto& ev : *batch.events)
    if (!take(self, ev)) {
      // Full: drop the rest and read it from the database later.
      leave_live(self);
      return;
    }
  st.window->scanned(batch.upto);
}

void join(self_ptr self) {
  auto& cur = self->state;
  if (cur.joining || cur.live)
    return;
  cur.joining = true;
  self->request(cur.dispatcher, caf::infinite, join_atom_v,
                caf::actor_cast<subscription_actor>(self), cur.window->head())
      .then(
          [=](join_reply& reply) {
            auto& st = self->state;
            st.joining = false;
            if (!reply.joined) {
              catch_up(self);
              return;
            }
            st.live = true;
            take_batch(self, reply.backlog);
            pump(self);
            if (!st.live)
              catch_up(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            st.joining = false;
            spdlog::warn("subscription {}: joining live delivery failed: {}; "
                         "reading the database again in {} ms",
                         st.spec.name, describe(err),
                         std::chrono::duration_cast<std::chrono::milliseconds>(
                             st.spec.delivery.retry_delay)
                             .count());
            st.timer_at = std::nullopt; // replaces the window's timer
            self->delayed_send(self, st.spec.delivery.retry_delay,
                               timer_atom_v, ++st.timer_generation);
          });
}

void catch_up(self_ptr self) {
  auto& cur = self->state;
  if (cur.reading || cur.live || cur.joining || cur.window->full())
    return;
  cur.reading = true;
  read_request req;
  req.what = read_request::target::all;
  req.from = cur.window->head() + 1;
  req.count = cur.spec.page_size;
  req.filter = cur.spec.filter;
  self->request(cur.pool, caf::infinite, read_atom_v, std::move(req))
      .then(
          [=](event_page& page) {
            auto& st = self->state;
            st.reading = false;
            bool all = true;
            for (auto& ev : page.events)
              if (!take(self, ev)) {
                all = false;
                break;
              }
            if (all && page.end)
              st.window->scanned(page.horizon);
            pump(self);
            if (!all)
              return; // resumes when the subscriber makes room
            if (page.end)
              join(self);
            else
              catch_up(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            st.reading = false;
            spdlog::warn("subscription {}: reading the log after {} failed: "
                         "{}; retrying",
                         st.spec.name, st.window->head(), describe(err));
            st.stale_handles = true; // the pool may have been replaced
            st.timer_at = std::nullopt;
            st.timer_at = std::nullopt; // replaces the window's timer
            self->delayed_send(self, st.spec.delivery.retry_delay,
                               timer_atom_v, ++st.timer_generation);
          });
}

/// Writes the checkpoint if it is due (persistent subscriptions).
void save_checkpoint(self_ptr self, bool force = false) {
  auto& cur = self->state;
  auto& w = *cur.window;
  if (!cur.spec.persistent || cur.saving
      || !(force ? w.checkpoint() > w.saved_checkpoint()
                 : w.checkpoint_due(clock::now())))
    return;
  cur.saving = true;
  subscription_op op;
  op.what = subscription_op::kind::save;
  op.name = cur.spec.name;
  op.position = w.checkpoint();
  self->request(cur.pool, caf::infinite, checkpoint_atom_v, std::move(op))
      .then(
          [=](subscription_record& rec) {
            auto& st = self->state;
            st.saving = false;
            st.window->checkpoint_saved(rec.position, clock::now());
            ++st.counters.checkpoints_saved;
          },
          [=](caf::error& err) {
            auto& st = self->state;
            st.saving = false;
            spdlog::warn("subscription {}: saving the checkpoint failed: {}; "
                         "retrying with the next one",
                         st.spec.name, describe(err));
          });
}

void arm_timer(self_ptr self) {
  auto& st = self->state;
  auto at = st.window->next_wakeup();
  if (st.spec.persistent)
    if (auto due = st.window->checkpoint_deadline(); due && (!at || *due < *at))
      at = due;
  if (!at || (st.timer_at && *st.timer_at <= *at && *st.timer_at > clock::now()))
    return;
  st.timer_at = *at;
  auto delay = std::max(*at - clock::now(), clock::duration::zero())
               + std::chrono::microseconds{100};
  self->delayed_send(self, delay, timer_atom_v, ++st.timer_generation);
}

void settle_parked(self_ptr self, std::optional<parked> p) {
  if (!p)
    return;
  auto& st = self->state;
  spdlog::warn("subscription {}: parked the event at {} after {} "
               "attempts: {}",
               st.spec.name, p->position, p->attempts, p->reason);
  st.events.erase(p->position);
  if (st.spec.persistent) {
    subscription_op op;
    op.what = subscription_op::kind::park;
    op.name = st.spec.name;
    op.position = p->position;
    op.attempts = static_cast<int32_t>(p->attempts);
    op.reason = p->reason;
    auto position = p->position;
    self->request(st.pool, caf::infinite, checkpoint_atom_v, std::move(op))
        .then([](subscription_record&) {},
              [=](caf::error& err) {
                spdlog::error("subscription {}: storing the parked event at "
                              "{} failed: {}",
                              self->state.spec.name, position, describe(err));
              });
  }
  st.counters.parked_events.push_back(std::move(*p));
}

/// The event at `position` is no longer in flight at its subscriber.
void unhold(subscription_state& st, int64_t position) {
  auto it = st.holder.find(position);
  if (it == st.holder.end())
    return;
  --st.load[it->second];
  st.holder.erase(it);
}

/// The subscriber's answer to attempt `attempt` of the event at `position`.
void on_answer(self_ptr self, int64_t position, uint32_t attempt,
               bool handled, std::string reason) {
  auto& st = self->state;
  auto& w = *st.window;
  if (handled) {
    // An ack of an older attempt still means the event was handled.
    if (w.ack(position)) {
      unhold(st, position);
      ++st.counters.acknowledged;
      st.events.erase(position);
    }
  } else if (w.attempt_of(position) == attempt) {
    // Else stale: that attempt has expired and the event went out again.
    unhold(st, position);
    ++st.counters.retried;
    settle_parked(self, w.nack(position, clock::now(), std::move(reason)));
  }
  pump(self);
  if (!st.live)
    catch_up(self);
}

/// The subscriber for an event of `partition`, if it has room: the
/// partition's own (by hash) or, without a partition, the least loaded.
std::optional<size_t> slot_for(const subscription_state& st,
                               std::string_view partition) {
  if (st.subscribers.empty())
    return std::nullopt;
  size_t slot = 0;
  if (!partition.empty()) {
    slot = std::hash<std::string_view>{}(partition) % st.subscribers.size();
  } else {
    slot = static_cast<size_t>(
        std::min_element(st.load.begin(), st.load.end()) - st.load.begin());
  }
  if (!st.subscribers[slot] || st.load[slot] >= st.spec.buffer_size)
    return std::nullopt;
  return slot;
}

/// Hands out what the window lets go, saves a due checkpoint, and arms the
/// timer.
void pump(self_ptr self) {
  auto& st = self->state;
  auto now = clock::now();
  // Expired attempts leave their subscribers (their answers are stale).
  std::vector<int64_t> expired;
  for (auto& p : st.window->expire(now, &expired))
    settle_parked(self, std::move(p));
  for (auto pos : expired)
    unhold(st, pos);
  save_checkpoint(self);
  auto has_room = [&](std::string_view partition) {
    return slot_for(st, partition).has_value();
  };
  for (;;) {
    auto d = st.window->next(now, has_room);
    if (!d)
      break;
    auto slot = *slot_for(st, d->partition);
    auto ev = st.events.at(d->position);
    auto cat = st.catalog->current();
    if (auto up = cat->upcast(ev); !up) {
      settle_parked(self, st.window->nack(d->position, now,
                                          "cannot upcast: "
                                              + describe(up.error())));
      continue;
    }
    ++st.counters.delivered;
    ++st.load[slot];
    st.holder[d->position] = slot;
    auto position = d->position;
    auto attempt = d->attempt;
    auto subscriber = st.subscribers[slot];
    // The window expires the attempt at ack_timeout; CAF's own timeout,
    // a little later, only frees the response handler (its answer is stale).
    self->request(subscriber,
                  st.spec.delivery.ack_timeout + std::chrono::seconds{1},
                  deliver_atom_v, std::move(ev))
        .then(
            [=](bool handled) {
              on_answer(self, position, attempt, handled,
                        "the subscriber declined it");
            },
            [=](caf::error& err) {
              if (self->state.subscribers[slot] != subscriber)
                return; // a dead subscriber's: its events were released
              on_answer(self, position, attempt, false, describe(err));
            });
  }
  arm_timer(self);
}

void on_subscriber_down(self_ptr self, size_t slot, const caf::down_msg& dm) {
  auto& st = self->state;
  // Its events in flight go back, first in line.
  std::vector<int64_t> released;
  for (auto& [pos, holder] : st.holder)
    if (holder == slot)
      released.push_back(pos);
  for (auto pos : released)
    unhold(st, pos);
  st.window->release(released);
  if (!st.spec.respawn) {
    spdlog::info("subscription {}: subscriber down ({}); ending",
                 st.spec.name, caf::to_string(dm.reason));
    save_checkpoint(self, true);
    self->quit(dm.reason);
    return;
  }
  st.subscribers[slot] = st.spec.respawn();
  ++st.counters.subscriber_restarts;
  spdlog::warn("subscription {}: subscriber {} down ({}); respawned it",
               st.spec.name, slot, caf::to_string(dm.reason));
  if (st.subscribers[slot])
    self->monitor(st.subscribers[slot]);
  pump(self);
}

/// Asks the node for its current pool and dispatcher, then catches up.
void refresh_handles(self_ptr self) {
  auto ask = [=](component which, auto assign) {
    self->request(self->state.node, caf::infinite, status_atom_v, which)
        .then(
            [=](caf::actor& current) {
              if (!current)
                return; // not back yet: the next timer asks again
              assign(current);
            },
            [](caf::error&) {});
  };
  self->state.stale_handles = false;
  ask(component::pool, [=](caf::actor& a) {
    auto& st = self->state;
    auto next = caf::actor_cast<pool_actor>(a);
    if (next == st.pool)
      return;
    st.pool = next;
    self->monitor(st.pool);
  });
  ask(component::dispatcher, [=](caf::actor& a) {
    auto& st = self->state;
    auto next = caf::actor_cast<dispatcher_actor>(a);
    if (next != st.dispatcher) {
      st.dispatcher = next;
      self->monitor(st.dispatcher);
    }
    catch_up(self);
  });
}

} // namespace

subscription_actor::behavior_type
subscription(subscription_actor::stateful_pointer<subscription_state> self,
             subscription_spec spec, int64_t start_after, caf::actor node,
             pool_actor pool,
             dispatcher_actor dispatcher,
             std::shared_ptr<registry::catalog_source> catalog) {
  auto& init = self->state;
  init.spec = std::move(spec);
  init.node = std::move(node);
  init.pool = std::move(pool);
  init.dispatcher = std::move(dispatcher);
  init.catalog = std::move(catalog);
  init.window.emplace(init.spec.delivery, start_after, clock::now());
  init.counters.name = init.spec.name;
  init.subscribers.push_back(init.spec.subscriber);
  while (init.subscribers.size() < init.spec.concurrency_limit)
    init.subscribers.push_back(init.spec.respawn());
  init.load.assign(init.subscribers.size(), 0);
  for (auto& sub : init.subscribers)
    if (sub)
      self->monitor(sub);
  self->monitor(init.node);
  self->monitor(init.pool);
  self->monitor(init.dispatcher);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.node.address()) {
      save_checkpoint(self, true);
      self->quit(dm.reason);
    } else if (dm.source == st.dispatcher.address()
               || dm.source == st.pool.address()) {
      // The node restarts it: ask for the new one after a while.
      st.live = false;
      st.stale_handles = true;
      st.timer_at = std::nullopt;
      self->delayed_send(self, st.spec.delivery.retry_delay, timer_atom_v,
                         ++st.timer_generation);
    } else {
      for (size_t slot = 0; slot < st.subscribers.size(); ++slot)
        if (st.subscribers[slot] && dm.source == st.subscribers[slot].address())
          on_subscriber_down(self, slot, dm);
    }
  });
  catch_up(self);
  return {
      [=](live_atom, live_batch& batch) {
        auto& st = self->state;
        if (!st.live)
          return; // left already; the database has it
        take_batch(self, batch);
        pump(self);
        if (!st.live)
          catch_up(self);
      },
      [=](status_atom) {
        auto& st = self->state;
        auto out = st.counters;
        out.checkpoint = st.window->checkpoint();
        out.head = st.window->head();
        out.live = st.live;
        out.in_flight = st.window->in_flight();
        out.queued = st.window->queued();
        return out;
      },
      [=](timer_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.timer_generation)
          return;
        st.timer_at = std::nullopt;
        if (st.stale_handles) {
          refresh_handles(self);
          return;
        }
        pump(self);
        if (!st.live)
          catch_up(self);
      },
  };
}

} // namespace es
