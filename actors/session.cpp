#include "actors/session.hpp"

#include "config/defaults.hpp"
#include "messages/error.hpp"
#include "storage/sql.hpp"

#include <spdlog/spdlog.h>

#include <random>

namespace es {

namespace {

using self_ptr = session_actor::stateful_pointer<session_state>;
using clock = session_state::clock;

/// Runs the next tick now (connected) or after `delay` (reconnecting).
void schedule_tick(self_ptr self, clock::duration delay = {}) {
  auto gen = ++self->state.timer_generation;
  if (delay == clock::duration{})
    self->send(self, timer_atom_v, gen);
  else
    self->delayed_send(self, delay, timer_atom_v, gen);
}

void wake_dispatcher(self_ptr self) {
  if (self->state.dispatcher)
    self->send(self->state.dispatcher, wake_atom_v);
}

/// The connection broke: every ownership lock went with it.
void lose_connection(self_ptr self, const caf::error& why) {
  auto& st = self->state;
  spdlog::warn("session: connection lost ({}); {} ownership lock(s) lost; "
               "reconnecting",
               describe(why), st.owned.size());
  st.conn.reset();
  st.pid = 0;
  for (auto& [name, owner] : st.owned) {
    self->demonitor(owner.address());
    self->send(owner, lost_atom_v, name);
  }
  st.owned.clear();
}

/// Connects and LISTENs; on success, wakes the dispatcher for the catch-up
/// read of whatever committed while no one listened.
bool connect(self_ptr self) {
  auto& st = self->state;
  auto conn = pg::connection::open(st.dsn, session_state::application_name);
  caf::error err;
  if (!conn)
    err = std::move(conn.error());
  else if (auto res = conn->exec_sql(sql::listen_events); !res)
    err = std::move(res.error());
  if (err) {
    if (st.backoff->attempts() == 0)
      spdlog::warn("session: cannot connect and listen: {}", describe(err));
    return false;
  }
  st.conn.emplace(std::move(*conn));
  st.pid = st.conn->backend_pid();
  if (st.backoff->attempts() > 0)
    spdlog::info("session: reconnected after {} attempt(s); listening again "
                 "(backend pid {})",
                 st.backoff->attempts(), st.pid);
  st.backoff->reset();
  st.next_health = clock::now() + st.health_interval;
  wake_dispatcher(self);
  return true;
}

/// One tick while connected: wait on the socket, take notifications, check
/// health now and then. Returns false when the connection broke.
bool listen_once(self_ptr self) {
  auto& st = self->state;
  auto ready =
      st.conn->wait_readable(static_cast<int>(defaults::session_tick.count()));
  if (!ready) {
    lose_connection(self, ready.error());
    return false;
  }
  // Always consume: notifications may also have arrived during a lock
  // statement, and libpq keeps them until asked.
  auto notes = st.conn->take_notifications();
  if (!notes) {
    lose_connection(self, notes.error());
    return false;
  }
  if (!notes->empty())
    wake_dispatcher(self);
  if (clock::now() >= st.next_health) {
    st.next_health = clock::now() + st.health_interval;
    if (auto res = st.conn->exec(sql::health_check); !res) {
      lose_connection(self, res.error());
      return false;
    }
  }
  return true;
}

/// Releases one lock (the name is no longer owned either way).
bool release(self_ptr self, const std::string& name) {
  auto& st = self->state;
  auto i = st.owned.find(name);
  if (i == st.owned.end())
    return false;
  self->demonitor(i->second.address());
  st.owned.erase(i);
  if (!st.conn)
    return true;
  auto res = st.conn->exec(sql::disown_subscription, pg::params{}.add(name));
  if (!res && !st.conn->ok())
    lose_connection(self, res.error());
  return true;
}

} // namespace

session_actor::behavior_type
session(session_actor::stateful_pointer<session_state> self,
        const node_options& options) {
  auto& init = self->state;
  init.dsn = options.dsn;
  init.health_interval = options.health_interval;
  std::random_device seed;
  init.backoff.emplace(options.backoff, (uint64_t{seed()} << 32) ^ seed());
  self->set_down_handler([=](caf::down_msg& dm) {
    // An owner died: release what it held.
    std::vector<std::string> names;
    for (auto& [name, owner] : self->state.owned)
      if (owner.address() == dm.source)
        names.push_back(name);
    for (auto& name : names)
      release(self, name);
  });
  schedule_tick(self);
  return {
      [=](wake_atom, dispatcher_actor& dispatcher) {
        self->state.dispatcher = std::move(dispatcher);
        // It may have missed commits while it was being replaced.
        wake_dispatcher(self);
      },
      [=](own_atom, std::string& name,
          owner_actor& owner) -> caf::result<bool> {
        auto& st = self->state;
        if (auto i = st.owned.find(name); i != st.owned.end())
          return i->second == owner;
        if (!st.conn)
          return make_error(ec::unavailable,
                            "session: not connected to PostgreSQL");
        auto res =
            st.conn->exec(sql::try_own_subscription, pg::params{}.add(name));
        if (!res) {
          auto err = res.error();
          if (!st.conn->ok())
            lose_connection(self, err);
          return err;
        }
        if (!res->boolean(0, 0))
          return false;
        st.owned.emplace(name, owner);
        self->monitor(owner);
        return true;
      },
      [=](disown_atom, std::string& name) { return release(self, name); },
      [=](status_atom) { return self->state.pid; },
      [=](timer_atom, uint64_t generation) {
        auto& st = self->state;
        if (generation != st.timer_generation)
          return;
        if (!st.conn && !connect(self)) {
          schedule_tick(self, st.backoff->next());
          return;
        }
        if (listen_once(self))
          schedule_tick(self);
        else
          schedule_tick(self, st.backoff->next());
      },
  };
}

} // namespace es
