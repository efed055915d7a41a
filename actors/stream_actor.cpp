#include "actors/stream_actor.hpp"

#include "messages/error.hpp"

#include <caf/sec.hpp>

namespace es {

namespace {

using self_ptr = stream_actor::stateful_pointer<stream_actor_state>;

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
    if (auto err = st.version.reject_stale(st.stream, part.expected)) {
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
    self->request(st.pool, caf::infinite, append_atom_v, std::move(item.cmd))
        .then(
            [=](append_result& res) mutable {
              self->state.version.learn(res.last_version);
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
    self->delayed_send(self, st.idle_timeout, timer_atom_v,
                       st.idle_generation);
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
  // Stopping (passivation or shutdown): what is queued still goes out.
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& st = self->state;
    st.draining = true;
    st.exit_reason = em.reason;
    if (!st.in_flight && st.waiting.empty())
      self->quit(em.reason);
  });
  return {
      [=](append_atom, append_command& cmd) -> caf::result<append_result> {
        auto& st = self->state;
        ++st.received;
        ++st.idle_generation;
        auto rp = self->make_response_promise<append_result>();
        st.waiting.push_back({std::move(cmd), rp});
        process_next(self);
        return rp;
      },
      [=](timer_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.idle_generation || st.in_flight
            || !st.waiting.empty())
          return;
        self->send(st.router, idle_atom_v, st.stream, st.received);
      },
  };
}

} // namespace es
