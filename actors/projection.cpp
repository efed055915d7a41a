#include "actors/projection.hpp"

#include "messages/error.hpp"

#include <caf/exit_reason.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace es {

/// Answers a batch once every event in it is settled: all of it handled
/// when all are in the model, else handled up to the first one declined
/// (with its reason; those after it come again, and the model knows them).
struct projection_ack {
  caf::typed_response_promise<batch_ack> promise;
  size_t remaining = 0;
  /// The batch's last position.
  int64_t last = 0;
  /// The first position declined (0: none), and why.
  int64_t declined = 0;
  std::string reason;

  void settle(int64_t position, const caf::error& err) {
    if (err && (declined == 0 || position < declined)) {
      declined = position;
      reason = describe(err);
    }
    if (--remaining == 0)
      promise.deliver(batch_ack{declined != 0 ? declined - 1 : last, reason});
  }
};

caf::expected<std::string> read_model::snapshot() const {
  return make_error(ec::invalid_argument, "this read model has no snapshots");
}

caf::error read_model::restore(std::string_view) {
  return make_error(ec::invalid_argument, "this read model has no snapshots");
}

namespace {

using self_ptr = projection_actor::stateful_pointer<projection_state>;
using clock = projection_state::clock;
using kind = projection_definition::storage_kind;

using ack_ptr = std::shared_ptr<projection_ack>;

bool in_pg(self_ptr self) {
  return self->state.def.kind == kind::postgres;
}

projection_op make_op(self_ptr self, projection_op::kind what) {
  projection_op op;
  op.what = what;
  op.name = self->state.def.name;
  op.version = self->state.def.version;
  return op;
}

/// Sends `op` to the node; `ok` gets the reply, `fail` the error.
template<class Ok, class Fail>
void run(self_ptr self, projection_op op, Ok ok, Fail fail) {
  self->request(self->state.node, caf::infinite, project_atom_v, std::move(op))
      .then([=](projection_reply& r) mutable { ok(r); },
            [=](caf::error& err) mutable { fail(err); });
}

projection_feed* find_feed(self_ptr self, int64_t generation) {
  auto& st = self->state;
  if (st.active.model && st.active.generation == generation)
    return &st.active;
  if (st.building && st.building->generation == generation)
    return &*st.building;
  return nullptr;
}

/// Whether `pos` is in the feed's model already (and was not declined).
bool settled(const projection_feed& f, int64_t pos) {
  return pos <= f.position && f.declined.count(pos) == 0;
}

/// The timer tag of retries after a failure for now (snapshot timers
/// count from 1).
constexpr uint64_t retry_tick = 0;

void check_swap(self_ptr self);
void drain(self_ptr self, int64_t generation);
void commit(self_ptr self, int64_t generation, projection_op op,
            std::shared_ptr<std::vector<projection_feed::waiting>> inflight,
            int64_t next, std::optional<int64_t> failed,
            caf::error fold_error);

/// Stores the active in-memory model (one write at a time).
void save_snapshot(self_ptr self) {
  auto& st = self->state;
  if (in_pg(self) || st.saving || !st.active.model || st.active.unsaved == 0)
    return;
  auto json = st.active.model->snapshot();
  if (!json) {
    // Logged once per `snapshot_every` events, not for every event.
    st.active.unsaved = 0;
    spdlog::error("projection {}: cannot serialize its model: {}",
                  st.def.name, describe(json.error()));
    return;
  }
  auto op = make_op(self, projection_op::kind::snapshot);
  op.version = st.status.model_version;
  op.position = st.active.position;
  op.snapshot = std::move(*json);
  st.active.unsaved = 0;
  st.saving = true;
  run(
      self, std::move(op),
      [=](projection_reply&) {
        self->state.saving = false;
        ++self->state.status.snapshots;
      },
      [=](caf::error& err) {
        self->state.saving = false;
        spdlog::warn("projection {}: snapshot not stored: {}",
                     self->state.def.name, describe(err));
      });
}

/// Counts events newly folded into the active in-memory model; saves a
/// snapshot or schedules one.
void note_unsaved(self_ptr self, uint64_t n) {
  auto& st = self->state;
  if (n == 0)
    return;
  bool first = st.active.unsaved == 0;
  st.active.unsaved += n;
  if (st.active.unsaved >= st.def.snapshot_every)
    save_snapshot(self);
  else if (first)
    self->delayed_send(self, st.def.snapshot_interval, timer_atom_v,
                       ++st.timer_generation);
}

/// Settles the acks of a waiting event.
void settle(projection_feed::waiting& w, const caf::error& err) {
  for (auto& ack : w.acks)
    ack->settle(w.event.global_position, err);
  w.acks.clear();
}

/// Whether folding failed for good (the event cannot be read: retrying
/// cannot help) rather than for now (the database, a model not ready).
bool permanent(const caf::error& err) {
  return is(err, ec::decode_failed) || is(err, ec::invalid_event)
         || is(err, ec::unknown_type);
}

/// A failure for now: the feed keeps its events, in order, and tries again
/// after the retry delay (never declining them, which would let later
/// events overtake them).
void hold(self_ptr self, projection_feed& f, const caf::error& err) {
  if (f.held)
    return;
  f.held = true;
  ++self->state.status.waits;
  spdlog::debug("projection {}: generation {} waits: {}",
                self->state.def.name, f.generation, describe(err));
  self->delayed_send(self, self->state.def.delivery.retry_delay, timer_atom_v,
                     retry_tick);
}

/// Declines the waiting event at `pos` for good (the subscription retries
/// it and then parks it; it fails the same way every time).
void decline(self_ptr self, projection_feed& f, int64_t pos,
             const caf::error& err) {
  auto i = f.pending.find(pos);
  if (i == f.pending.end())
    return;
  ++self->state.status.declined;
  f.declined.insert(pos);
  spdlog::warn("projection {}: declines the event at {}: {}",
               self->state.def.name, pos, describe(err));
  settle(i->second, err);
  f.pending.erase(i);
}

/// Folds the waiting events of a generation in position order: in memory
/// at once; in PostgreSQL in one commit with the new position (one commit
/// in flight per generation, none while a swap is due).
void drain(self_ptr self, int64_t generation) {
  auto& st = self->state;
  for (;;) {
    auto* f = find_feed(self, generation);
    if (f == nullptr || f->writing || f->held || st.swapping || st.swap_due)
      return;
    for (auto i = f->pending.begin(); i != f->pending.end();) {
      if (settled(*f, i->first)) {
        ++st.status.duplicates;
        settle(i->second, {});
        i = f->pending.erase(i);
      } else {
        ++i;
      }
    }
    if (f->pending.empty())
      return;
    std::vector<recorded_event> batch;
    batch.reserve(f->pending.size());
    for (auto& [pos, w] : f->pending)
      batch.push_back(w.event);
    auto res = f->model->fold(batch);
    auto k = std::min(res.applied, batch.size());
    std::optional<int64_t> failed;
    if (k < batch.size())
      failed = batch[k].global_position;
    if (!in_pg(self)) {
      // The first k are in the model now.
      for (size_t j = 0; j < k; ++j) {
        auto pos = batch[j].global_position;
        auto i = f->pending.find(pos);
        f->position = std::max(f->position, pos);
        f->declined.erase(pos);
        settle(i->second, {});
        f->pending.erase(i);
      }
      f->applied += k;
      if (f == &st.active) {
        st.status.applied += k;
        note_unsaved(self, k);
      }
      if (failed) {
        auto err = res.error ? res.error
                             : make_error(ec::invalid_event, "not folded");
        if (!permanent(err)) {
          hold(self, *f, err);
          check_swap(self);
          return;
        }
        decline(self, *f, *failed, err);
      }
      check_swap(self);
      if (!failed)
        return;
      continue; // The events after the declined one.
    }
    if (k == 0) {
      auto err = res.error ? res.error
                           : make_error(ec::invalid_event, "not folded");
      if (!permanent(err)) {
        hold(self, *f, err);
        return;
      }
      decline(self, *f, *failed, err);
      continue;
    }
    // The first k go in one transaction with the new position.
    auto inflight = std::make_shared<std::vector<projection_feed::waiting>>();
    int64_t next = f->position;
    for (size_t j = 0; j < k; ++j) {
      auto pos = batch[j].global_position;
      auto i = f->pending.find(pos);
      next = std::max(next, pos);
      inflight->push_back(std::move(i->second));
      f->pending.erase(i);
    }
    caf::error fold_error;
    if (failed)
      fold_error = res.error ? res.error
                             : make_error(ec::invalid_event, "not folded");
    auto op = make_op(self, projection_op::kind::commit);
    op.generation = generation;
    op.expected = f->position;
    op.position = next;
    op.rows = std::move(res.rows);
    f->writing = true;
    commit(self, generation, std::move(op), inflight, next, failed,
           fold_error);
    return;
  }
}

/// Puts committed-or-not events back to wait (in order).
void put_back(projection_feed& f,
              std::vector<projection_feed::waiting>& inflight) {
  for (auto& w : inflight) {
    auto& back = f.pending[w.event.global_position];
    back.event = std::move(w.event);
    for (auto& ack : w.acks)
      back.acks.push_back(std::move(ack));
  }
  inflight.clear();
}

/// Commits `inflight` (the first events of a batch) with the position
/// `next`; `failed` is the event after them that could not be folded (and
/// why), handled once the commit is through.
void commit(self_ptr self, int64_t generation, projection_op op,
            std::shared_ptr<std::vector<projection_feed::waiting>> inflight,
            int64_t next, std::optional<int64_t> failed,
            caf::error fold_error) {
  auto count = inflight->size();
  run(
      self, std::move(op),
      [=](projection_reply&) {
        auto* g = find_feed(self, generation);
        for (auto& w : *inflight) {
          if (g != nullptr)
            g->declined.erase(w.event.global_position);
          settle(w, {});
        }
        if (g == nullptr)
          return;
        g->writing = false;
        g->position = std::max(g->position, next);
        g->applied += count;
        if (g == &self->state.active)
          self->state.status.applied += count;
        // The event after the committed ones could not be folded.
        if (failed) {
          if (permanent(fold_error))
            decline(self, *g, *failed, fold_error);
          else
            hold(self, *g, fold_error);
        }
        check_swap(self);
        drain(self, generation);
      },
      [=](caf::error& err) {
        auto* g = find_feed(self, generation);
        if (g == nullptr) {
          for (auto& w : *inflight)
            settle(w, err);
          return;
        }
        put_back(*g, *inflight);
        if (!is(err, ec::wrong_expected_version)) {
          // The database: try again later, in order.
          g->writing = false;
          hold(self, *g, err);
          check_swap(self);
          return;
        }
        // Another instance moved the position: load it, then acknowledge
        // what is stored now and commit the rest on top of it.
        spdlog::debug("projection {}: {}; reloading its position",
                      self->state.def.name, describe(err));
        run(
            self, make_op(self, projection_op::kind::open),
            [=](projection_reply& r) {
              auto* h = find_feed(self, generation);
              if (h == nullptr)
                return;
              h->writing = false;
              if (r.record.generation == generation)
                h->position = std::max(h->position, r.record.position);
              else if (r.record.rebuild_generation.value_or(-1) == generation)
                h->position = std::max(h->position, r.record.rebuild_position);
              check_swap(self);
              drain(self, generation);
            },
            [=](caf::error& reload) {
              if (auto* h = find_feed(self, generation)) {
                h->writing = false;
                hold(self, *h, reload);
              }
            });
      });
}

/// The core: takes a batch of events for the feed of `generation` and
/// answers `promise` once all of them are in the model (or one was
/// declined for good). The subscriber protocol's handlers only call this.
void take(self_ptr self, int64_t generation, const event_batch& events,
          caf::typed_response_promise<batch_ack> promise) {
  auto* f = find_feed(self, generation);
  if (f == nullptr) {
    // A rebuild that was swapped in or given up: its events go nowhere.
    promise.deliver(batch_ack{0, "the rebuild it was for has ended"});
    return;
  }
  if (events.events.empty()) {
    promise.deliver(batch_ack{});
    return;
  }
  auto ack = std::make_shared<projection_ack>();
  ack->promise = std::move(promise);
  ack->remaining = events.events.size();
  ack->last = events.events.back()->global_position;
  for (auto& ev : events.events) {
    auto& w = f->pending[ev->global_position];
    w.event = *ev;
    w.acks.push_back(ack);
  }
  drain(self, generation);
}

/// Ends the rebuild's subscription (its subscriber quits).
void stop_feeder(self_ptr self) {
  auto& st = self->state;
  if (st.rebuild_feeder) {
    self->unlink_from(st.rebuild_feeder);
    self->send_exit(st.rebuild_feeder, caf::exit_reason::user_shutdown);
    st.rebuild_feeder = nullptr;
  }
}

/// The rebuilt generation becomes the active one.
void finish_swap(self_ptr self, int64_t position) {
  auto& st = self->state;
  auto old = std::move(st.active);
  st.active = std::move(*st.building);
  st.building.reset();
  st.active.position = std::max(st.active.position, position);
  st.active.declined.clear();
  // Live events waiting for the old generation now go to the new one.
  for (auto& [pos, w] : old.pending) {
    auto& into = st.active.pending[pos];
    into.event = std::move(w.event);
    for (auto& ack : w.acks)
      into.acks.push_back(std::move(ack));
  }
  st.swapping = false;
  st.swap_due = false;
  st.status.model_version = st.def.version;
  st.status.generation = st.active.generation;
  ++st.status.rebuilds;
  auto secs = std::chrono::duration<double>(clock::now() - st.rebuild_began)
                  .count();
  st.status.rebuild.events_done = st.active.applied;
  st.status.rebuild.position = st.active.position;
  st.status.rebuild.events_per_second
      = secs > 0 ? static_cast<double>(st.active.applied) / secs : 0;
  st.status.rebuilding = false;
  stop_feeder(self);
  spdlog::info("projection {}: rebuilt generation {} (version {}) swapped in "
               "at position {} after {} events",
               st.def.name, st.active.generation, st.def.version,
               st.active.position, st.active.applied);
  if (!in_pg(self)) {
    st.active.unsaved = std::max<uint64_t>(st.active.unsaved, 1);
    save_snapshot(self);
  } else {
    drain(self, st.active.generation);
  }
}

/// Swaps the rebuilt generation in once it has caught up with the active
/// one (and no commit of either is in flight).
void check_swap(self_ptr self) {
  auto& st = self->state;
  if (!st.building || st.swapping)
    return;
  if (st.building->position < st.active.position) {
    // No longer due (the active one committed more meanwhile): let both
    // go on.
    if (st.swap_due) {
      st.swap_due = false;
      auto building = st.building->generation;
      drain(self, st.active.generation);
      drain(self, building);
    }
    return;
  }
  if (st.building->writing || st.active.writing) {
    // Due: no new commit starts until both are idle (else, under steady
    // load, one of them might always be writing).
    st.swap_due = true;
    return;
  }
  st.swap_due = false;
  if (!in_pg(self)) {
    finish_swap(self, st.building->position);
    return;
  }
  st.swapping = true;
  auto op = make_op(self, projection_op::kind::swap);
  op.generation = st.building->generation;
  op.clean = st.def.clean;
  auto generation = op.generation;
  run(
      self, std::move(op),
      [=](projection_reply& r) {
        if (self->state.building
            && self->state.building->generation == generation)
          finish_swap(self, r.value);
      },
      [=](caf::error& err) {
        auto& cur = self->state;
        cur.swapping = false;
        cur.swap_due = false;
        spdlog::error("projection {}: swap failed: {}", cur.def.name,
                      describe(err));
        drain(self, cur.active.generation);
        if (cur.building)
          drain(self, cur.building->generation);
      });
}

/// Subscribes `subscriber` after `after` (0: from the origin).
template<class Ok, class Fail>
void subscribe(self_ptr self, std::string name, subscriber_actor subscriber,
               int64_t after, Ok ok, Fail fail) {
  auto& def = self->state.def;
  subscription_spec spec;
  spec.name = std::move(name);
  spec.filter = def.filter;
  spec.start = start_from::position;
  spec.after = after;
  spec.subscriber = std::move(subscriber);
  spec.buffer_size = def.buffer_size;
  spec.page_size = def.page_size;
  spec.delivery = def.delivery;
  self->request(self->state.node, caf::infinite, join_atom_v, std::move(spec))
      .then([=](subscription_actor&) mutable { ok(); },
            [=](caf::error& err) mutable { fail(err); });
}

/// Sets up the new generation's feed and subscribes it from the origin.
void begin_rebuild(self_ptr self, int64_t generation, uint64_t total,
                   int64_t last) {
  auto& cur = self->state;
  cur.starting_rebuild = false;
  projection_feed feed;
  feed.generation = generation;
  feed.model = cur.def.make(generation);
  cur.building = std::move(feed);
  cur.rebuild_began = clock::now();
  cur.status.rebuilding = true;
  cur.status.rebuild = rebuild_progress{};
  cur.status.rebuild.events_total = total;
  cur.status.rebuild.target = std::max(last, cur.active.position);
  auto parent = caf::actor_cast<projection_actor>(self);
  cur.rebuild_feeder = caf::actor_cast<caf::actor>(self->spawn<caf::linked>(
      [=](subscriber_actor::pointer feeder) -> subscriber_actor::behavior_type {
        return {
            [=](deliver_atom, event_batch& batch) -> caf::result<batch_ack> {
              return feeder->delegate(parent, rebuild_atom_v, generation,
                                      std::move(batch));
            },
        };
      }));
  auto feeder = caf::actor_cast<subscriber_actor>(cur.rebuild_feeder);
  spdlog::info("projection {}: rebuilding generation {} (version {}) from "
               "the origin: {} events",
               cur.def.name, generation, cur.def.version, total);
  for (auto& rp : cur.rebuild_waiters)
    rp.deliver(generation);
  cur.rebuild_waiters.clear();
  subscribe(
      self, cur.def.name + "-rebuild", feeder, 0, [] {},
      [=](caf::error& err) {
        spdlog::error("projection {}: rebuild not started: {}",
                      self->state.def.name, describe(err));
        stop_feeder(self);
        self->state.building.reset();
        self->state.status.rebuilding = false;
      });
  check_swap(self);
}

/// A rebuild could not start: tell who asked.
void rebuild_failed(self_ptr self, const caf::error& err) {
  auto& cur = self->state;
  cur.starting_rebuild = false;
  spdlog::error("projection {}: rebuild not started: {}", cur.def.name,
                describe(err));
  for (auto& rp : cur.rebuild_waiters)
    rp.deliver(err);
  cur.rebuild_waiters.clear();
}

/// Starts a rebuild into a new generation (see the file comment).
void start_rebuild(self_ptr self) {
  auto& st = self->state;
  if (st.building || st.starting_rebuild)
    return;
  st.starting_rebuild = true;
  auto count = [=](int64_t generation) {
    auto op = make_op(self, projection_op::kind::count);
    op.filter = self->state.def.filter;
    run(
        self, std::move(op),
        [=](projection_reply& r) {
          begin_rebuild(self, generation, r.events, r.value);
        },
        [=](caf::error& err) {
          // A filter that cannot be counted: no total to report.
          if (is(err, ec::invalid_argument))
            begin_rebuild(self, generation, 0, 0);
          else
            rebuild_failed(self, err);
        });
  };
  if (!in_pg(self)) {
    count(st.active.generation + 1);
    return;
  }
  auto op = make_op(self, projection_op::kind::rebuild);
  op.clean = st.def.clean;
  run(
      self, std::move(op), [=](projection_reply& r) { count(r.value); },
      [=](caf::error& err) { rebuild_failed(self, err); });
}

/// Loads what is stored, subscribes after it, and rebuilds if needed.
void load(self_ptr self) {
  run(
      self, make_op(self, projection_op::kind::open),
      [=](projection_reply& r) {
        auto& st = self->state;
        auto& rec = r.record;
        st.status.model_version = rec.version;
        st.active.generation = rec.generation;
        st.status.generation = rec.generation;
        st.active.model = st.def.make(rec.generation);
        if (in_pg(self)) {
          st.active.position = rec.position;
        } else if (rec.snapshot) {
          if (auto err = st.active.model->restore(*rec.snapshot)) {
            spdlog::warn("projection {}: snapshot at {} unreadable ({}); "
                         "replaying from the origin",
                         st.def.name, rec.position, describe(err));
            st.active.model = st.def.make(rec.generation);
          } else {
            st.active.position = rec.position;
          }
        }
        bool rebuild = rec.version != st.def.version
                       || (in_pg(self) && rec.rebuild_generation);
        subscribe(
            self, st.def.name, caf::actor_cast<subscriber_actor>(self),
            st.active.position,
            [=] {
              self->state.status.ready = true;
              if (rebuild)
                start_rebuild(self);
            },
            [=](caf::error& err) { self->quit(err); });
      },
      [=](caf::error& err) {
        spdlog::error("projection {}: cannot load: {}",
                      self->state.def.name, describe(err));
        self->quit(err);
      });
}

} // namespace

projection_actor::behavior_type
projection(projection_actor::stateful_pointer<projection_state> self,
           node_actor node, projection_definition def) {
  auto& init = self->state;
  init.def = std::move(def);
  init.node = std::move(node);
  init.status.name = init.def.name;
  init.status.version = init.def.version;
  init.status.in_postgres = init.def.kind == kind::postgres;
  if (!init.def.make || init.def.name.empty()
      || (init.def.kind == kind::postgres && !init.def.clean)
      || init.def.snapshot_every == 0 || init.def.buffer_size == 0) {
    self->quit(make_error(ec::invalid_argument,
                          "projection '" + init.def.name
                              + "': needs a name, `make`, `clean` (in "
                                "PostgreSQL), snapshot_every >= 1 and "
                                "buffer_size >= 1"));
    return projection_actor::behavior_type::make_empty_behavior();
  }
  self->monitor(init.node);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.node.address()) {
      stop_feeder(self);
      self->quit(dm.reason ? dm.reason : caf::exit_reason::user_shutdown);
    }
  });
  load(self);
  return {
      [=](deliver_atom, const event_batch& batch) -> caf::result<batch_ack> {
        auto rp = self->make_response_promise<batch_ack>();
        take(self, self->state.active.generation, batch, rp);
        return rp;
      },
      [=](rebuild_atom, int64_t generation,
          const event_batch& batch) -> caf::result<batch_ack> {
        auto rp = self->make_response_promise<batch_ack>();
        take(self, generation, batch, rp);
        return rp;
      },
      [=](status_atom) -> projection_status {
        auto& st = self->state;
        auto out = st.status;
        out.generation = st.active.generation;
        out.position = st.active.position;
        if (st.building) {
          auto& b = *st.building;
          auto secs = std::chrono::duration<double>(clock::now()
                                                    - st.rebuild_began)
                          .count();
          out.rebuild.events_done = b.applied;
          out.rebuild.position = b.position;
          out.rebuild.events_per_second
              = secs > 0 ? static_cast<double>(b.applied) / secs : 0;
        }
        return out;
      },
      [=](query_atom, std::string& key) -> caf::result<std::string> {
        auto& st = self->state;
        if (!st.active.model)
          return make_error(ec::unavailable, "projection " + st.def.name
                                                 + " is not loaded yet");
        auto plan = st.active.model->query(key);
        if (!plan)
          return std::move(plan.error());
        if (plan->answer)
          return std::move(*plan->answer);
        auto rp = self->make_response_promise<std::string>();
        auto op = make_op(self, projection_op::kind::query);
        op.read = std::move(plan->read);
        run(
            self, std::move(op),
            [=](projection_reply& r) mutable {
              rp.deliver(std::move(r.answer));
            },
            [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](rebuild_atom) -> caf::result<int64_t> {
        auto& st = self->state;
        if (!st.status.ready)
          return make_error(ec::unavailable, "projection " + st.def.name
                                                 + " is not loaded yet");
        if (st.building)
          return st.building->generation;
        auto rp = self->make_response_promise<int64_t>();
        st.rebuild_waiters.push_back(rp);
        start_rebuild(self);
        return rp;
      },
      [=](timer_atom, uint64_t tag) {
        auto& st = self->state;
        if (tag == retry_tick) {
          std::vector<int64_t> held;
          for (auto* f : {&st.active, st.building ? &*st.building : nullptr})
            if (f != nullptr && f->held) {
              f->held = false;
              held.push_back(f->generation);
            }
          for (auto g : held)
            drain(self, g);
          return;
        }
        if (tag == st.timer_generation)
          save_snapshot(self);
      },
  };
}

projection_actor spawn_projection(caf::actor_system& sys, node_actor node,
                                  projection_definition def) {
  return sys.spawn(projection, std::move(node), std::move(def));
}

} // namespace es
