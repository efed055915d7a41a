#include "storage/breaker.hpp"

#include "messages/error.hpp"

#include <cstdio>
#include <utility>

namespace es::storage {

namespace {

using duration = circuit_breaker::duration;

/// "10s" for whole seconds, else milliseconds rounded up, e.g. "4500ms".
std::string render(duration d) {
  using namespace std::chrono;
  if (d > duration::zero() && d % seconds{1} == duration::zero())
    return std::to_string(duration_cast<seconds>(d).count()) + "s";
  return std::to_string(ceil<milliseconds>(d).count()) + "ms";
}

std::string fixed2(double x) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", x);
  return buf;
}

} // namespace

const char* to_string(breaker_state x) noexcept {
  switch (x) {
  case breaker_state::closed:
    return "closed";
  case breaker_state::open:
    return "open";
  case breaker_state::half_open:
    return "half-open";
  }
  return "invalid";
}

caf::error validate(const breaker_options& opts) {
  auto bad = [](const char* name, const char* why) {
    return make_error(ec::invalid_argument,
                      std::string{"option store.breaker-"} + name + ": " + why);
  };
  if (opts.window <= duration::zero())
    return bad("window", "must be greater than zero");
  if (opts.failure_threshold == 0)
    return bad("failure-threshold", "must be at least 1");
  if (!(opts.failure_rate > 0.0 && opts.failure_rate <= 1.0))
    return bad("failure-rate", "must be greater than 0 and at most 1");
  if (opts.min_calls == 0)
    return bad("min-calls", "must be at least 1");
  if (opts.open_duration <= duration::zero())
    return bad("open-duration", "must be greater than zero");
  if (opts.half_open_probes == 0)
    return bad("half-open-probes", "must be at least 1");
  return {};
}

caf::error circuit_open_error(const admission& rejected) {
  using namespace std::chrono;
  auto ms = ceil<milliseconds>(rejected.retry_after).count();
  return make_error(ec::circuit_open, "circuit breaker open: retry after " +
                                          std::to_string(ms) + "ms");
}

circuit_breaker::circuit_breaker(breaker_options opts, hook on_transition)
    : opts_(opts), hook_(std::move(on_transition)) {
  // nop
}

admission circuit_breaker::admit(time_point now) {
  advance(now);
  switch (state_) {
  case breaker_state::closed:
    return {};
  case breaker_state::open:
    return {false, false, open_until_ - now};
  case breaker_state::half_open:
    if (probes_admitted_ < opts_.half_open_probes) {
      ++probes_admitted_;
      return {true, true, duration::zero()};
    }
    return {false, false, opts_.open_duration};
  }
  return {};
}

void circuit_breaker::record_success(time_point now) {
  advance(now);
  switch (state_) {
  case breaker_state::closed:
    add(now, false);
    return;
  case breaker_state::open:
    return; // A late answer from before the breaker opened.
  case breaker_state::half_open:
    if (probes_succeeded_ >= probes_admitted_)
      return; // No probe outstanding: a late answer.
    if (++probes_succeeded_ >= opts_.half_open_probes)
      transition(breaker_state::closed, now,
                 std::to_string(probes_succeeded_) + " of " +
                     std::to_string(opts_.half_open_probes) +
                     " probes succeeded");
    return;
  }
}

void circuit_breaker::record_failure(time_point now) {
  advance(now);
  switch (state_) {
  case breaker_state::closed: {
    add(now, true);
    if (failures_ >= opts_.failure_threshold) {
      transition(breaker_state::open, now,
                 std::to_string(failures_) + " failures of " +
                     std::to_string(calls_) + " calls in the last " +
                     render(opts_.window) + " (threshold " +
                     std::to_string(opts_.failure_threshold) + ")");
      return;
    }
    auto rate = static_cast<double>(failures_) / static_cast<double>(calls_);
    if (calls_ >= opts_.min_calls && rate >= opts_.failure_rate)
      transition(breaker_state::open, now,
                 "failure rate " + fixed2(rate) + " (" +
                     std::to_string(failures_) + " of " +
                     std::to_string(calls_) + " calls) in the last " +
                     render(opts_.window) + " (threshold " +
                     fixed2(opts_.failure_rate) + " over at least " +
                     std::to_string(opts_.min_calls) + " calls)");
    return;
  }
  case breaker_state::open:
    return; // A late answer from before the breaker opened.
  case breaker_state::half_open:
    if (probes_succeeded_ >= probes_admitted_)
      return; // No probe outstanding: a late answer.
    transition(breaker_state::open, now,
               "probe " + std::to_string(probes_succeeded_ + 1) + " of " +
                   std::to_string(opts_.half_open_probes) + " failed");
    return;
  }
}

breaker_state circuit_breaker::state(time_point now) {
  advance(now);
  return state_;
}

void circuit_breaker::advance(time_point now) {
  if (state_ == breaker_state::open && now >= open_until_)
    transition(breaker_state::half_open, now,
               "open for " + render(opts_.open_duration));
}

void circuit_breaker::add(time_point now, bool failure) {
  prune(now);
  // Outcomes at the same instant share an entry; a time that went backwards
  // (it should not: steady_clock) joins the newest entry.
  if (window_.empty() || now > window_.back().at)
    window_.push_back({now, 0, 0});
  auto& last = window_.back();
  ++last.calls;
  ++calls_;
  if (failure) {
    ++last.failures;
    ++failures_;
  }
}

void circuit_breaker::prune(time_point now) {
  // An outcome counts while it is younger than `window`.
  while (!window_.empty() && now - window_.front().at >= opts_.window) {
    calls_ -= window_.front().calls;
    failures_ -= window_.front().failures;
    window_.pop_front();
  }
}

void circuit_breaker::transition(breaker_state to, time_point now,
                                 std::string cause) {
  auto from = state_;
  state_ = to;
  window_.clear();
  calls_ = 0;
  failures_ = 0;
  probes_admitted_ = 0;
  probes_succeeded_ = 0;
  if (to == breaker_state::open)
    open_until_ = now + opts_.open_duration;
  last_ = breaker_transition{from, to, now, std::move(cause)};
  if (hook_)
    hook_(*last_);
}

} // namespace es::storage
