#include "messages/event.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

namespace es {

std::string to_string(const expected_version& x) {
  switch (x.mode) {
  case expected_version::kind::any:
    return "any";
  case expected_version::kind::no_stream:
    return "no_stream";
  case expected_version::kind::stream_exists:
    return "stream_exists";
  case expected_version::kind::exact:
    return "exact(" + std::to_string(x.value) + ")";
  }
  return "?";
}

namespace {

/// metadata->>'key' as PostgreSQL computes it: a string field's text, any
/// other value's JSON text; nothing for a missing key or JSON null.
std::optional<std::string> metadata_text(const std::string& metadata,
                                         const char* key) {
  rapidjson::Document doc;
  doc.Parse(metadata.data(), metadata.size());
  if (doc.HasParseError() || !doc.IsObject())
    return std::nullopt;
  auto it = doc.FindMember(key);
  if (it == doc.MemberEnd() || it->value.IsNull())
    return std::nullopt;
  if (it->value.IsString())
    return std::string{it->value.GetString(), it->value.GetStringLength()};
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  it->value.Accept(w);
  return std::string{buf.GetString(), buf.GetSize()};
}

} // namespace

bool matches(const log_filter& filter, const recorded_event& ev) {
  using kind = log_filter::kind;
  auto value_is = [&](const char* key) {
    auto text = metadata_text(ev.metadata, key);
    return text && !filter.values.empty() && *text == filter.values[0];
  };
  switch (filter.by) {
  case kind::all:
    return true;
  case kind::event_types:
    return std::find(filter.values.begin(), filter.values.end(), ev.type)
           != filter.values.end();
  case kind::category:
    return !filter.values.empty()
           && std::string_view{ev.stream}.substr(0, ev.stream.find('-'))
                  == filter.values[0];
  case kind::correlation:
    return value_is("correlation_id");
  case kind::causation:
    return value_is("causation_id");
  case kind::actor:
    return value_is("actor_id");
  case kind::guild:
    return value_is("guild_id");
  }
  return false;
}

} // namespace es
