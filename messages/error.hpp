// Error codes of the event store.
//
// Every error a caller can see is an `es::ec` inside a `caf::error`, whose
// context is a single human-readable string that says what was expected and
// what was found (for example "stream game-42: expected version 3, actual
// 5"). Fallible functions return `caf::expected<T>`; nothing throws across a
// component boundary. SQLSTATEs are translated to these codes in exactly one
// place (storage/sqlstate.cpp).
#pragma once

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include <cstdint>
#include <string>

namespace es {

enum class ec : uint8_t {
  /// The stream's version is not what the append expected.
  wrong_expected_version = 1,
  /// The stream (or snapshot, or subscription) does not exist.
  not_found,
  /// The stream was deleted and may not be written or read.
  stream_deleted,
  /// An event id is already stored with other content or at another place.
  duplicate_event,
  /// An event failed validation or could not be encoded.
  invalid_event,
  /// An argument is out of its domain (stream id, page size, filter, ...).
  invalid_argument,
  /// A payload exceeds the configured size bound.
  payload_too_large,
  /// The event type or version is not registered.
  unknown_type,
  /// Stored or received data could not be decoded.
  decode_failed,
  /// The database cannot be reached; the call may be retried later.
  unavailable,
  /// The call did not complete in time.
  timeout,
  /// The circuit breaker is open; the context says when to retry.
  circuit_open,
  /// The database reported an error the store does not expect.
  database_error,
  /// Schema migrations could not be applied.
  migration_failed,
  /// The embedded PostgreSQL cluster could not be created or started.
  cluster_failed,
};

/// Returns the enumerator's name, e.g. "wrong_expected_version".
const char* to_string(ec code) noexcept;

} // namespace es

CAF_ERROR_CODE_ENUM(es::ec, "es")

namespace es {

/// Makes an error with `code` and the human-readable `detail`.
inline caf::error make_error(ec code, std::string detail) {
  return caf::make_error(code, std::move(detail));
}

/// Whether `err` is this store's error `code`.
inline bool is(const caf::error& err, ec code) {
  return err.category() == caf::atom("es") && err == code;
}

/// Renders `err` as "code: detail" for any error of this store, and with
/// CAF's own rendering for everything else. Never empty for a real error.
std::string describe(const caf::error& err);

} // namespace es
