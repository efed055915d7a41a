// Reconnect delays: exponential backoff with jitter, capped.
//
// `backoff` hands out the delay before each reconnect attempt. Without
// jitter the delays are initial, initial*multiplier, initial*multiplier^2,
// ... up to `max`, and stay at `max`. Jitter randomizes each delay so that
// many processes that lost the same server do not all come back in the same
// instant:
//
// - `jitter_mode::full` (the default): the delay is drawn uniformly from the
//   top `jitter` share of the exponential delay d, i.e. from
//   [d * (1 - jitter), d]. With jitter 1 this is AWS's "full jitter"
//   ([0, d]); with jitter 0 it is plain exponential backoff.
// - `jitter_mode::decorrelated`: AWS's "decorrelated jitter", each delay
//   drawn from [initial, previous * multiplier], capped at `max`; `jitter`
//   again is the randomized top share of that range (1: AWS's formula).
//
// Every delay lies in [0, max]. The random numbers come from a
// std::mt19937_64 seeded by the owner, and the mapping to a delay uses no
// std:: distribution, so a seed yields the same delays on every platform
// (tests rely on it; production seeds from std::random_device).
//
// A plain value owned by one actor (the connection supervisor keeps one per
// connection). Not thread-safe. No clock: the owner schedules the timer.
#pragma once

#include "config/defaults.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstdint>
#include <random>

namespace es::storage {

enum class jitter_mode : uint8_t {
  /// Uniform in the top `jitter` share of the exponential delay.
  full,
  /// Uniform between `initial` and the previous delay times `multiplier`.
  decorrelated,
};

struct backoff_options {
  using duration = std::chrono::steady_clock::duration;
  /// The first delay (before randomization). Greater than zero.
  duration initial = defaults::backoff_initial;
  /// Growth factor per attempt; at least 1.
  double multiplier = defaults::backoff_multiplier;
  /// Cap on every delay; at least `initial`.
  duration max = defaults::backoff_max;
  /// Randomized share of each delay, in [0, 1].
  double jitter = defaults::backoff_jitter;
  jitter_mode mode = jitter_mode::full;
};

/// Returns an `ec::invalid_argument` error naming the first option out of
/// range, or an empty error.
caf::error validate(const backoff_options& opts);

class backoff {
public:
  using duration = std::chrono::steady_clock::duration;

  /// Precondition: `validate(opts)` is empty. (Invalid options give
  /// meaningless but bounded delays, never undefined behavior.)
  backoff(backoff_options opts, uint64_t seed);

  /// The delay before the next attempt; advances the sequence.
  duration next();

  /// Starts over at `initial` (call after a successful connect). Does not
  /// reseed: the jitter stays unpredictable across outages.
  void reset() noexcept;

  /// Number of `next()` calls since construction or the last `reset()`.
  uint64_t attempts() const noexcept { return attempts_; }

  const backoff_options& options() const noexcept { return opts_; }

private:
  /// A uniform double in [0, 1) from 53 random bits.
  double unit();

  /// Uniform in the top `jitter` share of [lo, hi].
  duration draw(duration lo, duration hi);

  backoff_options opts_;
  std::mt19937_64 gen_;
  /// Full mode: the unrandomized exponential delay of the next attempt.
  /// Decorrelated mode: the previous delay (initially `initial`).
  duration base_;
  uint64_t attempts_ = 0;
};

} // namespace es::storage
