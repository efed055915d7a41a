// The stream actor's cached version, as pure logic (tested without actors).
//
// A stream actor learns its stream's version from every append it commits.
// Versions only grow while no one hard-deletes the stream, and another
// process may have appended since, so the cache is a lower bound of the
// real version: it can prove some expectations wrong, never one right.
// `reject_stale` turns a provably wrong expectation away without a database
// round trip; everything else goes to the database, which checks it again.
//
// Hard deletes reset a stream's versions. They are off by default
// (store.enable-hard-deletes); a process that enables them must not hard
// delete streams another process's store is appending to.
#pragma once

#include "messages/error.hpp"
#include "messages/event.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace es {

class version_cache {
public:
  /// Nothing known (a new stream actor; after a conflict).
  void forget() noexcept { known_ = std::nullopt; }

  /// The stream is at least at `version` (from a committed append).
  void learn(int64_t version) noexcept {
    if (!known_ || version > *known_)
      known_ = version;
  }

  const std::optional<int64_t>& lower_bound() const noexcept { return known_; }

  /// `ec::wrong_expected_version` when `expected` is provably stale: an
  /// exact version below the known one. Otherwise an empty error.
  caf::error reject_stale(const std::string& stream,
                          const expected_version& expected) const {
    if (!known_ || expected.mode != expected_version::kind::exact
        || expected.value >= *known_)
      return {};
    return make_error(ec::wrong_expected_version,
                      "stream " + stream + ": expected version "
                          + to_string(expected) + ", actual version "
                          + std::to_string(*known_)
                          + " or later (nothing written)");
  }

private:
  std::optional<int64_t> known_;
};

} // namespace es
