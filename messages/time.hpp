// UTC timestamps with microsecond resolution and their ISO 8601 text form.
//
// `timestamp` counts microseconds since the Unix epoch (1970-01-01T00:00:00Z,
// no leap seconds), which is also PostgreSQL's `timestamptz` resolution, so a
// value survives the database and the JSON codec unchanged. The text form is
// always UTC with exactly six fraction digits:
//
//   2026-11-28T10:32:41.123456Z
//
// `parse_iso8601` is deliberately narrow. It accepts exactly
//
//   YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|+00:00)
//
// that is: years 0001-9999, a capital 'T', seconds 00-59 (no leap second), an
// optional fraction of one to six digits (more would lose precision), and
// either 'Z' or "+00:00" (what PostgreSQL prints for a UTC session). Any other
// offset, "-00:00" ("offset unknown" in RFC 3339), a missing zone, lowercase
// letters, a space instead of 'T' and every other deviation is rejected with
// `ec::invalid_argument`, whose context names the input and the problem.
//
// Calendar arithmetic uses the proleptic Gregorian civil-from-days algorithms
// and never consults the process time zone (no timegm, no TZ). All functions
// are pure and thread-safe.
#pragma once

#include <caf/expected.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace es {

using timestamp = std::chrono::time_point<std::chrono::system_clock,
                                          std::chrono::microseconds>;

/// The earliest timestamp with a text form: 0001-01-01T00:00:00.000000Z.
inline constexpr timestamp timestamp_min{
    std::chrono::microseconds{-62135596800LL * 1000000}};

/// The latest timestamp with a text form: 9999-12-31T23:59:59.999999Z.
inline constexpr timestamp timestamp_max{
    std::chrono::microseconds{253402300800LL * 1000000 - 1}};

/// The current time, truncated (not rounded) to microseconds.
timestamp now_utc();

/// Formats `t` as "YYYY-MM-DDTHH:MM:SS.ffffffZ". For `t` outside
/// [timestamp_min, timestamp_max] the year is printed with a sign and as many
/// digits as needed (e.g. "-0001-..." or "+10000-..."), which
/// `parse_iso8601` rejects; the JSON codec refuses to encode such values.
std::string to_iso8601(timestamp t);

/// Length of `to_iso8601`'s output for years 0001-9999.
inline constexpr size_t iso8601_size = 27;

/// Writes `to_iso8601(t)` into `out` (exactly `iso8601_size` characters, no
/// NUL) without allocating. Precondition: t is within years 0001-9999.
void to_iso8601(timestamp t, char* out) noexcept;

/// Parses the form described at the top of this file.
caf::expected<timestamp> parse_iso8601(std::string_view text);

} // namespace es
