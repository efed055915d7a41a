// The circuit breaker over the connection pool.
//
// `circuit_breaker` keeps the store from hammering a database that is down,
// and callers from waiting on it:
//
//   closed --(too many connection failures in the window)--> open
//   open --(open_duration elapsed)--> half_open
//   half_open --(every probe succeeded)--> closed
//   half_open --(a probe failed)--> open
//
// Closed: every call is admitted; the outcome of each is recorded in a
// sliding window of `window`. The breaker opens when the window holds
// `failure_threshold` failures, or when it holds at least `min_calls` calls
// of which a share of at least `failure_rate` failed. Open: every call is
// rejected at once with the time left until the breaker half-opens
// (`retry_after`; the owner fails the call with `ec::circuit_open`, see
// `circuit_open_error`). Half-open: exactly `half_open_probes` calls are
// admitted as probes, everything else is rejected; one failed probe re-opens
// the breaker for another `open_duration`, and when all probes have
// succeeded it closes with an empty window.
//
// What the owner records: only whether the database could be reached. A
// call that fails because of the connection (`ec::unavailable`,
// `ec::timeout`, a broken connection, a failed connect or health check) is a
// failure. A call that reached the database counts as a success even when it
// failed with an SQL error (constraint, syntax, wrong expected version): such
// errors say nothing about the database's health and never trip the
// breaker. Every admitted call is reported exactly once. Outcomes reported
// while the breaker is open, or while half-open with no probe outstanding,
// are late answers of calls admitted before it opened and are ignored.
// TODO: a late answer that arrives while a probe is outstanding is taken as
// that probe's outcome; telling them apart needs a ticket per admission.
//
// Time is an argument of every call, so the breaker never reads a clock and
// tests drive it explicitly. Transitions driven by time alone (open to
// half-open) happen in whichever call first sees the new time, `state(now)`
// included. Each transition is reported once, with its cause, to the hook
// passed at construction and kept as `last_transition()`, for logging.
//
// Memory: the window keeps one entry per distinct time at which an outcome
// was recorded within the last `window`, so it grows with the call rate.
// Owned by one actor (the connection supervisor). Not thread-safe.
#pragma once

#include "config/defaults.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

namespace es::storage {

enum class breaker_state : uint8_t { closed, open, half_open };

/// "closed", "open" or "half-open".
const char* to_string(breaker_state x) noexcept;

struct breaker_options {
  using duration = std::chrono::steady_clock::duration;
  /// Length of the sliding window of recorded outcomes. Greater than zero.
  duration window = defaults::breaker_window;
  /// Failures within the window that open the breaker. At least 1.
  size_t failure_threshold = defaults::breaker_failure_threshold;
  /// Share of failed calls within the window that opens the breaker, in
  /// (0, 1]...
  double failure_rate = defaults::breaker_failure_rate;
  /// ...counted only once the window holds at least this many calls (>= 1).
  size_t min_calls = defaults::breaker_min_calls;
  /// How long the breaker stays open before it half-opens. Greater than 0.
  duration open_duration = defaults::breaker_open_duration;
  /// Probes admitted while half-open. At least 1.
  size_t half_open_probes = defaults::breaker_half_open_probes;
};

/// Returns an `ec::invalid_argument` error naming the first option out of
/// range, or an empty error.
caf::error validate(const breaker_options& opts);

/// The answer of `circuit_breaker::admit`.
struct admission {
  using duration = std::chrono::steady_clock::duration;
  /// Whether the call may go to the database.
  bool allowed = true;
  /// Whether the call was admitted as a half-open probe.
  bool probe = false;
  /// When rejected: how long until the breaker may admit calls again. While
  /// open, the time until it half-opens; while half-open with every probe
  /// outstanding, `open_duration` (the wait if a probe fails).
  duration retry_after = duration::zero();

  explicit operator bool() const noexcept { return allowed; }
};

/// The `ec::circuit_open` error for a rejected call, e.g. "circuit breaker
/// open: retry after 4500ms" (rounded up to whole milliseconds).
caf::error circuit_open_error(const admission& rejected);

/// One change of state, for the owner's log.
struct breaker_transition {
  breaker_state from = breaker_state::closed;
  breaker_state to = breaker_state::closed;
  std::chrono::steady_clock::time_point at;
  /// Why, e.g. "5 failures of 7 calls in the last 10s (threshold 5)".
  std::string cause;
};

class circuit_breaker {
public:
  using clock = std::chrono::steady_clock;
  using duration = clock::duration;
  using time_point = clock::time_point;
  using hook = std::function<void(const breaker_transition&)>;

  /// Starts closed with an empty window. Precondition: `validate(opts)` is
  /// empty. `on_transition`, if set, is called synchronously once per
  /// transition, from within the call that caused it.
  explicit circuit_breaker(breaker_options opts, hook on_transition = {});

  /// Asks to send one call to the database. An allowed call must be
  /// reported with `record_success` or `record_failure`.
  admission admit(time_point now);

  /// The call reached the database (whatever SQL error it may have had).
  void record_success(time_point now);

  /// The call failed because the database could not be reached.
  void record_failure(time_point now);

  /// The state at `now` (half-opens first when the open time is over).
  breaker_state state(time_point now);

  /// The most recent transition, if any.
  const std::optional<breaker_transition>& last_transition() const noexcept {
    return last_;
  }

  /// Failures and calls in the window as of the last recorded outcome (zero
  /// unless closed). For the inspector.
  size_t window_failures() const noexcept { return failures_; }
  size_t window_calls() const noexcept { return calls_; }

  const breaker_options& options() const noexcept { return opts_; }

private:
  struct bucket {
    time_point at;
    size_t calls;
    size_t failures;
  };

  /// Half-opens when the open time is over.
  void advance(time_point now);

  /// Adds one outcome to the window (closed state only).
  void add(time_point now, bool failure);

  /// Drops window entries older than `window`.
  void prune(time_point now);

  void transition(breaker_state to, time_point now, std::string cause);

  breaker_options opts_;
  hook hook_;
  breaker_state state_ = breaker_state::closed;
  std::deque<bucket> window_;
  size_t calls_ = 0;
  size_t failures_ = 0;
  time_point open_until_;
  size_t probes_admitted_ = 0;
  size_t probes_succeeded_ = 0;
  std::optional<breaker_transition> last_;
};

} // namespace es::storage
