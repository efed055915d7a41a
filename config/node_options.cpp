#include "config/node_options.hpp"

#include "messages/error.hpp"

namespace es {

caf::error validate(const node_options& opts) {
  auto bad = [](const char* name, const char* why) {
    return make_error(ec::invalid_argument,
                      std::string{"option "} + name + ": " + why);
  };
  if (auto err = validate(opts.store))
    return err;
  if (opts.dsn.empty() && opts.data_dir.empty())
    return bad("data-dir", "must name a directory when no DSN is given");
  if (opts.pool_size == 0 || opts.pool_size > 256)
    return bad("store.pool-size", "must be between 1 and 256");
  if (opts.request_timeout.count() <= 0)
    return bad("store.request-timeout", "must be greater than zero");
  if (opts.query_timeout.count() <= 0)
    return bad("store.query-timeout", "must be greater than zero");
  if (opts.health_interval.count() <= 0)
    return bad("store.health-interval", "must be greater than zero");
  if (opts.stream_idle_timeout.count() <= 0)
    return bad("store.stream-idle-timeout", "must be greater than zero");
  if (opts.dispatcher_poll_interval.count() <= 0)
    return bad("store.dispatcher-poll-interval", "must be greater than zero");
  if (opts.dispatcher_read_interval_min.count() < 0)
    return bad("store.dispatcher-read-interval-min", "must not be negative");
  if (opts.dispatcher_read_interval < opts.dispatcher_read_interval_min)
    return bad("store.dispatcher-read-interval",
               "must be at least store.dispatcher-read-interval-min");
  if (opts.dispatcher_read_interval_per_subscription.count() < 0)
    return bad("store.dispatcher-read-interval-per-subscription",
               "must not be negative");
  if (opts.restart_window.count() <= 0)
    return bad("store.restart-window", "must be greater than zero");
  if (auto err = storage::validate(opts.group_commit))
    return err;
  if (auto err = storage::validate(opts.breaker))
    return err;
  return storage::validate(opts.backoff);
}

} // namespace es
