#include "actors/monitoring.hpp"

#include "messages/error.hpp"
#include "messages/metrics.hpp"

#include <httplib.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <sys/socket.h>

namespace es {

caf::expected<monitoring_snapshot> gather(caf::scoped_actor& self,
                                          const node_actor& node,
                                          std::chrono::milliseconds timeout) {
  monitoring_snapshot snap;
  caf::error failed;
  self->request(node, timeout, status_atom_v)
      .receive([&](node_status& st) { snap.node = std::move(st); },
               [&](caf::error& err) { failed = std::move(err); });
  if (failed)
    return failed;
  caf::actor dispatcher;
  self->request(node, timeout, status_atom_v, component::dispatcher)
      .receive([&](caf::actor& a) { dispatcher = std::move(a); },
               [&](caf::error&) {});
  if (dispatcher)
    self->request(caf::actor_cast<dispatcher_actor>(dispatcher), timeout,
                  status_atom_v)
        .receive(
            [&](int64_t position) {
              snap.has_log_position = true;
              snap.log_position = position;
            },
            [&](caf::error&) {});
  for (auto& handle : snap.node.subscriptions) {
    bool answered = false;
    self->request(caf::actor_cast<subscription_actor>(handle), timeout,
                  status_atom_v)
        .receive(
            [&](subscription_status& st) {
              answered = true;
              snap.subscriptions.push_back(std::move(st));
            },
            [&](caf::error&) {});
    if (!answered)
      ++snap.subscriptions_unanswered;
  }
  std::sort(snap.subscriptions.begin(), snap.subscriptions.end(),
            [](const auto& x, const auto& y) { return x.name < y.name; });
  return snap;
}

std::string not_ready_reason(const node_status& status) {
  const auto& pool = status.pool;
  if (pool.connections_up == 0)
    return "no connection to PostgreSQL is up (pool "
           + std::string{to_string(pool.health)} + ")";
  if (pool.breaker != storage::breaker_state::closed)
    return std::string{"the circuit breaker is "}
           + storage::to_string(pool.breaker);
  return {};
}

std::string render_prometheus(const monitoring_snapshot& snap) {
  prometheus_writer w;
  auto d = [](auto x) { return static_cast<double>(x); };
  const auto& pool = snap.node.pool;
  const auto& m = pool.metrics;
  w.gauge("es_up", "1 while the node answers status requests", 1);
  // -- Pool and connections.
  w.gauge("es_pool_size", "connection workers in the pool", d(pool.pool_size));
  w.gauge("es_pool_connections_up", "pool connections that are up",
          d(pool.connections_up));
  for (auto state : {"down", "connecting", "idle", "busy"})
    w.gauge("es_pool_connections", "pool connections by state",
            d(std::count(m.connections.begin(), m.connections.end(), state)),
            {{"state", state}});
  for (auto health : {pool_health::connected, pool_health::degraded,
                      pool_health::down})
    w.gauge("es_pool_health",
            "1 for the pool's health (connected: all up, degraded: some, "
            "down: none)",
            pool.health == health ? 1 : 0, {{"health", to_string(health)}});
  // -- Circuit breaker.
  for (auto state : {storage::breaker_state::closed,
                     storage::breaker_state::open,
                     storage::breaker_state::half_open})
    w.gauge("es_breaker_state", "1 for the circuit breaker's state",
            pool.breaker == state ? 1 : 0,
            {{"state", storage::to_string(state)}});
  w.gauge("es_breaker_window_failures",
          "connection failures in the breaker's sliding window",
          d(m.breaker_window_failures));
  w.gauge("es_breaker_window_calls", "calls in the breaker's sliding window",
          d(m.breaker_window_calls));
  w.counter("es_breaker_opened_total", "times the circuit breaker opened",
            d(m.breaker_opened));
  // -- Outage queue (appends waiting for a transaction).
  w.gauge("es_outage_queue_appends", "appends waiting for a transaction",
          d(pool.queued));
  w.gauge("es_outage_queue_bytes",
          "payload bytes of appends waiting for a transaction",
          d(pool.queued_bytes));
  // -- Appends, reads, group commit.
  w.counter("es_transactions_total", "group-commit transactions committed",
            d(pool.transactions));
  w.counter("es_appends_total", "appends committed", d(pool.appends));
  w.counter("es_events_appended_total", "events committed", d(m.events));
  w.counter("es_appends_retried_total",
            "appends retried after their connection broke mid-transaction",
            d(pool.retried));
  w.counter("es_appends_timed_out_total", "appends failed with a timeout",
            d(pool.timed_out));
  w.counter("es_appends_rejected_total",
            "appends refused at once (queue full, breaker open, shutdown)",
            d(pool.rejected));
  w.histogram("es_append_duration_seconds",
              "from an append's arrival at the pool to its acknowledgement "
              "after COMMIT",
              m.append_latency);
  w.histogram("es_read_duration_seconds",
              "from a read's (or stream info's, checkpoint's, projection "
              "operation's) arrival at the pool to its answer",
              m.read_latency);
  w.histogram("es_group_commit_appends", "appends per group-commit transaction",
              m.group_appends);
  w.histogram("es_group_commit_events", "events per group-commit transaction",
              m.group_events);
  // -- Streams and supervision.
  w.gauge("es_streams_active", "streams with a live stream actor",
          d(snap.node.router.active_streams));
  w.counter("es_streams_passivated_total",
            "stream actors stopped after their idle time",
            d(snap.node.router.passivated));
  w.counter("es_stream_actors_crashed_total",
            "stream actors restarted after a crash",
            d(snap.node.router.crashed));
  w.counter("es_component_restarts_total",
            "node components restarted after a crash",
            d(snap.node.restarts));
  // -- Subscriptions.
  if (snap.has_log_position)
    w.gauge("es_log_position",
            "the highest global position the dispatcher has read",
            d(snap.log_position));
  w.gauge("es_subscriptions", "subscriptions the node supervises",
          d(snap.node.subscriptions.size()));
  w.gauge("es_subscriptions_unanswered",
          "supervised subscriptions that did not answer a status request in "
          "time",
          d(snap.subscriptions_unanswered));
  auto each = [&](auto&& f) {
    for (const auto& s : snap.subscriptions)
      f(s, metric_labels{{"subscription", s.name}});
  };
  each([&](const subscription_status& s, const metric_labels& l) {
    auto head = snap.has_log_position ? std::max(snap.log_position, s.head)
                                      : s.head;
    w.gauge("es_subscription_lag_events",
            "log positions between the head of the log and the "
            "subscription's checkpoint",
            d(std::max<int64_t>(0, head - s.checkpoint)), l);
  });
  each([&](const subscription_status& s, const metric_labels& l) {
    w.gauge("es_subscription_checkpoint",
            "position up to which the subscription has handled the log",
            d(s.checkpoint), l);
  });
  each([&](const subscription_status& s, const metric_labels& l) {
    w.gauge("es_subscription_parked_events", "events parked after failing",
            d(s.parked_events.size()), l);
  });
  each([&](const subscription_status& s, const metric_labels& l) {
    w.gauge("es_subscription_in_flight_events",
            "events delivered and not yet acknowledged", d(s.in_flight), l);
  });
  each([&](const subscription_status& s, const metric_labels& l) {
    w.gauge("es_subscription_live",
            "1 while the subscription takes live batches", s.live ? 1 : 0, l);
  });
  each([&](const subscription_status& s, const metric_labels& l) {
    w.counter("es_subscription_delivered_total", "events delivered",
              d(s.delivered), l);
  });
  each([&](const subscription_status& s, const metric_labels& l) {
    w.counter("es_subscription_retried_total", "events delivered again",
              d(s.retried), l);
  });
  return w.text();
}

struct monitoring_endpoint::impl {
  httplib::Server server;
  std::thread thread;
  uint16_t port = 0;
  /// Set when the listener returned (failed or stopped).
  std::atomic<bool> done{false};

  ~impl() {
    server.stop();
    if (thread.joinable())
      thread.join();
  }
};

monitoring_endpoint::monitoring_endpoint() noexcept = default;
monitoring_endpoint::monitoring_endpoint(monitoring_endpoint&&) noexcept =
    default;
monitoring_endpoint&
monitoring_endpoint::operator=(monitoring_endpoint&&) noexcept = default;
monitoring_endpoint::~monitoring_endpoint() = default;

bool monitoring_endpoint::active() const noexcept {
  return impl_ != nullptr;
}

uint16_t monitoring_endpoint::port() const noexcept {
  return impl_ ? impl_->port : 0;
}

void monitoring_endpoint::stop() {
  impl_.reset();
}

caf::expected<monitoring_endpoint>
monitoring_endpoint::start(caf::actor_system& sys, node_actor node,
                           const http_options& opts,
                           std::chrono::milliseconds timeout) {
  monitoring_endpoint out;
  if (!opts.enabled)
    return out;
  auto p = std::make_unique<impl>();
  auto* sysp = &sys;
  p->server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  // SO_REUSEADDR (a restart may bind while old connections linger) but not
  // httplib's default SO_REUSEPORT, which would let a second endpoint (or
  // another program) share the port instead of failing.
  p->server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  p->server.Get("/healthz", [=](const httplib::Request&,
                                httplib::Response& res) {
    caf::scoped_actor self{*sysp};
    caf::error failed;
    self->request(node, timeout, status_atom_v)
        .receive([&](node_status&) {},
                 [&](caf::error& err) { failed = std::move(err); });
    if (failed) {
      res.status = 503;
      res.set_content("unhealthy: the node does not answer: "
                          + describe(failed) + "\n",
                      "text/plain");
    } else {
      res.status = 200;
      res.set_content("ok\n", "text/plain");
    }
  });
  p->server.Get("/readyz", [=](const httplib::Request&,
                               httplib::Response& res) {
    caf::scoped_actor self{*sysp};
    caf::error failed;
    std::string reason;
    self->request(node, timeout, status_atom_v)
        .receive([&](node_status& st) { reason = not_ready_reason(st); },
                 [&](caf::error& err) { failed = std::move(err); });
    if (failed)
      reason = "the node does not answer: " + describe(failed);
    res.status = reason.empty() ? 200 : 503;
    res.set_content(reason.empty() ? std::string{"ready\n"}
                                   : "not ready: " + reason + "\n",
                    "text/plain");
  });
  p->server.Get("/metrics", [=](const httplib::Request&,
                                httplib::Response& res) {
    caf::scoped_actor self{*sysp};
    auto snap = gather(self, node, timeout);
    if (!snap) {
      res.status = 503;
      res.set_content("# the node does not answer: " + describe(snap.error())
                          + "\n",
                      "text/plain");
      return;
    }
    res.status = 200;
    res.set_content(render_prometheus(*snap),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  int port = opts.port;
  if (opts.port == 0)
    port = p->server.bind_to_any_port(opts.bind);
  else if (!p->server.bind_to_port(opts.bind, opts.port))
    port = -1;
  if (port <= 0)
    return make_error(ec::unavailable,
                      "http: cannot listen on " + opts.bind + ":"
                          + std::to_string(opts.port)
                          + " (address in use or not local?)");
  p->port = static_cast<uint16_t>(port);
  auto* raw = p.get();
  p->thread = std::thread{[raw] {
    raw->server.listen_after_bind();
    raw->done = true;
  }};
  // stop() only stops a server that runs: wait until it does (or failed).
  while (!p->server.is_running() && !p->done)
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  spdlog::info("http: monitoring on http://{}:{}/metrics (/healthz, /readyz)",
               opts.bind, p->port);
  out.impl_ = std::move(p);
  return out;
}

} // namespace es
