// Checks of caller input before it reaches PostgreSQL: stream ids, event
// types, payload sizes and shapes, page sizes. Pure functions over
// `store_options`; no database, no actors. Each failure is an error that
// names the offending value's place (which stream, which event, which field)
// and what was expected.
#pragma once

#include "config/store_options.hpp"
#include "messages/event.hpp"

#include <caf/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace es::storage {

/// Non-empty, at most `max_stream_id_bytes`, valid UTF-8, no control
/// characters (C0, DEL, C1).
caf::error check_stream_id(std::string_view stream, const store_options& opts);

/// As `check_stream_id` (same length limit), for the name of a persistent
/// subscription; errors say "subscription name".
caf::error check_subscription_name(std::string_view name,
                                   const store_options& opts);

/// `text` cut to at most `max_bytes` at a UTF-8 boundary, for free text
/// that is stored rather than refused (a parked event's reason). Bytes
/// that are not valid UTF-8, and NUL (which libpq cannot bind), become
/// U+FFFD.
std::string bounded_text(std::string_view text, size_t max_bytes);

/// Non-empty, at most `max_event_type_bytes`, letters, digits, and "_.:-".
caf::error check_event_type(std::string_view type, const store_options& opts);

/// A page size between 1 and `max_page_size`.
caf::error check_page_size(size_t count, const store_options& opts);

/// Every part of an append: at least one stream and one event per stream,
/// no stream twice, at most `max_events_per_append` events in all, valid
/// ids, types, versions, expectations and payloads (JSON objects within
/// `max_event_bytes`).
caf::error check_append(const std::vector<stream_append>& parts,
                        const store_options& opts);

/// A readable excerpt of untrusted text for error messages: at most 64
/// bytes, control characters escaped.
std::string excerpt(std::string_view text);

} // namespace es::storage
