#include "storage/backoff.hpp"

#include "messages/error.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace es::storage {

namespace {

using duration = backoff::duration;

/// `d * factor`, saturated at `cap` (and at zero for nonsense factors).
duration scaled(duration d, double factor, duration cap) {
  auto x = static_cast<double>(d.count()) * factor;
  if (!(x > 0.0))
    return duration::zero();
  if (x >= static_cast<double>(cap.count()))
    return cap;
  return duration{static_cast<duration::rep>(x)};
}

} // namespace

caf::error validate(const backoff_options& opts) {
  auto bad = [](const char* name, const char* why) {
    return make_error(ec::invalid_argument,
                      std::string{"option store.backoff-"} + name + ": " + why);
  };
  if (opts.initial <= duration::zero())
    return bad("initial", "must be greater than zero");
  if (!(opts.multiplier >= 1.0) || opts.multiplier > 1000.0)
    return bad("multiplier", "must be between 1 and 1000");
  if (opts.max < opts.initial)
    return bad("max", "must be at least backoff-initial");
  if (!(opts.jitter >= 0.0 && opts.jitter <= 1.0))
    return bad("jitter", "must be between 0 and 1");
  return {};
}

backoff::backoff(backoff_options opts, uint64_t seed)
    : opts_(opts), gen_(seed), base_(opts.initial) {
  // nop
}

duration backoff::next() {
  ++attempts_;
  auto cap = std::max(opts_.max, duration::zero());
  if (opts_.mode == jitter_mode::decorrelated) {
    auto lo = std::clamp(opts_.initial, duration::zero(), cap);
    auto hi = std::max(lo, scaled(base_, opts_.multiplier, cap));
    base_ = draw(lo, hi);
    return base_;
  }
  auto d = std::clamp(base_, duration::zero(), cap);
  base_ = scaled(d, opts_.multiplier, cap);
  return draw(duration::zero(), d);
}

void backoff::reset() noexcept {
  base_ = opts_.initial;
  attempts_ = 0;
}

double backoff::unit() {
  return static_cast<double>(gen_() >> 11) * 0x1.0p-53;
}

duration backoff::draw(duration lo, duration hi) {
  // NaN counts as no jitter.
  auto share = opts_.jitter >= 0.0 ? std::min(opts_.jitter, 1.0) : 0.0;
  auto spread = static_cast<double>((hi - lo).count()) * share * unit();
  auto d = hi - duration{static_cast<duration::rep>(spread)};
  return std::clamp(d, lo, hi);
}

} // namespace es::storage
