// The event store's record types: what a caller appends, what a read
// returns, and the expected-version rule of an append.
//
// Plain value types, copyable, inspectable (so actors can send them), with
// no behavior beyond construction helpers. Payloads (`data`, `metadata`) are
// encoded JSON objects; the typed game events and their codec live in the
// registry (a later issue) and in messages/json.hpp.
#pragma once

#include "messages/time.hpp"
#include "messages/uuid.hpp"

#include <caf/meta/type_name.hpp>

#include <climits>
#include <cstdint>
#include <optional>
#include <memory>
#include <string>
#include <vector>

namespace es {

/// An event to append: its id (a UUIDv7 by default), type name, schema
/// version, and JSON payloads.
struct event_data {
  uuid id = uuid::v7();
  std::string type;
  int32_t version = 1;
  std::string data = "{}";
  std::string metadata = "{}";
  timestamp created_at = now_utc();
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_data& x) {
  return f(caf::meta::type_name("es.event_data"), x.id, x.type, x.version,
           x.data, x.metadata, x.created_at);
}

/// An event as stored: `event_data` plus its place in its stream and in the
/// global log.
struct recorded_event {
  int64_t global_position = 0;
  uuid id;
  std::string stream;
  int64_t stream_version = 0;
  std::string type;
  int32_t version = 1;
  std::string data;
  std::string metadata;
  timestamp created_at;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, recorded_event& x) {
  return f(caf::meta::type_name("es.recorded_event"), x.global_position, x.id,
           x.stream, x.stream_version, x.type, x.version, x.data, x.metadata,
           x.created_at);
}

/// A committed event shared read-only by everyone who holds it (the
/// dispatcher, subscriptions, subscribers): delivered, never copied per
/// subscriber.
using event_ptr = std::shared_ptr<const recorded_event>;

/// What an append expects of the stream's current version. Versions start at
/// 1; a stream that does not exist has version 0.
struct expected_version {
  enum class kind : uint8_t {
    any,           ///< no check
    no_stream,     ///< the stream must not exist (or be soft-deleted)
    stream_exists, ///< the stream must have at least one event
    exact,         ///< the stream's version must be `value`
  };
  kind mode = kind::any;
  int64_t value = 0;

  static expected_version any() { return {kind::any, 0}; }
  static expected_version no_stream() { return {kind::no_stream, 0}; }
  static expected_version stream_exists() { return {kind::stream_exists, 0}; }
  static expected_version exact(int64_t n) { return {kind::exact, n}; }

  friend bool operator==(const expected_version& x, const expected_version& y) {
    return x.mode == y.mode && x.value == y.value;
  }
};

/// "any", "no_stream", "stream_exists" or "exact(N)".
std::string to_string(const expected_version& x);

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, expected_version& x) {
  return f(caf::meta::type_name("es.expected_version"), x.mode, x.value);
}

/// One stream's part of an append: the stream, its expectation and events.
struct stream_append {
  std::string stream;
  expected_version expected;
  std::vector<event_data> events;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_append& x) {
  return f(caf::meta::type_name("es.stream_append"), x.stream, x.expected,
           x.events);
}

/// Where an append's events landed in one stream. `positions[i]` is the
/// global position of the i-th event; versions are consecutive from
/// `first_version`. `replayed` is true when the append had already been
/// stored and this call wrote nothing (idempotent retry).
struct append_result {
  std::string stream;
  int64_t first_version = 0;
  int64_t last_version = 0;
  std::vector<int64_t> positions;
  bool replayed = false;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_result& x) {
  return f(caf::meta::type_name("es.append_result"), x.stream, x.first_version,
           x.last_version, x.positions, x.replayed);
}

/// Direction of a read.
enum class direction : uint8_t { forward, backward };

/// A page of events and where the next page starts. `next` is the stream
/// version (stream reads) or global position (log reads) to pass to the next
/// call; `end` is true when there is nothing more in this direction (as of
/// now, for forward reads).
struct event_page {
  std::vector<recorded_event> events;
  int64_t next = 0;
  bool end = true;
  /// Reads of the global log: the log horizon the read stopped at. A
  /// forward read with `end` has seen every matching event up to it.
  int64_t horizon = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_page& x) {
  return f(caf::meta::type_name("es.event_page"), x.events, x.next, x.end,
           x.horizon);
}

/// Which events of the global log a read returns. One criterion per read;
/// `all()` by default.
struct log_filter {
  enum class kind : uint8_t {
    all,         ///< every event
    event_types, ///< events whose type is one of `values`
    category,    ///< events of streams "<values[0]>-..." (e.g. "game")
    correlation, ///< metadata.correlation_id == values[0]
    causation,   ///< metadata.causation_id == values[0]
    actor,       ///< metadata.actor_id == values[0]
    guild,       ///< metadata.guild_id == values[0]
  };
  kind by = kind::all;
  std::vector<std::string> values;

  static log_filter all() { return {}; }
  static log_filter event_types(std::vector<std::string> types) {
    return {kind::event_types, std::move(types)};
  }
  static log_filter category(std::string name) {
    return {kind::category, {std::move(name)}};
  }
  static log_filter metadata(kind key, std::string value) {
    return {key, {std::move(value)}};
  }
};

/// Whether `ev` passes `filter`, exactly as the database's filtered reads
/// decide (storage/sql.cpp): the category is the stream id up to its first
/// '-', metadata keys are top-level string fields of the metadata object.
bool matches(const log_filter& filter, const recorded_event& ev);

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, log_filter& x) {
  return f(caf::meta::type_name("es.log_filter"), x.by, x.values);
}

/// Reads from here to the end of a stream or of the log (backward reads).
inline constexpr int64_t from_end = INT64_MAX;

/// What the store knows about one stream.
struct stream_info {
  std::string stream;
  int64_t version = 0;     ///< the last event's version; 0 when empty
  int64_t event_count = 0; ///< events visible to stream reads
  bool deleted = false;    ///< soft-deleted (hidden from reads)
  timestamp created_at;
  timestamp updated_at; ///< when the last event was appended
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_info& x) {
  return f(caf::meta::type_name("es.stream_info"), x.stream, x.version,
           x.event_count, x.deleted, x.created_at, x.updated_at);
}

/// A page of the stream list, ordered by stream id. Pass `next` as `after`
/// to get the following page.
struct stream_page {
  std::vector<stream_info> streams;
  std::string next;
  bool end = true;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_page& x) {
  return f(caf::meta::type_name("es.stream_page"), x.streams, x.next, x.end);
}

/// How a stream is deleted: soft (hidden from stream reads, events kept and
/// still in the global log) or hard (events removed; needs
/// store.enable-hard-deletes).
enum class delete_mode : uint8_t { soft, hard };

/// The latest snapshot of a stream, taken at `stream_version`.
struct snapshot {
  std::string stream;
  int64_t stream_version = 0;
  std::string type;
  std::string data;
  std::string metadata = "{}";
  timestamp created_at;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot& x) {
  return f(caf::meta::type_name("es.snapshot"), x.stream, x.stream_version,
           x.type, x.data, x.metadata, x.created_at);
}

/// A named, persistent subscription as stored: its checkpoint `position`
/// (every event of the global log up to it, inclusive, has been handled),
/// when it was created and last moved, and how many of its events are
/// parked (filled by listings only; 0 elsewhere).
struct subscription_record {
  std::string name;
  int64_t position = 0;
  timestamp created_at;
  timestamp updated_at;
  uint64_t parked = 0;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, subscription_record& x) {
  return f(caf::meta::type_name("es.subscription_record"), x.name, x.position,
           x.created_at, x.updated_at, x.parked);
}

/// An event a subscription gave up on for now: the event itself, how often
/// handling it was attempted, why the last attempt failed, and when it was
/// (last) parked.
struct parked_event {
  recorded_event event;
  int32_t attempts = 1;
  std::string reason;
  timestamp parked_at;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, parked_event& x) {
  return f(caf::meta::type_name("es.parked_event"), x.event, x.attempts,
           x.reason, x.parked_at);
}

} // namespace es
