#include "actors/stream_actor.hpp"

#include "messages/error.hpp"

#include <caf/sec.hpp>

namespace es {

namespace {

using self_ptr = stream_actor::stateful_pointer<stream_actor_state>;

/// Arms the idle timer unless it is armed: one timer per idle period, not
/// one per append. When it fires, `on_idle_timer` checks whether the stream
/// really was idle for the whole `idle_timeout`.
void arm_idle_timer(self_ptr self) {
  auto& st = self->state;
  st.last_activity = std::chrono::steady_clock::now();
  if (st.idle_timer_armed)
    return;
  st.idle_timer_armed = true;
  self->delayed_send(self, st.idle_timeout, timer_atom_v, uint64_t{0});
}

/// Reports idleness to the router, or re-arms for the rest of the period.
void on_idle_timer(self_ptr self) {
  auto& st = self->state;
  st.idle_timer_armed = false;
  if (st.in_flight || !st.waiting.empty() || st.draining)
    return; // busy: process_next arms the timer again when done
  auto idle_for = std::chrono::steady_clock::now() - st.last_activity;
  if (idle_for < st.idle_timeout) {
    st.idle_timer_armed = true;
    self->delayed_send(self, st.idle_timeout - idle_for, timer_atom_v,
                       uint64_t{0});
    return;
  }
  self->send(st.router, idle_atom_v, st.stream, st.received);
}

/// Takes the next waiting append through the checks and on to the pool.
void process_next(self_ptr self) {
  auto& st = self->state;
  while (!st.in_flight && !st.waiting.empty()) {
    auto item = std::move(st.waiting.front());
    st.waiting.pop_front();
    auto& part = item.cmd.part;
    if (item.cmd.deadline <= std::chrono::steady_clock::now()) {
      item.promise.deliver(make_error(
          ec::timeout, "append to " + st.stream
                           + " timed out behind earlier appends to the "
                             "same stream (nothing written)"));
      continue;
    }
    if (auto err = part.events.empty()
                       ? caf::error{} // the database answers those
                       : st.version.reject_stale(st.stream, part.expected,
                                                 part.events.front().id)) {
      item.promise.deliver(std::move(err));
      continue;
    }
    auto catalog = st.catalog->current();
    if (auto err = registry::validate_append(*catalog, part)) {
      item.promise.deliver(std::move(err));
      continue;
    }
    st.in_flight = true;
    auto promise = item.promise;
    std::vector<uuid> ids;
    ids.reserve(part.events.size());
    for (auto& ev : part.events)
      ids.push_back(ev.id);
    self->request(st.pool, caf::infinite, append_atom_v, std::move(item.cmd))
        .then(
            [=](append_result& res) mutable {
              if (!res.replayed)
                self->state.version.learn(res.first_version, ids);
              self->state.in_flight = false;
              promise.deliver(std::move(res));
              process_next(self);
            },
            [=](caf::error& err) mutable {
              if (is(err, ec::wrong_expected_version))
                self->state.version.forget();
              self->state.in_flight = false;
              promise.deliver(std::move(err));
              process_next(self);
            });
  }
  if (!st.in_flight && st.waiting.empty() && st.draining)
    self->quit(st.exit_reason);
  else if (!st.in_flight && st.waiting.empty())
    arm_idle_timer(self);
}

} // namespace

stream_actor::behavior_type
stream_behavior(stream_actor::stateful_pointer<stream_actor_state> self,
                std::string stream, pool_actor pool, router_actor router,
                std::shared_ptr<registry::catalog_source> catalog,
                std::chrono::milliseconds idle_timeout) {
  auto& init = self->state;
  init.stream = std::move(stream);
  init.pool = std::move(pool);
  init.router = std::move(router);
  init.catalog = std::move(catalog);
  init.idle_timeout = idle_timeout;
  // Stopping (passivation, shutdown, or a router that died): what is
  // queued still goes out.
  auto stop = [=](caf::error reason) {
    auto& st = self->state;
    st.draining = true;
    st.exit_reason = std::move(reason);
    if (!st.in_flight && st.waiting.empty())
      self->quit(st.exit_reason);
  };
  self->set_exit_handler([=](caf::exit_msg& em) { stop(em.reason); });
  self->monitor(init.router);
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.router.address())
      stop(dm.reason);
  });
  return {
      [=](append_atom, append_command& cmd) -> caf::result<append_result> {
        auto& st = self->state;
        ++st.received;
        auto rp = self->make_response_promise<append_result>();
        st.waiting.push_back({std::move(cmd), rp});
        process_next(self);
        return rp;
      },
      [=](timer_atom, uint64_t) { on_idle_timer(self); },
  };
}

} // namespace es
