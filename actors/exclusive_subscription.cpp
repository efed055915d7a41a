#include "actors/exclusive_subscription.hpp"

#include "messages/error.hpp"

#include <caf/exit_reason.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace es {

namespace {

using self_ptr = exclusive_subscription_actor::stateful_pointer<
    exclusive_subscription_state>;

/// How long a lock request may take (the session answers within a tick
/// unless it is busy connecting).
constexpr auto own_timeout = std::chrono::seconds{15};

void contend(self_ptr self);

void retry_later(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.retry, timer_atom_v, ++st.timer_generation);
}

/// Stops delivering: the lock is gone (or going). `expected`: the store
/// is shutting down (no warning).
void lose(self_ptr self, const char* why, bool expected = false) {
  auto& st = self->state;
  if (!st.owner)
    return;
  spdlog::log(expected ? spdlog::level::info : spdlog::level::warn,
              "subscription {}: ownership lost ({}); stopping it and "
              "waiting to own it again",
              st.spec.name, why);
  st.owner = false;
  if (st.inner) {
    self->demonitor(st.inner.address());
    self->send_exit(st.inner, caf::exit_reason::user_shutdown);
    st.inner = nullptr;
  }
  retry_later(self);
}

/// Owns the name: starts the subscription from its stored checkpoint (the
/// node reads the record now, after the lock is held).
void start_owned(self_ptr self) {
  auto& st = self->state;
  st.owner = true;
  st.busy = true;
  auto epoch = ++st.takeovers;
  auto spec = st.spec;
  if (st.subscriber_dead && spec.respawn) {
    st.spec.subscriber = spec.subscriber = spec.respawn();
    st.subscriber_dead = false;
    self->monitor(st.spec.subscriber);
  }
  self->request(st.node, caf::infinite, join_atom_v, std::move(spec))
      .then(
          [=](subscription_actor& sub) {
            auto& cur = self->state;
            cur.busy = false;
            if (!cur.owner || epoch != cur.takeovers) {
              // Lost while it started: it must not deliver.
              self->send_exit(sub, caf::exit_reason::user_shutdown);
              return;
            }
            spdlog::info("subscription {}: owned by this process; running",
                         cur.spec.name);
            cur.inner = std::move(sub);
            self->monitor(cur.inner);
          },
          [=](caf::error& err) {
            auto& cur = self->state;
            cur.busy = false;
            spdlog::warn("subscription {}: cannot start after taking "
                         "ownership: {}; releasing it",
                         cur.spec.name, describe(err));
            if (cur.owner && epoch == cur.takeovers) {
              cur.owner = false;
              if (cur.session)
                caf::anon_send(cur.session, disown_atom_v, cur.spec.name);
              retry_later(self);
            }
          });
}

void ask_session(self_ptr self) {
  auto& st = self->state;
  self->request(st.session, own_timeout, own_atom_v, st.spec.name,
                caf::actor_cast<owner_actor>(self))
      .then(
          [=](bool got) {
            self->state.busy = false;
            if (got)
              start_owned(self);
            else
              retry_later(self);
          },
          [=](caf::error&) {
            // Disconnected, or too slow: try again later.
            self->state.busy = false;
            retry_later(self);
          });
}

/// Tries to take ownership once (through the node's current session).
void contend(self_ptr self) {
  auto& st = self->state;
  if (st.owner)
    return;
  if (st.busy) {
    retry_later(self);
    return;
  }
  st.busy = true;
  if (st.session) {
    ask_session(self);
    return;
  }
  self->request(st.node, caf::infinite, status_atom_v, component::session)
      .then(
          [=](caf::actor& which) {
            auto& cur = self->state;
            cur.session = caf::actor_cast<session_actor>(which);
            if (!cur.session) {
              cur.busy = false;
              retry_later(self);
              return;
            }
            self->monitor(cur.session);
            ask_session(self);
          },
          [=](caf::error&) {
            self->state.busy = false;
            retry_later(self);
          });
}

} // namespace

exclusive_subscription_actor::behavior_type exclusive_subscription(
    exclusive_subscription_actor::stateful_pointer<exclusive_subscription_state>
        self,
    subscription_spec spec, node_actor node, std::chrono::milliseconds retry) {
  auto& init = self->state;
  init.spec = std::move(spec);
  init.spec.exclusive = false;
  init.spec.restart_on_crash = false; // contending again restarts it
  init.node = std::move(node);
  init.retry = retry;
  self->monitor(init.node);
  if (init.spec.subscriber)
    self->monitor(init.spec.subscriber);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    if (dm.source == st.node.address()) {
      self->quit(dm.reason);
    } else if (st.session && dm.source == st.session.address()) {
      // Its connection closed with it: so did the lock.
      st.session = nullptr;
      // The node stops it with user_shutdown only when the store stops.
      lose(self, "the session stopped",
           dm.reason == caf::exit_reason::user_shutdown);
    } else if (st.inner && dm.source == st.inner.address()
               && dm.reason != caf::exit_reason::normal
               && dm.reason != caf::exit_reason::user_shutdown) {
      // It crashed: start it again from the stored checkpoint, once owned.
      st.inner = nullptr;
      lose(self, "its subscription crashed");
      if (st.session)
        caf::anon_send(st.session, disown_atom_v, st.spec.name);
    } else if (st.inner && dm.source == st.inner.address()) {
      // It ended on its own (its subscriber is gone): so do we.
      st.inner = nullptr;
      st.owner = false;
      if (st.session)
        caf::anon_send(st.session, disown_atom_v, st.spec.name);
      self->quit(dm.reason);
    } else if (st.spec.subscriber &&
               dm.source == st.spec.subscriber.address()) {
      if (st.owner)
        return; // the running subscription deals with it
      if (!st.spec.respawn) {
        self->quit(dm.reason);
        return;
      }
      st.subscriber_dead = true;
    }
  });
  self->set_exit_handler([=](caf::exit_msg& em) {
    auto& st = self->state;
    if (st.inner)
      self->send_exit(st.inner, em.reason);
    if (st.owner && st.session)
      caf::anon_send(st.session, disown_atom_v, st.spec.name);
    self->quit(em.reason);
  });
  contend(self);
  return {
      [=](live_atom, live_batch&) {
        // nop: the running subscription takes live batches itself
      },
      [=](status_atom) -> caf::result<subscription_status> {
        auto& st = self->state;
        if (st.inner)
          return self->delegate(st.inner, status_atom_v);
        subscription_status out;
        out.name = st.spec.name;
        out.standby = true;
        return out;
      },
      [=](replay_atom) -> caf::result<uint64_t> {
        auto& st = self->state;
        if (st.inner)
          return self->delegate(st.inner, replay_atom_v);
        return make_error(ec::unavailable,
                          "subscription " + st.spec.name
                              + " is on standby: another process owns it");
      },
      [=](timer_atom, uint64_t generation) {
        if (generation == self->state.timer_generation)
          contend(self);
      },
      [=](lost_atom, std::string& name) {
        if (name == self->state.spec.name)
          lose(self, "the session connection broke");
      },
  };
}

} // namespace es
