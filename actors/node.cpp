#include "actors/node.hpp"

#include "actors/connection_supervisor.hpp"
#include "actors/dispatcher.hpp"
#include "actors/exclusive_subscription.hpp"
#include "actors/registry.hpp"
#include "actors/session.hpp"
#include "actors/stream_router.hpp"
#include "actors/subscription.hpp"
#include "config/defaults.hpp"
#include "messages/error.hpp"

#include <caf/exit_reason.hpp>

#include <spdlog/spdlog.h>

#include <limits>

namespace es {

namespace {

using self_ptr = node_actor::stateful_pointer<node_state>;
using clock = node_state::clock;

void spawn_registry(self_ptr self) {
  self->state.registry =
      self->spawn<caf::monitored>(registry_behavior, self->state.catalog);
}

void spawn_pool(self_ptr self) {
  self->state.pool =
      self->spawn<caf::monitored>(connection_supervisor, self->state.options);
}

void spawn_dispatcher(self_ptr self) {
  auto& st = self->state;
  dispatcher_config config;
  config.poll_interval = st.options.dispatcher_poll_interval;
  config.read_interval = st.options.dispatcher_read_interval;
  config.read_interval_min = st.options.dispatcher_read_interval_min;
  config.read_interval_per_member =
      st.options.dispatcher_read_interval_per_subscription;
  st.dispatcher = self->spawn<caf::monitored>(dispatcher, st.pool, st.catalog,
                                              config);
  // The pool wakes it after every commit; the session after commits of
  // other processes.
  self->send(st.pool, wake_atom_v, st.dispatcher);
  if (st.session)
    self->send(st.session, wake_atom_v, st.dispatcher);
}

void spawn_session(self_ptr self) {
  auto& st = self->state;
  st.session = self->spawn<caf::monitored + caf::detached>(session, st.options);
  if (st.dispatcher)
    self->send(st.session, wake_atom_v, st.dispatcher);
}

void spawn_router(self_ptr self) {
  self->state.router = self->spawn<caf::monitored>(
      stream_router, self->state.pool, self->state.catalog,
      self->state.options.stream_idle_timeout);
}

/// Stops what may stop now, and quits once everything is gone: the pool
/// after the router and every subscription (they may still write), the
/// registry after the pool.
void advance_shutdown(self_ptr self) {
  auto& st = self->state;
  if (!st.router && st.subscriptions.empty() && st.pool && !st.pool_stopping) {
    st.pool_stopping = true;
    self->send_exit(st.pool, caf::exit_reason::user_shutdown);
  }
  if (!st.pool && st.registry && !st.registry_stopping) {
    st.registry_stopping = true;
    self->send_exit(st.registry, caf::exit_reason::user_shutdown);
  }
  if (!st.dispatcher && !st.session && !st.router && !st.pool && !st.registry
      && st.subscriptions.empty())
    self->quit(st.exit_reason);
}

/// The next step of an orderly shutdown, once `gone` is down.
void shutdown_step(self_ptr self, const caf::actor_addr& gone) {
  auto& st = self->state;
  if (gone == st.dispatcher.address())
    st.dispatcher = nullptr;
  else if (gone == st.session.address())
    st.session = nullptr;
  else if (gone == st.router.address())
    st.router = nullptr;
  else if (gone == st.pool.address())
    st.pool = nullptr;
  else if (gone == st.registry.address())
    st.registry = nullptr;
  else
    st.subscriptions.erase(gone);
  advance_shutdown(self);
}

/// Starts the shutdown (see node.hpp).
void begin_shutdown(self_ptr self, caf::error reason) {
  auto& st = self->state;
  if (st.stopping)
    return;
  st.stopping = true;
  st.exit_reason = std::move(reason);
  // The dispatcher holds nothing: it stops at once.
  if (st.dispatcher)
    self->send_exit(st.dispatcher, caf::exit_reason::user_shutdown);
  // So does the session (its locks go with its connection).
  if (st.session)
    self->send_exit(st.session, caf::exit_reason::user_shutdown);
  // Subscriptions write their checkpoints, stream actors send what they
  // hold: the pool is still there for both.
  for (auto& [addr, sub] : st.subscriptions)
    self->send_exit(addr, caf::exit_reason::user_shutdown);
  if (st.router)
    self->send_exit(st.router, caf::exit_reason::user_shutdown);
  advance_shutdown(self);
}

/// Starts a subscription that the node supervises (see node.hpp).
subscription_actor spawn_subscription(self_ptr self, subscription_spec spec,
                                      int64_t after) {
  auto& st = self->state;
  auto progress = std::make_shared<std::atomic<int64_t>>(after);
  auto sub = self->spawn<caf::monitored>(
      subscription, spec, after, caf::actor_cast<caf::actor>(self), st.pool,
      st.dispatcher, st.catalog, progress);
  st.subscriptions.emplace(sub.address(),
                           node_state::supervised{std::move(spec), progress});
  return sub;
}

/// A subscription the node started went down: a crash restarts it after
/// its checkpoint (see node.hpp).
void on_subscription_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  auto it = st.subscriptions.find(dm.source);
  auto sup = std::move(it->second);
  st.subscriptions.erase(it);
  if (dm.reason == caf::exit_reason::normal
      || dm.reason == caf::exit_reason::user_shutdown
      || !sup.spec.restart_on_crash)
    return; // it ended
  auto now = clock::now();
  auto& times = st.subscription_restarts;
  while (!times.empty() && now - times.front() > st.options.restart_window)
    times.pop_front();
  if (times.size() >= st.options.max_restarts) {
    spdlog::error("node: subscription {} crashed ({}) after {} subscription "
                  "restarts within {} ms; not restarting it",
                  sup.spec.name, caf::to_string(dm.reason), times.size(),
                  st.options.restart_window.count());
    return;
  }
  times.push_back(now);
  auto after = sup.progress->load();
  spdlog::error("node: subscription {} crashed ({}); restarting it after "
                "position {}",
                sup.spec.name, caf::to_string(dm.reason), after);
  spawn_subscription(self, std::move(sup.spec), after);
}

/// Restarts the component that died, or escalates (see node.hpp).
void on_component_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  if (st.stopping) {
    shutdown_step(self, dm.source);
    return;
  }
  if (st.subscriptions.count(dm.source) != 0) {
    on_subscription_down(self, dm);
    return;
  }
  const char* which = dm.source == st.registry.address() ? "registry"
                      : dm.source == st.pool.address()   ? "pool"
                      : dm.source == st.router.address() ? "router"
                      : dm.source == st.dispatcher.address() ? "dispatcher"
                      : dm.source == st.session.address()    ? "session"
                                                             : nullptr;
  if (which == nullptr)
    return; // An old incarnation replaced already.
  auto now = clock::now();
  while (!st.restart_times.empty()
         && now - st.restart_times.front() > st.options.restart_window)
    st.restart_times.pop_front();
  if (st.restart_times.size() >= st.options.max_restarts) {
    spdlog::critical("node: {} died ({}) after {} restarts within {} ms; "
                     "stopping the event store",
                     which, caf::to_string(dm.reason), st.restart_times.size(),
                     st.options.restart_window.count());
    auto reason = dm.reason ? dm.reason : caf::error{caf::sec::runtime_error};
    if (dm.source == st.registry.address())
      st.registry = nullptr;
    if (dm.source == st.pool.address())
      st.pool = nullptr;
    if (dm.source == st.router.address())
      st.router = nullptr;
    if (dm.source == st.dispatcher.address())
      st.dispatcher = nullptr;
    if (dm.source == st.session.address())
      st.session = nullptr;
    begin_shutdown(self, std::move(reason));
    return;
  }
  st.restart_times.push_back(now);
  ++st.restarts;
  spdlog::error("node: {} died ({}); restarting it", which,
                caf::to_string(dm.reason));
  if (dm.source == st.registry.address()) {
    spawn_registry(self);
  } else if (dm.source == st.pool.address()) {
    // The router holds the pool: it restarts too, after the pool.
    self->demonitor(st.router.address());
    self->send_exit(st.router, caf::exit_reason::user_shutdown);
    // So does the dispatcher.
    self->demonitor(st.dispatcher.address());
    self->send_exit(st.dispatcher, caf::exit_reason::user_shutdown);
    spawn_pool(self);
    spawn_router(self);
    spawn_dispatcher(self);
  } else if (dm.source == st.dispatcher.address()) {
    spawn_dispatcher(self);
  } else if (dm.source == st.session.address()) {
    spawn_session(self);
  } else {
    spawn_router(self);
  }
}

caf::error stopping_error() {
  return make_error(ec::unavailable, "the event store is shutting down");
}

} // namespace

node_actor::behavior_type
node_behavior(node_actor::stateful_pointer<node_state> self,
              node_options options,
              std::shared_ptr<registry::catalog_source> catalog) {
  self->state.options = std::move(options);
  self->state.catalog = std::move(catalog);
  spawn_registry(self);
  spawn_pool(self);
  spawn_router(self);
  spawn_dispatcher(self);
  spawn_session(self);
  self->set_down_handler(
      [=](caf::down_msg& dm) { on_component_down(self, dm); });
  self->set_exit_handler(
      [=](caf::exit_msg& em) { begin_shutdown(self, std::move(em.reason)); });
  return {
      [=](append_atom, append_command& cmd) -> caf::result<append_result> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        if (cmd.deadline == clock::time_point{})
          cmd.deadline = clock::now() + st.options.request_timeout;
        return self->delegate(st.router, append_atom_v, std::move(cmd));
      },
      [=](read_atom, read_request& req) -> caf::result<event_page> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        auto rp = self->make_response_promise<event_page>();
        self->request(st.pool, caf::infinite, read_atom_v, std::move(req))
            .then(
                [=](event_page& page) mutable {
                  auto cat = self->state.catalog->current();
                  for (auto& ev : page.events)
                    if (auto status = cat->upcast(ev); !status) {
                      rp.deliver(std::move(status.error()));
                      return;
                    }
                  rp.deliver(std::move(page));
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](info_atom, std::string& stream) -> caf::result<stream_info> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        return self->delegate(st.pool, info_atom_v, std::move(stream));
      },
      [=](status_atom) -> caf::result<node_status> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        auto rp = self->make_response_promise<node_status>();
        auto router = st.router;
        auto restarts = st.restarts;
        std::vector<caf::actor> subs;
        subs.reserve(st.subscriptions.size());
        for (auto& kvp : st.subscriptions)
          subs.push_back(caf::actor_cast<caf::actor>(kvp.first));
        self->request(st.pool, caf::infinite, status_atom_v)
            .then(
                [=](pool_status& pool) mutable {
                  self->request(router, caf::infinite, status_atom_v)
                      .then(
                          [=](router_status& rs) mutable {
                            rp.deliver(
                                node_status{pool, rs, restarts, subs});
                          },
                          [=](caf::error& err) mutable {
                            rp.deliver(std::move(err));
                          });
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](status_atom, component which) -> caf::actor {
        auto& st = self->state;
        switch (which) {
        case component::registry:
          return caf::actor_cast<caf::actor>(st.registry);
        case component::pool:
          return caf::actor_cast<caf::actor>(st.pool);
        case component::router:
          return caf::actor_cast<caf::actor>(st.router);
        case component::dispatcher:
          return caf::actor_cast<caf::actor>(st.dispatcher);
        case component::session:
          return caf::actor_cast<caf::actor>(st.session);
        }
        return {};
      },
      [=](register_atom, module_set& set) -> caf::result<uint64_t> {
        return self->delegate(self->state.registry, register_atom_v,
                              std::move(set));
      },
      [=](register_atom, mode_plugin& plugin) -> caf::result<uint64_t> {
        return self->delegate(self->state.registry, register_atom_v,
                              std::move(plugin));
      },
      [=](join_atom,
          subscription_spec& spec) -> caf::result<subscription_actor> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        if (auto err = validate(spec.delivery))
          return err;
        if (spec.buffer_size == 0 || spec.page_size == 0
            || spec.page_size > defaults::max_page_size)
          return make_error(ec::invalid_argument,
                            "subscription " + spec.name
                                + ": buffer_size must be at least 1 and "
                                  "page_size in 1-"
                                + std::to_string(defaults::max_page_size));
        if (!spec.subscriber)
          return make_error(ec::invalid_argument,
                            "subscription " + spec.name + ": no subscriber");
        if (spec.concurrency_limit == 0
            || (spec.concurrency_limit > 1 && !spec.respawn))
          return make_error(ec::invalid_argument,
                            "subscription " + spec.name
                                + ": concurrency_limit must be at least 1, "
                                  "and above 1 needs respawn to make the "
                                  "other subscribers");
        if (spec.exclusive) {
          // Answered at once with a handle that outlives ownership changes
          // (see actors/exclusive_subscription.hpp).
          if (!spec.persistent)
            return make_error(ec::invalid_argument,
                              "subscription " + spec.name
                                  + ": exclusive needs persistent (the "
                                    "owner resumes from the stored "
                                    "checkpoint)");
          return caf::actor_cast<subscription_actor>(
              self->spawn(exclusive_subscription, spec,
                          caf::actor_cast<node_actor>(self),
                          defaults::ownership_retry));
        }
        auto start = [=](subscription_spec& s, int64_t after) {
          return spawn_subscription(self, std::move(s), after);
        };
        // Where it starts: after its stored checkpoint if it is persistent
        // and exists; else as `start` says (and stored, if persistent).
        auto rp = self->make_response_promise<subscription_actor>();
        auto begin = [=](int64_t after) mutable {
          auto s = spec;
          if (!s.persistent) {
            rp.deliver(start(s, after));
            return;
          }
          subscription_op reset;
          reset.what = subscription_op::kind::reset;
          reset.name = s.name;
          reset.position = after;
          self->request(self->state.pool, caf::infinite, checkpoint_atom_v,
                        std::move(reset))
              .then(
                  [=](subscription_record&) mutable {
                    auto s2 = spec;
                    rp.deliver(start(s2, after));
                  },
                  [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        };
        auto from_spec = [=]() mutable {
          if (spec.start == start_from::origin) {
            begin(0);
          } else if (spec.start == start_from::position) {
            if (spec.after < 0) {
              rp.deliver(make_error(ec::invalid_argument,
                                    "subscription " + spec.name
                                        + ": negative start position"));
              return;
            }
            begin(spec.after);
          } else {
            // From now: after the log horizon (an empty read reports it).
            read_request probe;
            probe.what = read_request::target::all;
            probe.from = std::numeric_limits<int64_t>::max() / 2;
            probe.count = 1;
            self->request(self->state.pool, caf::infinite, read_atom_v,
                          std::move(probe))
                .then([=](event_page& page) mutable { begin(page.horizon); },
                      [=](caf::error& err) mutable {
                        rp.deliver(std::move(err));
                      });
          }
        };
        if (!spec.persistent) {
          from_spec();
          return rp;
        }
        subscription_op open;
        open.what = subscription_op::kind::open;
        open.name = spec.name;
        self->request(st.pool, caf::infinite, checkpoint_atom_v,
                      std::move(open))
            .then(
                [=](subscription_record& rec) mutable {
                  // At 0 it has handled nothing (new, or never past the
                  // origin): `start` applies. Else it resumes after its
                  // checkpoint.
                  if (rec.position == 0) {
                    from_spec();
                  } else {
                    auto s = spec;
                    rp.deliver(start(s, rec.position));
                  }
                },
                [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](project_atom, projection_op& op) -> caf::result<projection_reply> {
        auto& st = self->state;
        if (st.stopping)
          return stopping_error();
        return self->delegate(st.pool, project_atom_v, std::move(op));
      },
      [=](list_atom) {
        std::vector<caf::actor> out;
        for (auto& [addr, sup] : self->state.subscriptions)
          if (auto sub = caf::actor_cast<caf::actor>(addr))
            out.push_back(std::move(sub));
        return out;
      },
  };
}

} // namespace es
