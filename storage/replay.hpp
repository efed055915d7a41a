// Idempotent retry: deciding whether a failed append had in fact already
// been stored by an earlier call with the same event ids.
//
// Pure logic over what storage/sql.hpp's `find_events` returns for one
// stream's events; no database access here, so every case is unit-tested.
#pragma once

#include "messages/event.hpp"

#include <caf/error.hpp>

#include <optional>
#include <string>
#include <vector>

namespace es::storage {

/// Where one event id is stored, if it is (a row of `find_events`).
struct stored_event {
  bool found = false;
  std::string stream;
  int64_t stream_version = 0;
  int64_t global_position = 0;
  bool same_content = false; ///< same type, version, data and metadata
  /// The stream's soft-deleted prefix: a no_stream append that recreated
  /// the stream started right after it.
  int64_t hidden_below = 0;
};

/// The verdict on one stream's part of an append.
struct replay_verdict {
  enum class kind {
    not_stored, ///< none of the ids is stored: the original error stands
    replay,     ///< all stored, same content, same places: success
    duplicate,  ///< some stored elsewhere or differently: duplicate_event
  };
  kind what = kind::not_stored;
  append_result result; ///< for `replay`
  caf::error error;     ///< for `duplicate`, naming the event and where
};

/// Classifies `part` given `stored[i]` for each `part.events[i]`.
/// A replay needs every event stored in `part.stream` with the same
/// content, at consecutive versions in the order given, and at the versions
/// the expectation implies (exact(N): from N+1; no_stream: from 1, or
/// right after the soft-deleted prefix of a recreated stream).
replay_verdict classify_replay(const stream_append& part,
                               const std::vector<stored_event>& stored);

} // namespace es::storage
