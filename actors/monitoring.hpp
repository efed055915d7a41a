// The HTTP monitoring endpoint: /healthz, /readyz and /metrics for bot
// operators' monitoring and container orchestrators.
//
// Not an actor: an RAII object that owns a cpp-httplib server and its
// threads (one listener, two workers). Each request asks the node with a
// blocking `caf::scoped_actor` request and a timeout (`timeout`, default
// `defaults::http_status_timeout`), on the server's own threads, never on
// CAF's scheduler.
//
// - GET /healthz: 200 "ok" when the node answers a status request (the
//   actor system is alive), else 503 with the reason.
// - GET /readyz: 200 "ready" when at least one pool connection is up and
//   the circuit breaker is closed, else 503 with the reason.
// - GET /metrics: Prometheus text format 0.0.4 (`render_prometheus`);
//   503 when the node does not answer. Rates are Prometheus' business
//   (`rate(es_appends_total[1m])`); percentiles come from the histograms.
//
// Off unless `http_options::enabled`: `start` then returns an inactive
// endpoint and nothing listens. The address is the caller's (es::config
// refuses non-loopback addresses without `http.allow-remote`).
//
// Lifetime: stop it (or destroy it) before the actor system goes; stopping
// waits for requests in progress to finish (at most about `timeout` per
// subscription). Movable, not copyable.
#pragma once

#include "config/defaults.hpp"
#include "config/es_config.hpp"
#include "messages/actors.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace es {

/// What /metrics shows, gathered from the node.
struct monitoring_snapshot {
  node_status node;
  /// The dispatcher's highest log position read (the log's head as this
  /// process knows it), if the dispatcher answered.
  bool has_log_position = false;
  int64_t log_position = 0;
  /// Each supervised subscription that answered in time.
  std::vector<subscription_status> subscriptions;
  /// Supervised subscriptions that did not answer in time.
  size_t subscriptions_unanswered = 0;
};

/// Asks the node for its status, the dispatcher for its position and every
/// supervised subscription for its status, each with `timeout`. Fails only
/// when the node does not answer.
caf::expected<monitoring_snapshot> gather(caf::scoped_actor& self,
                                          const node_actor& node,
                                          std::chrono::milliseconds timeout);

/// The snapshot in Prometheus' text format (names in actors/monitoring.cpp
/// and README.md).
std::string render_prometheus(const monitoring_snapshot& snap);

/// Why the store is not ready ("" when it is): no pool connection up, or
/// the breaker not closed.
std::string not_ready_reason(const node_status& status);

class monitoring_endpoint {
public:
  /// Inactive: listens nowhere.
  monitoring_endpoint() noexcept;
  monitoring_endpoint(monitoring_endpoint&&) noexcept;
  monitoring_endpoint& operator=(monitoring_endpoint&&) noexcept;
  ~monitoring_endpoint();

  /// Starts serving on `opts.bind`:`opts.port` (0: a free port) when
  /// `opts.enabled`; otherwise returns an inactive endpoint. Fails with
  /// `ec::unavailable` naming the address when it cannot listen there.
  static caf::expected<monitoring_endpoint>
  start(caf::actor_system& sys, node_actor node, const http_options& opts,
        std::chrono::milliseconds timeout = defaults::http_status_timeout);

  bool active() const noexcept;

  /// The port it listens on (0 when inactive).
  uint16_t port() const noexcept;

  /// Stops listening and waits for the server's threads. Idempotent.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace es
