// The stream actor's cached version, as pure logic (tested without actors).
//
// A stream actor learns its stream's version from every append it commits,
// and the ids of the last `remembered` events it committed with their
// versions. Versions only grow while no one hard-deletes the stream, and
// another process may have appended since, so the cache is a lower bound of
// the real version: it can prove some expectations wrong, never one right.
//
// An exact expectation `v` below the known version is provably stale only
// when the event stored at `v + 1` is known and is not the append's first
// event: an append with the same ids at the same places is a retry of one
// that landed, which the database answers as a replay (idempotence, DESIGN
// guarantee 3), so it must reach the database. `reject_stale` turns a
// provably wrong expectation away without a database round trip;
// everything else goes to the database, which checks it again.
//
// Hard deletes reset a stream's versions. They are off by default
// (store.enable-hard-deletes); a process that enables them must not hard
// delete streams another process's store is appending to.
#pragma once

#include "messages/error.hpp"
#include "messages/event.hpp"

#include <caf/error.hpp>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace es {

class version_cache {
public:
  /// How many of the last committed events' ids are kept.
  static constexpr size_t remembered = 64;

  /// Nothing known (a new stream actor; after a conflict).
  void forget() noexcept {
    known_ = std::nullopt;
    ids_.clear();
  }

  /// A committed append: its events `ids` are at versions `first_version`,
  /// `first_version + 1`, ...; the stream is at least at the last of them.
  void learn(int64_t first_version, const std::vector<uuid>& ids) {
    if (ids.empty())
      return;
    auto last = first_version + static_cast<int64_t>(ids.size()) - 1;
    if (!known_ || last > *known_)
      known_ = last;
    auto skip = ids.size() > remembered ? ids.size() - remembered : 0;
    for (size_t i = skip; i < ids.size(); ++i)
      ids_.emplace_back(first_version + static_cast<int64_t>(i), ids[i]);
    while (ids_.size() > remembered)
      ids_.pop_front();
  }

  const std::optional<int64_t>& lower_bound() const noexcept { return known_; }

  /// `ec::wrong_expected_version` when an append whose first event is
  /// `first_id` provably cannot land with `expected` (see the file
  /// comment). Otherwise an empty error.
  caf::error reject_stale(const std::string& stream,
                          const expected_version& expected,
                          const uuid& first_id) const {
    if (!known_ || expected.mode != expected_version::kind::exact
        || expected.value >= *known_)
      return {};
    auto at = std::find_if(ids_.begin(), ids_.end(), [&](const auto& x) {
      return x.first == expected.value + 1;
    });
    if (at == ids_.end() || at->second == first_id)
      return {};
    return make_error(ec::wrong_expected_version,
                      "stream " + stream + ": expected version "
                          + to_string(expected) + ", actual version "
                          + std::to_string(*known_)
                          + " or later (nothing written)");
  }

private:
  std::optional<int64_t> known_;
  std::deque<std::pair<int64_t, uuid>> ids_;
};

} // namespace es
