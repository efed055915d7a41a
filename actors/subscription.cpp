#include "actors/subscription.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string_view>

namespace es {

namespace {

using self_ptr = subscription_actor::stateful_pointer<subscription_state>;
using clock = subscription_state::clock;

void pump(self_ptr self);
void catch_up(self_ptr self);
void finish(self_ptr self);

/// Takes `ev` into the window if it passes the filter (`undeliverable`:
/// why it could not be upcast, if so). False when the window is full (the
/// event is not taken).
bool take(self_ptr self, const event_ptr& ev,
          std::string_view undeliverable = {}) {
  auto& st = self->state;
  auto& w = *st.window;
  auto position = ev->global_position;
  if (position <= w.head())
    return true; // already seen
  if (!matches(st.spec.filter, *ev)) {
    w.scanned(position);
    return true;
  }
  if (w.full())
    return false;
  w.offer(position, st.spec.partition_by_stream ? ev->stream : std::string{},
          ev);
  if (!undeliverable.empty())
    st.undeliverable.emplace(position, undeliverable);
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
  static const std::vector<std::pair<int64_t, std::string>> none;
  auto& bad = batch.undeliverable ? *batch.undeliverable : none;
  auto b = bad.begin();
  for (auto& ev : *batch.events) {
    std::string_view why;
    while (b != bad.end() && b->first < ev->global_position)
      ++b;
    if (b != bad.end() && b->first == ev->global_position)
      why = b->second;
    if (!take(self, ev, why)) {
      // Full: drop the rest and read it from the database later.
      leave_live(self);
      return;
    }
  }
  st.window->scanned(batch.upto);
}

void join(self_ptr self) {
  auto& cur = self->state;
  if (cur.joining || cur.live || cur.finishing)
    return;
  cur.joining = true;
  self->request(cur.dispatcher, caf::infinite, join_atom_v,
                caf::actor_cast<subscription_actor>(self), cur.window->head())
      .then(
          [=](join_reply& reply) {
            auto& st = self->state;
            st.joining = false;
            if (st.finishing) {
              if (reply.joined)
                self->send(st.dispatcher, leave_atom_v,
                           caf::actor_cast<subscription_actor>(self));
              return;
            }
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

/// Drops the catch-up reads in flight (their answers will be ignored).
void drop_reads(subscription_state& st) {
  st.reads.clear();
  ++st.read_generation;
}

/// Takes the events of a catch-up page into the window, upcasting each
/// once. False when the window filled up before the end of the page.
bool take_page(self_ptr self, event_page& page) {
  auto& st = self->state;
  auto cat = st.catalog->current();
  for (auto& ev : page.events) {
    std::string why;
    if (ev.global_position > st.window->head())
      if (auto up = cat->upcast(ev); !up)
        why = "cannot upcast: " + describe(up.error());
    if (!take(self, std::make_shared<const recorded_event>(std::move(ev)),
              why))
      return false;
  }
  return true;
}

void start_reads(self_ptr self);

/// Handles the catch-up pages that arrived, in position order, then reads
/// on, or joins live delivery at the end of the log.
void drain_reads(self_ptr self) {
  auto& st = self->state;
  auto& w = *st.window;
  auto range = static_cast<int64_t>(st.spec.page_size);
  bool at_end = false;
  while (!st.reads.empty() && st.reads.front().page) {
    auto r = std::move(st.reads.front());
    st.reads.pop_front();
    auto& page = *r.page;
    if (!take_page(self, page)) {
      drop_reads(st); // no room: read again from the head later
      break;
    }
    if (r.upto == 0) {
      if (page.end) {
        w.scanned(page.horizon);
        at_end = true;
      } else if (!page.events.empty()) {
        // Dense: the page's events spanned at most two pages of positions.
        auto span = page.events.back().global_position - r.from + 1;
        st.ranged = span <= 2 * range;
      }
    } else if (page.horizon < r.upto) {
      w.scanned(page.horizon); // the log ends inside this range
      at_end = true;
    } else {
      w.scanned(r.upto);
      if (page.events.size() < st.spec.page_size / 4)
        st.ranged = false; // sparse again
    }
    if (at_end) {
      drop_reads(st);
      break;
    }
  }
  pump(self);
  if (at_end)
    join(self);
  else
    start_reads(self);
}

/// Reads the log from `from` through the pool (see `pending_read`).
void read_page(self_ptr self, int64_t from, int64_t upto) {
  auto& cur = self->state;
  cur.reads.push_back(subscription_state::pending_read{from, upto, {}});
  read_request req;
  req.what = read_request::target::all;
  req.from = from;
  req.upto = upto;
  req.count = cur.spec.page_size;
  req.filter = cur.spec.filter;
  auto generation = cur.read_generation;
  self->request(cur.pool, caf::infinite, read_atom_v, std::move(req))
      .then(
          [=](event_page& page) {
            auto& st = self->state;
            if (generation != st.read_generation)
              return; // dropped
            for (auto& r : st.reads)
              if (r.from == from) {
                r.page = std::move(page);
                break;
              }
            drain_reads(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            if (generation != st.read_generation)
              return;
            drop_reads(st);
            spdlog::warn("subscription {}: reading the log after {} failed: "
                         "{}; retrying",
                         st.spec.name, st.window->head(), describe(err));
            st.stale_handles = true; // the pool may have been replaced
            st.timer_at = std::nullopt; // replaces the window's timer
            self->delayed_send(self, st.spec.delivery.retry_delay,
                               timer_atom_v, ++st.timer_generation);
          });
}

/// Starts the catch-up reads there is room for: one by count, or (ranged)
/// up to `parallel_reads` ranges of `page_size` positions.
void start_reads(self_ptr self) {
  auto& st = self->state;
  if (st.live || st.joining)
    return;
  auto& w = *st.window;
  auto page = st.spec.page_size;
  bool room_for_range = w.size() + page <= st.spec.delivery.max_buffered;
  if (!st.ranged || (st.reads.empty() && !room_for_range)) {
    if (st.reads.empty() && !w.full())
      read_page(self, w.head() + 1, 0);
    return;
  }
  while (st.reads.size() < defaults::subscription_parallel_reads
         && w.size() + (st.reads.size() + 1) * page
                <= st.spec.delivery.max_buffered) {
    auto from = st.reads.empty() ? w.head() + 1 : st.reads.back().upto + 1;
    if (!st.reads.empty() && st.reads.back().upto == 0)
      return; // a read by count runs: its end is unknown
    read_page(self, from, from + static_cast<int64_t>(page) - 1);
  }
}

/// Reads from the database after the window's head, unless reads run, it
/// is live (or joining), or the window has no room.
void catch_up(self_ptr self) {
  auto& cur = self->state;
  if (!cur.reads.empty() || cur.live || cur.joining || cur.finishing)
    return;
  start_reads(self);
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
            if (st.finishing)
              finish(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            st.saving = false;
            spdlog::warn("subscription {}: saving the checkpoint failed: {}; "
                         "retrying with the next one",
                         st.spec.name, describe(err));
            if (st.finishing)
              self->quit(st.exit_reason); // the last try failed
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
  st.undeliverable.erase(p->position);
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

/// `n` events are no longer in flight at the subscriber at `slot`.
void unhold(subscription_state& st, size_t slot, size_t n = 1) {
  st.load[slot] -= std::min(n, st.load[slot]);
}

/// One event of a batch in flight: its position and attempt.
struct sent {
  int64_t position;
  uint32_t attempt;
};

/// The subscriber's answer to a batch: the events up to `ack.handled` are
/// handled; the first after it failed, the rest come again.
void on_answer(self_ptr self, const std::vector<sent>& batch,
               const batch_ack& ack) {
  auto& st = self->state;
  auto& w = *st.window;
  auto now = clock::now();
  bool failed = false;
  for (auto& [position, attempt] : batch) {
    auto owner = w.owner_of(position);
    if (!owner)
      continue; // settled already, or back in the queue
    if (position <= ack.handled) {
      // An ack of an older attempt still means the event was handled.
      w.ack(position);
      unhold(st, *owner);
      ++st.counters.acknowledged;
      st.undeliverable.erase(position);
      continue;
    }
    if (w.attempt_of(position) != attempt)
      continue; // stale: that attempt expired and the event went out again
    unhold(st, *owner);
    if (!failed) {
      failed = true;
      ++st.counters.retried;
      settle_parked(self, w.nack(position, now,
                                 ack.reason.empty()
                                     ? "the subscriber declined it"
                                     : ack.reason));
    } else {
      w.release({position});
    }
  }
  pump(self);
  if (!st.live)
    catch_up(self);
}

/// The slot that takes the events of `partition` (by hash).
size_t slot_of(const subscription_state& st, std::string_view partition) {
  return std::hash<std::string_view>{}(partition) % st.subscribers.size();
}

/// Room at `slot` for more events in flight.
size_t room_at(const subscription_state& st, size_t slot) {
  if (!st.subscribers[slot] || st.load[slot] >= st.spec.buffer_size)
    return 0;
  return st.spec.buffer_size - st.load[slot];
}

/// Sends the next batch the window lets go to the subscriber at `slot`.
/// False when there was nothing to send.
bool send_batch(self_ptr self, size_t slot, clock::time_point now) {
  auto& st = self->state;
  auto max = std::min(room_at(st, slot), std::max<size_t>(st.spec.batch_size, 1));
  if (max == 0)
    return false;
  auto accepts = [&](std::string_view partition) {
    return partition.empty() || slot_of(st, partition) == slot;
  };
  auto picked =
      st.window->next_batch(now, max, accepts, static_cast<uint32_t>(slot));
  if (picked.empty())
    return false;
  event_batch batch;
  batch.events.reserve(picked.size());
  // Shared by both answer handlers: one allocation per batch.
  auto sent_ptr = std::make_shared<std::vector<sent>>();
  auto& out = *sent_ptr;
  out.reserve(picked.size());
  for (auto& d : picked) {
    if (auto bad = st.undeliverable.find(d.position);
        bad != st.undeliverable.end()) {
      settle_parked(self, st.window->nack(d.position, now, bad->second));
      continue;
    }
    batch.events.push_back(std::move(d.event));
    out.push_back(sent{d.position, d.attempt});
    ++st.load[slot];
  }
  if (out.empty())
    return true;
  st.counters.delivered += out.size();
  auto subscriber = st.subscribers[slot];
  // The window expires the attempts at ack_timeout (then a late answer is
  // stale). No CAF timeout: each would go through the system's one actor
  // clock, shared by every subscription; a subscriber that dies answers
  // with an error, and one that lives answers at most once per attempt.
  self->request(subscriber, caf::infinite, deliver_atom_v, std::move(batch))
      .then([self, sent_ptr](batch_ack& ack) {
              on_answer(self, *sent_ptr, ack);
            },
            [self, sent_ptr, slot, subscriber](caf::error& err) {
              if (self->state.subscribers[slot] != subscriber)
                return; // a dead subscriber's: its events were released
              on_answer(self, *sent_ptr, batch_ack{0, describe(err)});
            });
  return true;
}

/// Hands out what the window lets go, saves a due checkpoint, and arms the
/// timer.
void pump(self_ptr self) {
  auto& st = self->state;
  if (st.finishing)
    return;
  auto now = clock::now();
  // Expired attempts leave their subscribers (their answers are stale).
  std::vector<std::pair<int64_t, uint32_t>> expired;
  for (auto& p : st.window->expire(now, &expired))
    settle_parked(self, std::move(p));
  for (auto& [pos, owner] : expired)
    unhold(st, owner);
  save_checkpoint(self);
  // Fill the subscribers, the least loaded first, until none takes more.
  st.progress->store(st.window->checkpoint(), std::memory_order_relaxed);
  if (st.subscribers.size() == 1) {
    while (send_batch(self, 0, now))
      ; // next batch
    arm_timer(self);
    return;
  }
  std::vector<size_t> order(st.subscribers.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  for (bool progress = true; progress;) {
    progress = false;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return st.load[a] < st.load[b];
    });
    for (auto slot : order)
      if (send_batch(self, slot, now))
        progress = true;
  }
  arm_timer(self);
}

/// Quits with `exit_reason` once the checkpoint is stored (persistent
/// subscriptions whose checkpoint moved since the last write), or at once.
void finish(self_ptr self) {
  auto& st = self->state;
  if (!st.finishing) {
    // Nothing goes out any more (an owner that lost its lock must stop at
    // once): only answers in flight still settle.
    st.finishing = true;
    if (st.live) {
      st.live = false;
      self->send(st.dispatcher, leave_atom_v,
                 caf::actor_cast<subscription_actor>(self));
    }
  }
  auto& w = *st.window;
  if (!st.spec.persistent || w.checkpoint() <= w.saved_checkpoint()) {
    self->quit(st.exit_reason);
    return;
  }
  if (!st.saving) // else the write in flight calls finish again
    save_checkpoint(self, true);
}

void on_subscriber_down(self_ptr self, size_t slot, const caf::down_msg& dm) {
  auto& st = self->state;
  // Its events in flight go back, first in line.
  auto released = st.window->in_flight_at(static_cast<uint32_t>(slot));
  unhold(st, slot, released.size());
  st.window->release(released);
  if (!st.spec.respawn) {
    spdlog::info("subscription {}: subscriber down ({}); ending",
                 st.spec.name, caf::to_string(dm.reason));
    st.exit_reason = caf::exit_reason::normal; // an end, not a crash
    finish(self);
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


// -- Replay of parked events ---------------------------------------------------

/// The event at `position` is handled: it leaves the parked list.
void unpark(self_ptr self, int64_t position) {
  auto& st = self->state;
  auto& list = st.counters.parked_events;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](const parked& p) {
                              return p.position == position;
                            }),
             list.end());
  if (!st.spec.persistent)
    return;
  subscription_op op;
  op.what = subscription_op::kind::unpark;
  op.name = st.spec.name;
  op.position = position;
  self->request(st.pool, caf::infinite, checkpoint_atom_v, std::move(op))
      .then([](subscription_record&) {},
            [=](caf::error& err) {
              spdlog::error("subscription {}: unparking the event at {} "
                            "failed: {}",
                            self->state.spec.name, position, describe(err));
            });
}

void replay_next(self_ptr self);

/// Delivers one parked event again; it is unparked if handled now.
void replay_one(self_ptr self, recorded_event ev) {
  auto& st = self->state;
  auto position = ev.global_position;
  auto stays = [=](const std::string& why) {
    spdlog::warn("subscription {}: the parked event at {} stays parked: {}",
                 self->state.spec.name, position, why);
    replay_next(self);
  };
  if (auto up = st.catalog->current()->upcast(ev); !up) {
    stays("cannot upcast: " + describe(up.error()));
    return;
  }
  auto it = std::find_if(st.subscribers.begin(), st.subscribers.end(),
                         [](const subscriber_actor& s) { return bool{s}; });
  if (it == st.subscribers.end()) {
    stays("no subscriber");
    return;
  }
  event_batch one;
  one.events.push_back(std::make_shared<const recorded_event>(std::move(ev)));
  self->request(*it, st.spec.delivery.ack_timeout, deliver_atom_v,
                std::move(one))
      .then(
          [=](batch_ack& ack) {
            if (ack.handled < position) {
              stays(ack.reason.empty() ? "declined again" : ack.reason);
              return;
            }
            ++self->state.replay->handled;
            unpark(self, position);
            replay_next(self);
          },
          [=](caf::error& err) { stays(describe(err)); });
}

/// Replays the next parked event, or answers once none is left.
void replay_next(self_ptr self) {
  auto& st = self->state;
  auto& job = *st.replay;
  if (job.todo.empty()) {
    job.promise.deliver(job.handled);
    st.replay.reset();
    return;
  }
  auto [position, ev] = std::move(job.todo.front());
  job.todo.pop_front();
  if (ev) {
    replay_one(self, std::move(*ev));
    return;
  }
  read_request req;
  req.what = read_request::target::all;
  req.from = position;
  req.upto = position;
  req.count = 1;
  self->request(st.pool, caf::infinite, read_atom_v, std::move(req))
      .then(
          [=](event_page& page) {
            if (page.events.empty()) {
              unpark(self, position); // not in the log: nothing to handle
              replay_next(self);
              return;
            }
            replay_one(self, std::move(page.events.front()));
          },
          [=](caf::error& err) {
            spdlog::warn("subscription {}: reading the parked event at {} "
                         "failed: {}",
                         self->state.spec.name, position, describe(err));
            replay_next(self);
          });
}

/// Collects the parked events of a persistent subscription, page by page,
/// then replays them.
void list_parked(self_ptr self, int64_t after) {
  auto& st = self->state;
  self->request(st.pool, caf::infinite, checkpoint_atom_v, st.spec.name, after)
      .then(
          [=](std::vector<parked_event>& page) {
            auto& job = *self->state.replay;
            if (page.empty()) {
              replay_next(self);
              return;
            }
            auto last = page.back().event.global_position;
            for (auto& p : page)
              job.todo.emplace_back(p.event.global_position,
                                    std::move(p.event));
            list_parked(self, last);
          },
          [=](caf::error& err) {
            auto& cur = self->state;
            cur.replay->promise.deliver(err);
            cur.replay.reset();
          });
}

} // namespace

subscription_actor::behavior_type
subscription(subscription_actor::stateful_pointer<subscription_state> self,
             subscription_spec spec, int64_t start_after, caf::actor node,
             pool_actor pool, dispatcher_actor dispatcher,
             std::shared_ptr<registry::catalog_source> catalog,
             std::shared_ptr<std::atomic<int64_t>> progress) {
  auto& init = self->state;
  init.progress = std::move(progress);
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
  self->set_exit_handler([=](caf::exit_msg& em) {
    self->state.exit_reason = std::move(em.reason);
    finish(self);
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
      [=](replay_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (st.replay)
          return make_error(ec::invalid_argument,
                            "subscription " + st.spec.name
                                + ": a replay of its parked events runs "
                                  "already");
        st.replay.emplace();
        auto rp = self->make_response_promise<uint64_t>();
        st.replay->promise = rp;
        if (st.spec.persistent) {
          list_parked(self, 0);
        } else {
          for (auto& p : st.counters.parked_events)
            st.replay->todo.emplace_back(p.position, std::nullopt);
          replay_next(self);
        }
        return rp;
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
