// Every default of the event store's configuration, as a documented
// constant, in one place. config/store_options.hpp uses them; the example
// .ini files in config/ list them with the same values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace es::defaults {

/// Largest encoded event payload (data or metadata), in bytes: 1 MiB.
inline constexpr size_t max_event_bytes = 1024 * 1024;

/// Longest stream id, in bytes. Stream ids are also keys of two indexes;
/// PostgreSQL's btree tuples are limited to about 2.7 kB.
inline constexpr size_t max_stream_id_bytes = 256;

/// Longest event type name, in bytes.
inline constexpr size_t max_event_type_bytes = 128;

/// Most events in one append call (one transaction).
inline constexpr size_t max_events_per_append = 10'000;

/// Largest page a read may ask for.
inline constexpr size_t max_page_size = 10'000;

/// A soft-deleted stream may be appended to again ("recreated"); its old
/// events stay hidden from stream reads.
inline constexpr bool allow_stream_recreate = true;

/// Hard deletes physically remove a stream's events. Off by default, as in
/// commanded/eventstore: an event store that forgets is the exception.
inline constexpr bool enable_hard_deletes = false;

} // namespace es::defaults
