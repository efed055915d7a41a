#include "actors/connection_supervisor.hpp"

#include "messages/error.hpp"

#include <caf/exit_reason.hpp>
#include <caf/spawn_options.hpp>
#include <caf/sec.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

namespace es {

const char* to_string(pool_health x) noexcept {
  switch (x) {
  case pool_health::connected:
    return "connected";
  case pool_health::degraded:
    return "degraded";
  case pool_health::down:
    return "down";
  }
  return "?";
}

namespace {

using state = connection_supervisor_state;
using self_ptr = pool_actor::stateful_pointer<state>;
using clock = state::clock;
using slot_state = state::slot_state;

/// Requests to workers never time out on the CAF side: a worker always
/// answers (libpq calls are bounded by the connection's timeouts), and an
/// answer that came after a CAF timeout could not be matched to its group.
constexpr auto no_timeout = caf::infinite;

bool connected(slot_state s) {
  return s == slot_state::idle || s == slot_state::busy;
}

const char* to_string(slot_state s) {
  switch (s) {
  case slot_state::down:
    return "down";
  case slot_state::connecting:
    return "connecting";
  case slot_state::idle:
    return "idle";
  case slot_state::busy:
    return "busy";
  }
  return "?";
}

double seconds_since(clock::time_point since, clock::time_point now) {
  return std::chrono::duration<double>(now - since).count();
}

size_t bytes_of(const stream_append& part) {
  size_t n = 0;
  for (auto& ev : part.events)
    n += ev.data.size() + ev.metadata.size() + ev.type.size();
  return n;
}

void arm_timer(self_ptr self, clock::time_point at);
void pump(self_ptr self);

/// A slot starts a request (or a connect) now.
void mark_busy(state::slot& s, slot_state next) {
  s.state = next;
  s.busy_since = clock::now();
  s.interrupted = false;
}

/// The watchdog: breaks the connection of a slot whose worker has not
/// answered within `query_timeout`; otherwise returns when it would.
std::optional<clock::time_point> watchdog(self_ptr self, size_t i,
                                          clock::time_point now) {
  auto& s = self->state.slots[i];
  if (s.state != slot_state::busy || s.interrupted)
    return std::nullopt;
  auto due = s.busy_since + self->state.options.query_timeout;
  if (now < due)
    return due;
  if (s.handle->interrupt()) {
    s.interrupted = true;
    spdlog::warn("connection {}: no answer for {} ms; breaking the "
                 "connection",
                 i,
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                     now - s.busy_since)
                     .count());
  }
  return std::nullopt;
}

/// Recomputes the pool's health; logs a change once, with its cause.
void update_health(self_ptr self, const std::string& cause) {
  auto& st = self->state;
  size_t up = std::count_if(st.slots.begin(), st.slots.end(),
                            [](auto& s) { return connected(s.state); });
  auto next = up == st.slots.size() ? pool_health::connected
              : up == 0             ? pool_health::down
                                    : pool_health::degraded;
  if (next == st.health)
    return;
  auto prev = st.health;
  st.health = next;
  // Better (down -> degraded while connecting, -> connected) is news;
  // worse is a warning with its cause.
  auto better = next == pool_health::connected
                || (prev == pool_health::down
                    && next == pool_health::degraded);
  if (better)
    spdlog::info("pool: {} -> {} ({} of {} connections up)", to_string(prev),
                 to_string(next), up, st.slots.size());
  else
    spdlog::warn("pool: {} -> {} ({} of {} connections up): {}",
                 to_string(prev), to_string(next), up, st.slots.size(), cause);
}

/// Marks slot `i` down because of `cause` and schedules its reconnect.
void slot_down(self_ptr self, size_t i, const std::string& cause) {
  auto& st = self->state;
  auto& s = st.slots[i];
  auto now = clock::now();
  if (s.state != slot_state::down && s.state != slot_state::connecting)
    spdlog::warn("connection {}: up -> down: {}", i, cause);
  s.state = slot_state::down;
  s.cause = cause;
  s.retry_at = now + s.backoff.next();
  update_health(self, "connection " + std::to_string(i) + ": " + cause);
  arm_timer(self, s.retry_at);
}

void slot_up(self_ptr self, size_t i, int32_t pid) {
  auto& s = self->state.slots[i];
  if (s.backoff.attempts() > 0 || !s.cause.empty())
    spdlog::info("connection {}: down -> up (backend pid {}) after {} "
                 "attempt(s)",
                 i, pid, s.backoff.attempts() + 1);
  s.state = slot_state::idle;
  s.cause.clear();
  s.backoff.reset();
  s.last_health = clock::now();
  update_health(self, {});
}

/// Fails appends whose deadline has passed.
void expire(self_ptr self, clock::time_point now) {
  auto& st = self->state;
  for (auto& p : st.queue->expire(now)) {
    auto it = st.appends.find(p.id);
    if (it == st.appends.end())
      continue;
    ++st.counters.timed_out;
    auto why =
        it->second.ambiguous
            ? "append to " + p.stream
                  + " timed out; its outcome is unknown (the connection "
                    "broke during COMMIT and PostgreSQL has not come back); "
                    "retrying it with the same event ids is safe"
            : "append to " + p.stream
                  + " timed out waiting for PostgreSQL (pool "
                  + to_string(st.health) + ")";
    it->second.promise.deliver(make_error(ec::timeout, std::move(why)));
    st.appends.erase(it);
  }
  while (!st.reads.empty() && st.reads.front().deadline <= now) {
    st.reads.front().fail(make_error(
        ec::timeout, std::string{"read timed out waiting for PostgreSQL (pool "}
                         + to_string(st.health) + ")"));
    st.reads.pop_front();
  }
}

void on_outcome(self_ptr self, size_t i, std::vector<uint64_t> ids,
                batch_outcome& out);

/// Sends the next group to the idle slot `i`. Returns false when nothing
/// could be sent (no append whose deadline is after `now`).
bool send_group(self_ptr self, size_t i, clock::time_point now) {
  auto& st = self->state;
  auto group = st.queue->next_group(now);
  if (group.empty())
    return false;
  commit_batch batch;
  batch.mode = durability::relaxed;
  std::vector<uint64_t> ids;
  ids.reserve(group.size());
  batch.requests.reserve(group.size());
  size_t events = 0;
  for (auto& p : group) {
    auto& w = st.appends.at(p.id);
    if (w.cmd.mode == durability::full)
      batch.mode = durability::full;
    batch.requests.push_back({w.cmd.part});
    ids.push_back(p.id);
    events += w.cmd.part.events.size();
  }
  st.counters.metrics.group_appends.record(static_cast<double>(group.size()));
  st.counters.metrics.group_events.record(static_cast<double>(events));
  mark_busy(st.slots[i], slot_state::busy);
  ++st.groups_in_flight;
  self->request(st.slots[i].worker, no_timeout, append_atom_v, std::move(batch))
      .then(
          [=](batch_outcome& out) mutable {
            on_outcome(self, i, std::move(ids), out);
          },
          [=](caf::error& err) mutable {
            // The worker died mid-transaction: as ambiguous as a broken
            // connection. Its replacement comes from the exit handler.
            batch_outcome out;
            out.connection_lost = true;
            out.results.assign(ids.size(), err);
            on_outcome(self, i, std::move(ids), out);
          });
  return true;
}

/// Puts `ids` back in the queue after a broken connection (ambiguous).
void requeue(self_ptr self, const std::vector<uint64_t>& ids,
             clock::time_point now) {
  auto& st = self->state;
  for (auto id : ids) {
    auto it = st.appends.find(id);
    if (it == st.appends.end())
      continue;
    auto& w = it->second;
    w.ambiguous = true;
    ++st.counters.retried;
    auto p = storage::pending{id, w.cmd.part.stream, w.cmd.part.events.size(),
                              bytes_of(w.cmd.part), w.cmd.deadline};
    if (auto err = st.queue->enqueue(std::move(p), now)) {
      ++(is(err, ec::timeout) ? st.counters.timed_out : st.counters.rejected);
      if (is(err, ec::timeout))
        err = make_error(ec::timeout,
                         "append to " + w.cmd.part.stream
                             + " timed out; its outcome is unknown (the "
                               "connection broke during COMMIT); retrying "
                               "it with the same event ids is safe");
      w.promise.deliver(std::move(err));
      st.appends.erase(it);
    }
  }
}

void on_outcome(self_ptr self, size_t i, std::vector<uint64_t> ids,
                batch_outcome& out) {
  auto& st = self->state;
  --st.groups_in_flight;
  auto now = clock::now();
  std::vector<uint64_t> again;
  caf::error lost;
  for (size_t k = 0; k < ids.size(); ++k) {
    auto it = st.appends.find(ids[k]);
    if (it == st.appends.end())
      continue;
    auto& res = out.results[k];
    if (res) {
      // A group of one stream append per request: one result each.
      it->second.promise.deliver(std::move(res->front()));
      ++st.counters.appends;
      st.counters.metrics.events += it->second.cmd.part.events.size();
      st.counters.metrics.append_latency.record(
          seconds_since(it->second.since, now));
      st.appends.erase(it);
    } else if (out.connection_lost) {
      if (!lost)
        lost = res.error();
      again.push_back(ids[k]);
    } else {
      it->second.promise.deliver(std::move(res.error()));
      st.appends.erase(it);
    }
  }
  if (out.connection_lost) {
    st.breaker->record_failure(now);
    requeue(self, again, now);
    slot_down(self, i,
              lost ? describe(lost)
                   : std::string{"connection lost after COMMIT"});
  } else {
    ++st.counters.transactions;
    st.breaker->record_success(now);
    st.slots[i].state = slot_state::idle;
    if (st.listener)
      self->send(st.listener, wake_atom_v);
  }
  pump(self);
}

/// Sends the next read to the idle slot `i`.
void send_read(self_ptr self, size_t i) {
  auto& st = self->state;
  auto job = std::move(st.reads.front());
  st.reads.pop_front();
  mark_busy(st.slots[i], slot_state::busy);
  job.run(i);
}

/// A reconnect attempt for slot `i`, if the breaker admits it.
void try_connect(self_ptr self, size_t i, clock::time_point now) {
  auto& st = self->state;
  auto admitted = st.breaker->admit(now);
  if (!admitted) {
    st.slots[i].retry_at = now + admitted.retry_after;
    arm_timer(self, st.slots[i].retry_at);
    return;
  }
  mark_busy(st.slots[i], slot_state::connecting);
  self->request(st.slots[i].worker, no_timeout, connect_atom_v)
      .then(
          [=](int32_t pid) {
            self->state.breaker->record_success(clock::now());
            slot_up(self, i, pid);
            pump(self);
          },
          [=](caf::error& err) {
            self->state.breaker->record_failure(clock::now());
            slot_down(self, i, describe(err));
            pump(self);
          });
}

/// Health-checks idle slot `i`.
void check_health(self_ptr self, size_t i, clock::time_point now) {
  auto& s = self->state.slots[i];
  mark_busy(s, slot_state::busy);
  s.last_health = now;
  self->request(s.worker, no_timeout, health_atom_v)
      .then(
          [=](int64_t) {
            self->state.slots[i].state = slot_state::idle;
            pump(self);
          },
          [=](caf::error& err) {
            self->state.breaker->record_failure(clock::now());
            slot_down(self, i, "health check failed: " + describe(err));
            pump(self);
          });
}

/// Everything that can happen now: expiries, reconnects, groups, reads,
/// health checks; then arms the timer for the next thing.
void pump(self_ptr self) {
  auto& st = self->state;
  auto now = clock::now();
  expire(self, now);
  std::optional<clock::time_point> next;
  auto consider = [&](clock::time_point t) {
    if (!next || t < *next)
      next = t;
  };
  for (size_t i = 0; i < st.slots.size(); ++i) {
    auto& s = st.slots[i];
    if (s.state == slot_state::down) {
      if (s.retry_at <= now)
        try_connect(self, i, now);
      else
        consider(s.retry_at);
    }
    if (s.state != slot_state::idle)
      continue;
    bool has_group = st.queue->ready(st.groups_in_flight);
    bool has_read = !st.reads.empty();
    if (has_group && (!has_read || !st.read_turn)) {
      // expire(now) above left only appends whose deadline is after `now`,
      // so a non-empty queue always yields a group.
      auto admitted = st.breaker->admit(now);
      if (admitted) {
        send_group(self, i, now);
        st.read_turn = true;
        continue;
      }
      consider(now + admitted.retry_after);
    }
    if (has_read) {
      st.read_turn = false;
      send_read(self, i);
      continue;
    }
    if (now - s.last_health >= st.options.health_interval && !st.draining)
      check_health(self, i, now);
    else
      consider(s.last_health + st.options.health_interval);
  }
  // After dispatching, so that requests sent just now are watched too.
  for (size_t i = 0; i < st.slots.size(); ++i)
    if (auto due = watchdog(self, i, now))
      consider(*due);
  if (auto d = st.queue->next_deadline())
    consider(*d);
  if (!st.reads.empty())
    consider(st.reads.front().deadline);
  if (next)
    arm_timer(self, *next);
  if (st.draining && st.appends.empty() && st.reads.empty()
      && std::none_of(st.slots.begin(), st.slots.end(), [](auto& s) {
           return s.state == slot_state::busy
                  || s.state == slot_state::connecting;
         })) {
    for (auto& s : st.slots)
      self->send_exit(s.worker, caf::exit_reason::user_shutdown);
    self->quit(st.exit_reason);
  }
}

/// Arms the wake-up timer for `at` unless it is armed for earlier already.
void arm_timer(self_ptr self, clock::time_point at) {
  auto& st = self->state;
  auto now = clock::now();
  if (st.timer_at && *st.timer_at <= at && *st.timer_at > now)
    return;
  st.timer_at = at;
  auto delay = std::max(at - now, clock::duration::zero())
               + std::chrono::microseconds{100};
  self->delayed_send(self, delay, timer_atom_v, ++st.timer_generation);
}

/// Fails fast while the breaker is open; otherwise an empty error.
caf::error breaker_rejects(self_ptr self, clock::time_point now) {
  auto& br = *self->state.breaker;
  if (br.state(now) != storage::breaker_state::open)
    return {};
  return storage::circuit_open_error(br.admit(now));
}

/// Queues a read-like job that runs `f(worker)` and delivers its reply.
template<class T, class Request>
caf::result<T> enqueue_read(self_ptr self, Request req) {
  auto& st = self->state;
  auto now = clock::now();
  if (st.draining)
    return make_error(ec::unavailable, "the event store is shutting down");
  if (auto err = breaker_rejects(self, now))
    return err;
  auto rp = self->template make_response_promise<T>();
  state::read_job job;
  job.deadline = now + st.options.request_timeout;
  job.fail = [rp](caf::error err) mutable { rp.deliver(std::move(err)); };
  job.run = [self, rp, now, req = std::move(req)](size_t i) mutable {
    auto worker = self->state.slots[i].worker;
    std::apply(
        [&](auto&&... args) {
          self->request(worker, no_timeout, args...)
              .then(
                  [=](T& value) mutable {
                    self->state.slots[i].state = slot_state::idle;
                    self->state.counters.metrics.read_latency.record(
                        seconds_since(now, clock::now()));
                    rp.deliver(std::move(value));
                    pump(self);
                  },
                  [=](caf::error& err) mutable {
                    if (is(err, ec::unavailable)) {
                      self->state.breaker->record_failure(clock::now());
                      slot_down(self, i, describe(err));
                    } else {
                      self->state.slots[i].state = slot_state::idle;
                    }
                    rp.deliver(std::move(err));
                    pump(self);
                  });
        },
        std::move(req));
  };
  st.reads.push_back(std::move(job));
  pump(self);
  return rp;
}

} // namespace

pool_actor::behavior_type connection_supervisor(
    pool_actor::stateful_pointer<connection_supervisor_state> self,
    node_options options) {
  auto& init = self->state;
  init.options = std::move(options);
  init.breaker.emplace(init.options.breaker, [self](const auto& t) {
    if (t.to == storage::breaker_state::open)
      ++self->state.counters.metrics.breaker_opened;
    spdlog::warn("circuit breaker: {} -> {}: {}", storage::to_string(t.from),
                 storage::to_string(t.to), t.cause);
  });
  init.queue.emplace(init.options.group_commit);
  std::random_device seed;
  auto start = clock::now();
  for (size_t i = 0; i < init.options.pool_size; ++i) {
    auto handle = std::make_shared<interrupt_handle>();
    auto worker = self->spawn<caf::detached + caf::linked>(
        connection_worker, init.options.dsn, init.options.store, handle);
    init.slots.push_back(state::slot{
        std::move(worker), std::move(handle), slot_state::down, start, false,
        storage::backoff{init.options.backoff,
                         (uint64_t{seed()} << 32) ^ seed()},
        start, start, "not connected yet"});
  }
  init.counters.pool_size = init.slots.size();
  // Exits: a linked worker that died is replaced (its group, if any, is
  // settled by the failed request); anything else is the node stopping us.
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& st = self->state;
    for (size_t i = 0; i < st.slots.size(); ++i) {
      if (em.source != st.slots[i].worker.address())
        continue;
      if (st.draining)
        return;
      spdlog::error("connection {}: worker died: {}", i,
                    caf::to_string(em.reason));
      st.slots[i].handle = std::make_shared<interrupt_handle>();
      st.slots[i].worker = self->spawn<caf::detached + caf::linked>(
          connection_worker, st.options.dsn, st.options.store,
          st.slots[i].handle);
      if (st.slots[i].state != slot_state::busy)
        slot_down(self, i, "worker died");
      return;
    }
    st.draining = true;
    st.exit_reason = em.reason;
    pump(self);
  });
  self->send(self, timer_atom_v, uint64_t{0});
  return {
      [=](append_atom, append_command& cmd) -> caf::result<append_result> {
        auto& st = self->state;
        auto now = clock::now();
        if (st.draining) {
          ++st.counters.rejected;
          return make_error(ec::unavailable,
                            "the event store is shutting down");
        }
        // An open breaker spares the server connection attempts, not the
        // caller its wait: the append queues up to its deadline (DESIGN 8).
        auto id = st.next_id++;
        storage::pending p{id, cmd.part.stream, cmd.part.events.size(),
                           bytes_of(cmd.part), cmd.deadline};
        if (auto err = st.queue->enqueue(std::move(p), now)) {
          ++st.counters.rejected;
          return err;
        }
        auto rp = self->make_response_promise<append_result>();
        st.appends.emplace(id,
                           state::waiting{std::move(cmd), rp, false, now});
        pump(self);
        return rp;
      },
      [=](read_atom, read_request& req) -> caf::result<event_page> {
        return enqueue_read<event_page>(
            self, std::make_tuple(read_atom_v, std::move(req)));
      },
      [=](checkpoint_atom,
          subscription_op& op) -> caf::result<subscription_record> {
        return enqueue_read<subscription_record>(
            self, std::make_tuple(checkpoint_atom_v, std::move(op)));
      },
      [=](checkpoint_atom, std::string& name,
          int64_t after) -> caf::result<std::vector<parked_event>> {
        return enqueue_read<std::vector<parked_event>>(
            self, std::make_tuple(checkpoint_atom_v, std::move(name), after));
      },
      [=](project_atom, projection_op& op) -> caf::result<projection_reply> {
        return enqueue_read<projection_reply>(
            self, std::make_tuple(project_atom_v, std::move(op)));
      },
      [=](info_atom, std::string& stream) -> caf::result<stream_info> {
        return enqueue_read<stream_info>(
            self, std::make_tuple(info_atom_v, std::move(stream)));
      },
      [=](status_atom) -> pool_status {
        auto& st = self->state;
        auto out = st.counters;
        out.health = st.health;
        out.pool_size = st.slots.size();
        out.connections_up =
            std::count_if(st.slots.begin(), st.slots.end(),
                          [](auto& s) { return connected(s.state); });
        out.breaker = st.breaker->state(clock::now());
        out.queued = st.queue->size();
        out.queued_bytes = st.queue->bytes();
        out.metrics.breaker_window_failures = st.breaker->window_failures();
        out.metrics.breaker_window_calls = st.breaker->window_calls();
        out.metrics.connections.clear();
        for (auto& s : st.slots)
          out.metrics.connections.emplace_back(to_string(s.state));
        return out;
      },
      [=](timer_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != 0 && generation != st.timer_generation)
          return;
        st.timer_at.reset();
        pump(self);
      },
      [=](wake_atom, dispatcher_actor& listener) {
        self->state.listener = std::move(listener);
      },
  };
}

} // namespace es
