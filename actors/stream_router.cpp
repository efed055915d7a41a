#include "actors/stream_router.hpp"

#include "actors/stream_actor.hpp"

#include "messages/error.hpp"

#include <caf/exit_reason.hpp>

#include <spdlog/spdlog.h>

namespace es {

router_actor::behavior_type
stream_router(router_actor::stateful_pointer<stream_router_state> self,
              pool_actor pool,
              std::shared_ptr<registry::catalog_source> catalog,
              std::chrono::milliseconds idle_timeout) {
  auto& init = self->state;
  init.pool = std::move(pool);
  init.catalog = std::move(catalog);
  init.idle_timeout = idle_timeout;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto owner = st.owners.find(dm.source);
    if (owner == st.owners.end())
      return;
    auto stream = std::move(owner->second);
    st.owners.erase(owner);
    if (st.draining && st.owners.empty()) {
      self->quit(st.exit_reason);
      return;
    }
    auto it = st.streams.find(stream);
    // A passivated actor was forgotten before it stopped; a new actor for
    // the same stream may be live by now.
    if (it == st.streams.end() || it->second.actor.address() != dm.source)
      return;
    st.streams.erase(it);
    if (st.draining) {
      if (st.owners.empty())
        self->quit(st.exit_reason);
      return;
    }
    ++st.counters.crashed;
    spdlog::error("stream actor {} died: {}; the next append restarts it",
                  stream, caf::to_string(dm.reason));
  });
  // Shutdown: every stream actor sends what it holds, then the router quits.
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& st = self->state;
    st.draining = true;
    st.exit_reason = em.reason;
    for (auto& [stream, entry] : st.streams)
      self->send_exit(entry.actor, em.reason);
    if (st.owners.empty())
      self->quit(em.reason);
  });
  return {
      [=](append_atom, append_command& cmd) -> caf::result<append_result> {
        auto& st = self->state;
        if (st.draining)
          return make_error(ec::unavailable,
                            "the event store is shutting down");
        auto it = st.streams.find(cmd.part.stream);
        if (it == st.streams.end()) {
          auto actor = self->spawn<caf::monitored>(
              stream_behavior, cmd.part.stream, st.pool,
              caf::actor_cast<router_actor>(self), st.catalog,
              st.idle_timeout);
          st.owners.emplace(actor.address(), cmd.part.stream);
          it = st.streams.emplace(cmd.part.stream, stream_router_state::entry{
                                                       std::move(actor), 0})
                   .first;
        }
        ++it->second.forwarded;
        return self->delegate(it->second.actor, append_atom_v,
                              std::move(cmd));
      },
      [=](idle_atom, std::string& stream, uint64_t received) {
        auto& st = self->state;
        auto it = st.streams.find(stream);
        if (it == st.streams.end() || it->second.forwarded != received)
          return;
        self->send_exit(it->second.actor, caf::exit_reason::user_shutdown);
        st.streams.erase(it);
        ++st.counters.passivated;
      },
      [=](status_atom, std::string& stream) -> caf::result<stream_actor> {
        auto it = self->state.streams.find(stream);
        if (it == self->state.streams.end())
          return make_error(ec::not_found, "no live actor for " + stream);
        return it->second.actor;
      },
      [=](status_atom) {
        auto out = self->state.counters;
        out.active_streams = self->state.streams.size();
        return out;
      },
  };
}

} // namespace es

