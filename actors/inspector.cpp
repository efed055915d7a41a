#include "actors/inspector.hpp"

#include "actors/console_commands.hpp"
#include "actors/console_json.hpp"
#include "actors/tail_forwarder.hpp"
#include "messages/error.hpp"
#include "storage/event_store.hpp"

#include <caf/config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>
#include <rapidjson/document.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <set>

namespace es {

namespace {

using self_ptr = inspector_actor::stateful_pointer<inspector_state>;
using reply = caf::typed_response_promise<std::string>;
using clock = inspector_state::clock;
namespace cj = console_json;

/// Samples kept for the metrics (one a second: a minute).
constexpr size_t max_samples = 61;

/// How long `status` waits for the server's version: a database that does
/// not answer must not hold up the status (it says "unavailable").
constexpr std::chrono::milliseconds version_timeout{2000};

/// Stored parked events listed by `parked`, at most.
constexpr size_t parked_page = 100;

std::string json_of(const std::function<void(cj::writer&)>& fn) {
  rapidjson::StringBuffer sb;
  cj::writer w{sb};
  fn(w);
  return {sb.GetString(), sb.GetSize()};
}

void fail(reply rp, const caf::error& err) {
  if (err == caf::sec::request_timeout)
    rp.deliver(cj::error(make_error(
        ec::timeout, "the store did not answer in time (is the database "
                     "reachable? see health)")));
  else
    rp.deliver(cj::error(err));
}

/// Runs `read` on a pool connection (the pool's generic read, see the
/// header); `next` gets its JSON.
void db_read(
    self_ptr self, reply rp,
    std::function<caf::expected<std::string>(storage::event_store&)> read,
    std::function<void(std::string&)> next) {
  projection_op op;
  op.what = projection_op::kind::query;
  op.name = "console";
  op.read = std::move(read);
  self->request(self->state.node, self->state.request_timeout, project_atom_v,
                std::move(op))
      .then([=](projection_reply& r) mutable { next(r.answer); },
            [=](caf::error& err) mutable { fail(rp, err); });
}

/// The log horizon and every stored subscription, as JSON.
caf::expected<std::string> read_stored_subscriptions(storage::event_store& s) {
  auto horizon = s.log_horizon();
  if (!horizon)
    return std::move(horizon.error());
  auto subs = s.list_subscriptions();
  if (!subs)
    return std::move(subs.error());
  return json_of([&](cj::writer& w) {
    w.StartObject();
    cj::field(w, "horizon", *horizon);
    w.Key("stored");
    w.StartArray();
    for (auto& rec : *subs)
      cj::write(w, rec);
    w.EndArray();
    w.EndObject();
  });
}

using sub_list =
    std::vector<std::pair<subscription_actor, subscription_status>>;

/// Asks the node for its subscriptions and each for its status; `next`
/// gets them by name (those that ended meanwhile are left out).
void with_subscriptions(self_ptr self, reply rp,
                        std::function<void(sub_list&)> next) {
  auto timeout = self->state.request_timeout;
  self->request(self->state.node, timeout, list_atom_v)
      .then(
          [=](std::vector<caf::actor>& subs) mutable {
            auto acc = std::make_shared<sub_list>();
            auto left = std::make_shared<size_t>(subs.size());
            auto finish = [acc, next]() mutable {
              std::sort(acc->begin(), acc->end(), [](auto& x, auto& y) {
                return x.second.name < y.second.name;
              });
              next(*acc);
            };
            if (subs.empty()) {
              finish();
              return;
            }
            for (auto& a : subs) {
              auto sub = caf::actor_cast<subscription_actor>(a);
              self->request(sub, timeout, status_atom_v)
                  .then(
                      [=](subscription_status& st) mutable {
                        acc->emplace_back(sub, std::move(st));
                        if (--*left == 0)
                          finish();
                      },
                      [=](caf::error&) mutable {
                        if (--*left == 0)
                          finish();
                      });
            }
          },
          [=](caf::error& err) mutable { fail(rp, err); });
}

/// The actor of each component, by name (null when not running).
using component_list = std::vector<std::pair<std::string, caf::actor>>;

void with_components(self_ptr self, reply rp,
                     std::function<void(component_list&)> next) {
  static const std::vector<std::pair<const char*, component>> all{
      {"registry", component::registry}, {"pool", component::pool},
      {"router", component::router},     {"dispatcher", component::dispatcher},
      {"session", component::session},
  };
  auto acc = std::make_shared<component_list>();
  for (auto& [name, which] : all)
    acc->emplace_back(name, caf::actor{});
  auto left = std::make_shared<size_t>(all.size());
  auto failed = std::make_shared<bool>(false);
  for (size_t i = 0; i < all.size(); ++i) {
    self->request(self->state.node, self->state.request_timeout, status_atom_v,
                  all[i].second)
        .then(
            [=](caf::actor& a) mutable {
              (*acc)[i].second = std::move(a);
              if (--*left == 0 && !*failed)
                next(*acc);
            },
            [=](caf::error& err) mutable {
              if (!*failed)
                fail(rp, err);
              *failed = true;
            });
  }
}

caf::actor find_component(const component_list& comps, const char* name) {
  for (auto& [n, a] : comps)
    if (n == name)
      return a;
  return {};
}

double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

// -- commands -----------------------------------------------------------------

void run_status(self_ptr self, reply rp) {
  auto timeout = self->state.request_timeout;
  self->request(self->state.node, timeout, status_atom_v)
      .then(
          [=](node_status& ns) mutable {
            with_components(self, rp, [=](component_list& comps) mutable {
              auto report = [=](int64_t head, int32_t pid,
                                std::string pg_version) mutable {
                rp.deliver(cj::ok(
                    console_verb::status, json_of([&](cj::writer& w) {
                      auto& st = self->state;
                      w.StartObject();
                      cj::field(w, "store_version", store_version());
                      cj::field(w, "protocol", console_protocol_version);
                      cj::field(w, "caf_version",
                                std::to_string(CAF_VERSION / 10000) + "." +
                                    std::to_string(CAF_VERSION / 100 % 100) +
                                    "." + std::to_string(CAF_VERSION % 100));
                      cj::field(w, "postgres_version", pg_version);
                      cj::field(w, "uptime_s", seconds_since(st.started));
                      w.Key("components");
                      w.StartArray();
                      for (auto& [name, a] : comps) {
                        w.StartObject();
                        cj::field(w, "name", name);
                        cj::field(w, "running", static_cast<bool>(a));
                        w.EndObject();
                      }
                      w.EndArray();
                      cj::field(w, "restarts", ns.restarts);
                      w.Key("pool");
                      cj::write(w, ns.pool);
                      w.Key("router");
                      cj::write(w, ns.router);
                      cj::field(w, "dispatcher_head", head);
                      cj::field(w, "session_backend_pid", pid);
                      cj::field(w, "projections", st.projections.size());
                      w.EndObject();
                    })));
              };
              // The server's version, when the database answers (status
              // works without it).
              auto finish = [=](int64_t head, int32_t pid) mutable {
                projection_op op;
                op.what = projection_op::kind::query;
                op.name = "console";
                op.read =
                    [](storage::event_store& s) -> caf::expected<std::string> {
                  auto v = PQserverVersion(s.connection().native());
                  return std::to_string(v / 10000) + "." +
                         std::to_string(v % 10000);
                };
                self->request(self->state.node,
                              std::min(timeout, version_timeout),
                              project_atom_v, std::move(op))
                    .then(
                        [=](projection_reply& r) mutable {
                          report(head, pid, r.answer);
                        },
                        [=](caf::error&) mutable {
                          report(head, pid, "unavailable");
                        });
              };
              auto ask_session = [=](int64_t head) mutable {
                auto session = caf::actor_cast<session_actor>(
                    find_component(comps, "session"));
                if (!session) {
                  finish(head, 0);
                  return;
                }
                self->request(session, timeout, status_atom_v)
                    .then([=](int32_t pid) mutable { finish(head, pid); },
                          [=](caf::error&) mutable { finish(head, 0); });
              };
              auto dispatcher = caf::actor_cast<dispatcher_actor>(
                  find_component(comps, "dispatcher"));
              if (!dispatcher) {
                ask_session(-1);
                return;
              }
              self->request(dispatcher, timeout, status_atom_v)
                  .then([=](int64_t head) mutable { ask_session(head); },
                        [=](caf::error&) mutable { ask_session(-1); });
            });
          },
          [=](caf::error& err) mutable { fail(rp, err); });
}

void run_health(self_ptr self, reply rp) {
  self->request(self->state.node, self->state.request_timeout, status_atom_v)
      .then(
          [=](node_status& ns) mutable {
            rp.deliver(cj::ok(console_verb::health, json_of([&](cj::writer& w) {
                                cj::write(w, ns.pool);
                              })));
          },
          [=](caf::error& err) mutable { fail(rp, err); });
}

void run_streams(self_ptr self, reply rp, const console_command& cmd) {
  auto after = cmd.after;
  auto count = cmd.count;
  db_read(
      self, rp,
      [after, count](storage::event_store& s) -> caf::expected<std::string> {
        auto page = s.list_streams(after, count);
        if (!page)
          return std::move(page.error());
        return cj::streams(*page);
      },
      [=](std::string& json) mutable {
        rp.deliver(cj::ok(console_verb::streams, json));
      });
}

void run_stream(self_ptr self, reply rp, const console_command& cmd) {
  auto timeout = self->state.request_timeout;
  read_request req;
  req.what = read_request::target::stream;
  req.stream = cmd.name;
  req.from = cmd.from;
  req.count = cmd.count;
  self->request(self->state.node, timeout, info_atom_v, cmd.name)
      .then(
          [=](stream_info& info) mutable {
            self->request(self->state.node, timeout, read_atom_v, req)
                .then(
                    [=](event_page& page) mutable {
                      rp.deliver(cj::ok(console_verb::stream,
                                        json_of([&](cj::writer& w) {
                                          w.StartObject();
                                          w.Key("info");
                                          cj::write(w, info);
                                          w.Key("events");
                                          w.StartArray();
                                          for (auto& ev : page.events)
                                            cj::write(w, ev);
                                          w.EndArray();
                                          cj::field(w, "next", page.next);
                                          cj::field(w, "end", page.end);
                                          w.EndObject();
                                        })));
                    },
                    [=](caf::error& err) mutable { fail(rp, err); });
          },
          [=](caf::error& err) mutable { fail(rp, err); });
}

void run_subscriptions(self_ptr self, reply rp) {
  with_subscriptions(self, rp, [=](sub_list& running) mutable {
    auto subs = running;
    db_read(self, rp, read_stored_subscriptions,
            [=](std::string& stored_json) mutable {
              rapidjson::Document stored;
              stored.Parse(stored_json.data(), stored_json.size());
              auto horizon = stored["horizon"].GetInt64();
              auto lag_of = [&](int64_t checkpoint) {
                return std::max<int64_t>(0, horizon - checkpoint);
              };
              rp.deliver(cj::ok(
                  console_verb::subscriptions, json_of([&](cj::writer& w) {
                    w.StartObject();
                    cj::field(w, "horizon", horizon);
                    w.Key("subscriptions");
                    w.StartArray();
                    std::set<std::string> seen;
                    for (auto& [sub, st] : subs) {
                      seen.insert(st.name);
                      w.StartObject();
                      cj::field(w, "name", st.name);
                      cj::field(w, "running", true);
                      cj::field(w, "owner",
                                st.standby ? "standby (another process)"
                                           : "this process");
                      cj::field(w, "position", st.checkpoint);
                      cj::field(w, "head", st.head);
                      cj::field(w, "lag", lag_of(st.checkpoint));
                      cj::field(w, "live", st.live);
                      cj::field(w, "in_flight", st.in_flight);
                      cj::field(w, "queued", st.queued);
                      cj::field(w, "parked", st.parked_events.size());
                      cj::field(w, "delivered", st.delivered);
                      cj::field(w, "acknowledged", st.acknowledged);
                      cj::field(w, "retried", st.retried);
                      cj::field(w, "subscriber_restarts",
                                st.subscriber_restarts);
                      w.EndObject();
                    }
                    for (auto& rec : stored["stored"].GetArray()) {
                      std::string name = rec["name"].GetString();
                      if (seen.count(name) != 0)
                        continue;
                      auto position = rec["position"].GetInt64();
                      w.StartObject();
                      cj::field(w, "name", name);
                      cj::field(w, "running", false);
                      cj::field(w, "owner", "none in this process");
                      cj::field(w, "position", position);
                      cj::field(w, "lag", lag_of(position));
                      cj::field(w, "parked", rec["parked"].GetUint64());
                      w.EndObject();
                    }
                    w.EndArray();
                    w.EndObject();
                  })));
            });
  });
}

void run_parked(self_ptr self, reply rp, const console_command& cmd) {
  auto name = cmd.name;
  with_subscriptions(self, rp, [=](sub_list& running) mutable {
    std::optional<subscription_status> mine;
    for (auto& [sub, st] : running)
      if (st.name == name)
        mine = st;
    projection_op op;
    op.what = projection_op::kind::query;
    op.name = "console";
    op.read = [name](storage::event_store& s) -> caf::expected<std::string> {
      auto list = s.list_parked(name, 0, parked_page);
      if (!list)
        return std::move(list.error());
      return json_of([&](cj::writer& w) {
        w.StartArray();
        for (auto& p : *list)
          cj::write(w, p);
        w.EndArray();
      });
    };
    auto deliver = [=](const std::string& source,
                       const std::string& events) mutable {
      rp.deliver(cj::ok(console_verb::parked, json_of([&](cj::writer& w) {
                          w.StartObject();
                          cj::field(w, "name", name);
                          cj::field(w, "source", source);
                          cj::raw_field(w, "parked", events);
                          w.EndObject();
                        })));
    };
    self->request(self->state.node, self->state.request_timeout, project_atom_v,
                  std::move(op))
        .then([=](projection_reply& r) mutable { deliver("stored", r.answer); },
              [=](caf::error& err) mutable {
                if (!is(err, ec::not_found)) {
                  fail(rp, err);
                  return;
                }
                if (!mine) {
                  fail(rp, make_error(ec::not_found,
                                      "subscription " + name +
                                          " does not exist (neither running "
                                          "here nor stored)"));
                  return;
                }
                // A subscription that is not persistent: what it holds.
                deliver("memory", json_of([&](cj::writer& w) {
                          w.StartArray();
                          for (auto& p : mine->parked_events) {
                            w.StartObject();
                            cj::field(w, "position", p.position);
                            cj::field(w, "attempts", p.attempts);
                            cj::field(w, "reason", p.reason);
                            w.EndObject();
                          }
                          w.EndArray();
                        }));
              });
  });
}

void run_replay(self_ptr self, reply rp, const console_command& cmd) {
  auto name = cmd.name;
  with_subscriptions(self, rp, [=](sub_list& running) mutable {
    subscription_actor target;
    for (auto& [sub, st] : running)
      if (st.name == name)
        target = sub;
    if (!target) {
      fail(rp, make_error(ec::not_found,
                          "subscription " + name +
                              " is not running in this process (only a "
                              "running subscription can replay)"));
      return;
    }
    // Each event may take up to its ack timeout: the subscription bounds it.
    self->request(target, caf::infinite, replay_atom_v)
        .then(
            [=](uint64_t handled) mutable {
              rp.deliver(
                  cj::ok(console_verb::replay, json_of([&](cj::writer& w) {
                           w.StartObject();
                           cj::field(w, "name", name);
                           cj::field(w, "replayed", handled);
                           w.EndObject();
                         })));
            },
            [=](caf::error& err) mutable { fail(rp, err); });
  });
}

void run_registry(self_ptr self, reply rp) {
  self->request(self->state.node, self->state.request_timeout, status_atom_v,
                component::registry)
      .then(
          [=](caf::actor& a) mutable {
            auto reg = caf::actor_cast<registry_actor>(a);
            if (!reg) {
              fail(rp,
                   make_error(ec::unavailable, "the registry is not running"));
              return;
            }
            self->request(reg, self->state.request_timeout, catalog_atom_v)
                .then(
                    [=](registry::catalog_ptr& cat) mutable {
                      rp.deliver(
                          cj::ok(console_verb::registry, cj::catalog(*cat)));
                    },
                    [=](caf::error& err) mutable { fail(rp, err); });
          },
          [=](caf::error& err) mutable { fail(rp, err); });
}

/// Appends per second between the sample `window` ago (or the oldest) and
/// `now`; -1 without an older sample.
double rate(const std::deque<inspector_state::sample>& samples,
            const inspector_state::sample& now, std::chrono::seconds window,
            bool transactions = false) {
  const inspector_state::sample* base = nullptr;
  for (auto& s : samples)
    if (now.at - s.at <= window && now.at > s.at) {
      base = &s;
      break;
    }
  if (base == nullptr)
    return -1;
  auto dt = std::chrono::duration<double>(now.at - base->at).count();
  auto dn = transactions ? now.transactions - base->transactions
                         : now.appends - base->appends;
  return static_cast<double>(dn) / dt;
}

void run_metrics(self_ptr self, reply rp) {
  auto timeout = self->state.request_timeout;
  self->request(self->state.node, timeout, status_atom_v)
      .then(
          [=](node_status& ns) mutable {
            inspector_state::sample now{clock::now(), ns.pool.appends,
                                        ns.pool.transactions};
            with_components(self, rp, [=](component_list& comps) mutable {
              auto dispatcher = caf::actor_cast<dispatcher_actor>(
                  find_component(comps, "dispatcher"));
              auto rest = [=](int64_t head) mutable {
                with_subscriptions(self, rp, [=](sub_list& subs) mutable {
                  auto running = subs;
                  db_read(
                      self, rp,
                      [](storage::event_store& s)
                          -> caf::expected<std::string> {
                        auto h = s.log_horizon();
                        if (!h)
                          return std::move(h.error());
                        return std::to_string(*h);
                      },
                      [=](std::string& horizon_text) mutable {
                        auto horizon = std::stoll(horizon_text);
                        auto& st = self->state;
                        rp.deliver(cj::ok(
                            console_verb::metrics, json_of([&](cj::writer& w) {
                              w.StartObject();
                              cj::field(w, "appends", ns.pool.appends);
                              cj::field(w, "transactions",
                                        ns.pool.transactions);
                              cj::field(w, "append_rate_10s",
                                        rate(st.samples, now,
                                             std::chrono::seconds{10}));
                              cj::field(w, "append_rate_60s",
                                        rate(st.samples, now,
                                             std::chrono::seconds{60}));
                              cj::field(w, "transaction_rate_10s",
                                        rate(st.samples, now,
                                             std::chrono::seconds{10}, true));
                              cj::field(
                                  w, "mean_group_size",
                                  ns.pool.transactions == 0
                                      ? 0.0
                                      : static_cast<double>(ns.pool.appends) /
                                            static_cast<double>(
                                                ns.pool.transactions));
                              cj::field(w, "queued", ns.pool.queued);
                              cj::field(w, "retried", ns.pool.retried);
                              cj::field(w, "timed_out", ns.pool.timed_out);
                              cj::field(w, "rejected", ns.pool.rejected);
                              cj::field(w, "log_horizon",
                                        static_cast<int64_t>(horizon));
                              cj::field(w, "dispatcher_head", head);
                              cj::field(w, "dispatch_lag",
                                        head < 0 ? int64_t{-1}
                                                 : std::max<int64_t>(
                                                       0, horizon - head));
                              int64_t max_lag = 0;
                              std::string slowest;
                              for (auto& [sub, s] : running) {
                                auto lag = horizon - s.checkpoint;
                                if (lag > max_lag) {
                                  max_lag = lag;
                                  slowest = s.name;
                                }
                              }
                              cj::field(w, "subscriptions", running.size());
                              cj::field(w, "subscription_lag_max", max_lag);
                              cj::field(w, "slowest_subscription", slowest);
                              // Since start, from the pool's histogram
                              // (bucket-interpolated, as Prometheus does).
                              auto& lat = ns.pool.metrics.append_latency;
                              w.Key("append_latency");
                              w.StartObject();
                              cj::field(w, "count", lat.count());
                              cj::field(w, "p50_ms", 1000 * lat.quantile(0.5));
                              cj::field(w, "p99_ms",
                                        1000 * lat.quantile(0.99));
                              w.EndObject();
                              auto& groups = ns.pool.metrics.group_events;
                              cj::field(w, "group_events_mean",
                                        groups.count() == 0
                                            ? 0.0
                                            : groups.sum()
                                                  / static_cast<double>(
                                                      groups.count()));
                              cj::field(w, "group_events_p99",
                                        groups.quantile(0.99));
                              w.EndObject();
                            })));
                      });
                });
              };
              if (!dispatcher) {
                rest(-1);
                return;
              }
              self->request(dispatcher, timeout, status_atom_v)
                  .then([=](int64_t head) mutable { rest(head); },
                        [=](caf::error&) mutable { rest(-1); });
            });
          },
          [=](caf::error& err) mutable { fail(rp, err); });
}

caf::error unknown_projection(self_ptr self, const std::string& name) {
  std::string known;
  for (auto& [n, p] : self->state.projections)
    known += (known.empty() ? "" : ", ") + n;
  return make_error(ec::not_found,
                    "no projection " + name +
                        " is registered with the console (known: " +
                        (known.empty() ? "none" : known) + ")");
}

void run_projections(self_ptr self, reply rp, const console_command& cmd) {
  std::vector<projection_actor> which;
  if (!cmd.name.empty()) {
    auto it = self->state.projections.find(cmd.name);
    if (it == self->state.projections.end()) {
      fail(rp, unknown_projection(self, cmd.name));
      return;
    }
    which.push_back(it->second);
  } else {
    for (auto& [n, p] : self->state.projections)
      which.push_back(p);
  }
  auto acc = std::make_shared<std::vector<projection_status>>();
  auto finish = [=]() mutable {
    std::sort(acc->begin(), acc->end(),
              [](auto& x, auto& y) { return x.name < y.name; });
    rp.deliver(cj::ok(console_verb::projections, json_of([&](cj::writer& w) {
                        w.StartObject();
                        w.Key("projections");
                        w.StartArray();
                        for (auto& st : *acc)
                          cj::write(w, st);
                        w.EndArray();
                        w.EndObject();
                      })));
  };
  if (which.empty()) {
    finish();
    return;
  }
  auto left = std::make_shared<size_t>(which.size());
  for (auto& p : which)
    self->request(p, self->state.request_timeout, status_atom_v)
        .then(
            [=](projection_status& st) mutable {
              acc->push_back(std::move(st));
              if (--*left == 0)
                finish();
            },
            [=](caf::error&) mutable {
              if (--*left == 0)
                finish();
            });
}

void run_rebuild(self_ptr self, reply rp, const console_command& cmd) {
  auto it = self->state.projections.find(cmd.name);
  if (it == self->state.projections.end()) {
    fail(rp, unknown_projection(self, cmd.name));
    return;
  }
  auto name = cmd.name;
  self->request(it->second, self->state.request_timeout, rebuild_atom_v)
      .then(
          [=](int64_t generation) mutable {
            rp.deliver(
                cj::ok(console_verb::rebuild, json_of([&](cj::writer& w) {
                         w.StartObject();
                         cj::field(w, "name", name);
                         cj::field(w, "generation", generation);
                         w.EndObject();
                       })));
          },
          [=](caf::error& err) mutable { fail(rp, err); });
}

void run(self_ptr self, reply rp, const console_command& cmd) {
  switch (cmd.verb) {
  case console_verb::help:
    rp.deliver(cj::ok(console_verb::help, json_of([](cj::writer& w) {
                        w.StartObject();
                        cj::field(w, "text", help_text());
                        w.EndObject();
                      })));
    return;
  case console_verb::status:
    return run_status(self, rp);
  case console_verb::health:
    return run_health(self, rp);
  case console_verb::streams:
    return run_streams(self, rp, cmd);
  case console_verb::stream:
    return run_stream(self, rp, cmd);
  case console_verb::subscriptions:
    return run_subscriptions(self, rp);
  case console_verb::parked:
    return run_parked(self, rp, cmd);
  case console_verb::replay:
    return run_replay(self, rp, cmd);
  case console_verb::registry:
    return run_registry(self, rp);
  case console_verb::metrics:
    return run_metrics(self, rp);
  case console_verb::projections:
    return run_projections(self, rp, cmd);
  case console_verb::rebuild:
    return run_rebuild(self, rp, cmd);
  case console_verb::tail:
    fail(rp, make_error(ec::invalid_argument,
                        "tail needs a sink: the console sends it with "
                        "tail_atom"));
    return;
  }
}

void sample(self_ptr self) {
  self->request(self->state.node, self->state.request_timeout, status_atom_v)
      .then(
          [=](node_status& ns) {
            auto& samples = self->state.samples;
            samples.push_back(
                {clock::now(), ns.pool.appends, ns.pool.transactions});
            while (samples.size() > max_samples)
              samples.pop_front();
          },
          [](caf::error&) {
            // The node is busy or stopping: no sample this time.
          });
}

} // namespace

inspector_actor::behavior_type
inspector(inspector_actor::stateful_pointer<inspector_state> self,
          node_actor node, std::chrono::milliseconds request_timeout) {
  self->state.node = std::move(node);
  self->state.request_timeout = request_timeout;
  self->monitor(self->state.node);
  self->set_down_handler([=](caf::down_msg& dm) {
    // Not `normal`: the linked tail forwarders go too, none outlives the
    // node.
    if (dm.source == self->state.node.address())
      self->quit(caf::exit_reason::user_shutdown);
  });
  self->send(self, timer_atom_v, uint64_t{0});
  return {
      [=](hello_atom, uint32_t) {
        return caf::make_result(console_protocol_version,
                                std::string{store_version()});
      },
      [=](console_atom, const std::string& words) -> caf::result<std::string> {
        auto decoded = decode_words(words);
        if (!decoded)
          return cj::error(decoded.error());
        auto cmd = parse_command(*decoded);
        if (!cmd)
          return cj::error(cmd.error());
        auto rp = self->make_response_promise<std::string>();
        run(self, rp, *cmd);
        return rp;
      },
      [=](tail_atom, const std::string& words,
          caf::actor& sink) -> caf::result<std::string> {
        auto decoded = decode_words(words);
        if (!decoded)
          return cj::error(decoded.error());
        auto all = *decoded;
        all.insert(all.begin(), "tail");
        auto cmd = parse_command(all);
        if (!cmd)
          return cj::error(cmd.error());
        if (!sink)
          return cj::error(make_error(ec::invalid_argument, "tail: no sink"));
        auto fwd = self->spawn<caf::linked>(
            tail_forwarder, caf::actor_cast<tail_sink_actor>(sink));
        subscription_spec spec;
        spec.name = "console-tail-" + std::to_string(++self->state.tails);
        spec.filter = cmd->filter;
        spec.start = start_from::now;
        spec.restart_on_crash = false;
        spec.subscriber = fwd;
        auto rp = self->make_response_promise<std::string>();
        auto name = spec.name;
        auto filter = to_string(cmd->filter);
        self->request(self->state.node, self->state.request_timeout,
                      join_atom_v, std::move(spec))
            .then(
                [=](subscription_actor&) mutable {
                  rp.deliver(
                      cj::ok(console_verb::tail, json_of([&](cj::writer& w) {
                               w.StartObject();
                               cj::field(w, "subscription", name);
                               cj::field(w, "filter", filter);
                               w.EndObject();
                             })));
                },
                [=](caf::error& err) mutable {
                  self->send_exit(fwd, caf::exit_reason::user_shutdown);
                  rp.deliver(cj::error(err));
                });
        return rp;
      },
      [=](register_atom, std::string& name, caf::actor& projection) {
        auto p = caf::actor_cast<projection_actor>(projection);
        auto& all = self->state.projections;
        bool fresh = all.count(name) == 0;
        all[name] = std::move(p);
        return fresh;
      },
      [=](timer_atom, uint64_t) {
        sample(self);
        self->delayed_send(self, std::chrono::seconds{1}, timer_atom_v,
                           uint64_t{0});
      },
  };
}

caf::expected<uint16_t> publish_inspector(caf::actor_system& sys,
                                          const node_actor& node,
                                          const inspector_endpoint& where,
                                          inspector_actor* inspector_out) {
  if (!node)
    return make_error(ec::invalid_argument, "publish_inspector: no node");
  if (!sys.has_middleman())
    return make_error(ec::invalid_argument,
                      "the console needs CAF's middleman: load it in the "
                      "actor system's config (cfg.load<caf::io::middleman>())");
  bool loopback = where.bind == "127.0.0.1" || where.bind == "::1" ||
                  where.bind == "localhost";
  if (!loopback && !where.allow_remote)
    return make_error(ec::invalid_argument,
                      "console bind address '" + where.bind +
                          "' is not loopback; CAF's remote protocol has no "
                          "authentication, so binding it needs an explicit "
                          "allow-remote option");
  if (!loopback)
    spdlog::warn("console: listening on '{}' port {}: CAF's remote protocol "
                 "has NO authentication; anyone who reaches this port can "
                 "read every event and trigger replays and rebuilds",
                 where.bind.empty() ? "*" : where.bind, where.port);
  auto insp = sys.spawn(inspector, node, where.request_timeout);
  auto port = sys.middleman().publish(
      insp, where.port, where.bind.empty() ? nullptr : where.bind.c_str());
  if (!port) {
    caf::anon_send_exit(insp, caf::exit_reason::user_shutdown);
    return std::move(port.error());
  }
  if (inspector_out != nullptr)
    *inspector_out = insp;
  return *port;
}

void register_projection(const inspector_actor& inspector, std::string name,
                         const projection_actor& projection) {
  caf::anon_send(inspector, register_atom_v, std::move(name),
                 caf::actor_cast<caf::actor>(projection));
}

} // namespace es
