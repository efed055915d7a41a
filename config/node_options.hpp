// Options of the actor runtime (the node and its components), with their
// defaults from config/defaults.hpp.
//
// A plain value type: the configuration class (config/es_config.hpp) fills
// it from the command line, the .ini file and the environment. `validate` names the
// first option that is out of range.
#pragma once

#include "config/defaults.hpp"
#include "config/store_options.hpp"
#include "storage/backoff.hpp"
#include "storage/breaker.hpp"
#include "storage/group_commit.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace es {

struct node_options {
  /// libpq connection string. Empty: `es::start` runs an embedded cluster
  /// in `data_dir` and connects to it.
  std::string dsn;
  /// Data directory of the embedded cluster (used when `dsn` is empty).
  std::string data_dir = defaults::data_dir;
  store_options store;
  size_t pool_size = defaults::pool_size;
  std::chrono::milliseconds request_timeout = defaults::request_timeout;
  std::chrono::milliseconds health_interval = defaults::health_interval;
  std::chrono::milliseconds query_timeout = defaults::query_timeout;
  std::chrono::milliseconds stream_idle_timeout = defaults::stream_idle_timeout;
  /// How often the dispatcher reads the log when nothing woke it. Commits
  /// of this process and (through LISTEN/NOTIFY on the session connection)
  /// of other processes wake it at once; the poll is the safety net, e.g.
  /// while the session connection is down.
  std::chrono::milliseconds dispatcher_poll_interval =
      defaults::dispatcher_poll_interval;
  /// The least time between two reads of the dispatcher when commits wake
  /// it faster: `dispatcher_read_interval_per_subscription` per live
  /// subscription, within [`dispatcher_read_interval_min`,
  /// `dispatcher_read_interval`] (latency against CPU; see defaults.hpp).
  std::chrono::milliseconds dispatcher_read_interval =
      defaults::dispatcher_read_interval;
  std::chrono::milliseconds dispatcher_read_interval_min =
      defaults::dispatcher_read_interval_min;
  std::chrono::microseconds dispatcher_read_interval_per_subscription =
      defaults::dispatcher_read_interval_per_subscription;
  size_t max_restarts = defaults::max_restarts;
  std::chrono::milliseconds restart_window = defaults::restart_window;
  storage::commit_queue_options group_commit;
  storage::breaker_options breaker;
  storage::backoff_options backoff;
};

/// Returns an `ec::invalid_argument` error naming the first option out of
/// range, or an empty error.
caf::error validate(const node_options& opts);

} // namespace es
