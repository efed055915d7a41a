// The JSON the inspector (actors/inspector.hpp) answers the console with:
// the reply envelopes and the store's status and record types as JSON
// objects. Pure; tested in tests/tools/console_unit_test.cpp. The console
// renders these objects (tools/console/render.hpp), so a change of shape
// here is a change of `console_protocol_version`.
#pragma once

#include "actors/console_commands.hpp"
#include "messages/actors.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>

namespace es::console_json {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

/// Writes a string.
void str(writer& w, std::string_view x);

/// Writes `key` followed by a string / number / boolean.
void field(writer& w, std::string_view key, std::string_view x);
void field(writer& w, std::string_view key, const char* x);
void field(writer& w, std::string_view key, int64_t x);
void field(writer& w, std::string_view key, uint64_t x);
void field(writer& w, std::string_view key, double x);
void field(writer& w, std::string_view key, bool x);
/// Avoids ambiguities: sizes and 32-bit integers.
inline void field(writer& w, std::string_view key, int32_t x) {
  field(w, key, static_cast<int64_t>(x));
}
inline void field(writer& w, std::string_view key, uint32_t x) {
  field(w, key, static_cast<uint64_t>(x));
}
inline void field(writer& w, std::string_view key, unsigned long long x) {
  field(w, key, static_cast<uint64_t>(x));
}

/// Writes `key` followed by `json`, which must be valid JSON (a payload).
void raw_field(writer& w, std::string_view key, std::string_view json);

/// {"command":NAME,"result":RESULT} (`result` is JSON).
std::string ok(console_verb verb, std::string_view result);

/// {"error":{"code":CODE,"message":TEXT}}: the store's error code name
/// ("not_found", ...) or "error" for others, and `describe(err)`.
std::string error(const caf::error& err);

/// The objects, each written as one JSON object.
void write(writer& w, const recorded_event& ev);
void write(writer& w, const stream_info& info);
void write(writer& w, const pool_status& pool);
void write(writer& w, const router_status& router);
void write(writer& w, const projection_status& st);
void write(writer& w, const parked_event& ev);
void write(writer& w, const subscription_record& rec);

/// One event as a JSON object (what `tail` sends per event).
std::string event(const recorded_event& ev);

/// A page of the stream list: {"streams":[...],"next":..,"end":..}.
std::string streams(const stream_page& page);

/// Every (type, version) of `cat` grouped by type, with the upcasters
/// (version N -> N+1) it holds: {"size":..,"types":[{"type":..,
/// "versions":[..],"latest":..,"upcasters":["1->2"]}]}.
std::string catalog(const registry::catalog& cat);

} // namespace es::console_json
