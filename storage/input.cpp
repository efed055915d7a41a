#include "storage/input.hpp"

#include "messages/error.hpp"
#include "messages/json.hpp"

#include <algorithm>
#include <set>

namespace es::storage {

namespace {

/// Decodes one UTF-8 code point at `i`; returns its length, or 0 when the
/// bytes are not valid UTF-8 (overlong forms and surrogates included).
size_t utf8_next(std::string_view s, size_t i, uint32_t& cp) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  auto cont = [&](size_t k) {
    return i + k < s.size() && (b(k) & 0xc0) == 0x80;
  };
  if (b(0) < 0x80) {
    cp = b(0);
    return 1;
  }
  if ((b(0) & 0xe0) == 0xc0 && cont(1)) {
    cp = (b(0) & 0x1fu) << 6 | (b(1) & 0x3fu);
    return cp >= 0x80 ? 2 : 0;
  }
  if ((b(0) & 0xf0) == 0xe0 && cont(1) && cont(2)) {
    cp = (b(0) & 0x0fu) << 12 | (b(1) & 0x3fu) << 6 | (b(2) & 0x3fu);
    return cp >= 0x800 && (cp < 0xd800 || cp > 0xdfff) ? 3 : 0;
  }
  if ((b(0) & 0xf8) == 0xf0 && cont(1) && cont(2) && cont(3)) {
    cp = (b(0) & 0x07u) << 18 | (b(1) & 0x3fu) << 12 | (b(2) & 0x3fu) << 6 |
         (b(3) & 0x3fu);
    return cp >= 0x10000 && cp <= 0x10ffff ? 4 : 0;
  }
  return 0;
}

caf::error invalid(std::string what) {
  return make_error(ec::invalid_argument, std::move(what));
}

} // namespace

std::string excerpt(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < text.size() && i < 64; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f || c == '\\') {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 64)
    out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

namespace {

/// Non-empty, at most `max` bytes, valid UTF-8, no control characters;
/// `what` names the value in errors ("stream id", "subscription name").
caf::error check_name(const char* what, std::string_view name, size_t max) {
  std::string w{what};
  if (name.empty())
    return invalid(w + " is empty");
  if (name.size() > max)
    return invalid(w + " '" + excerpt(name) + "' is " +
                   std::to_string(name.size()) + " bytes long; the limit is " +
                   std::to_string(max));
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    auto len = utf8_next(name, i, cp);
    if (len == 0)
      return invalid(w + " '" + excerpt(name) +
                     "' is not valid UTF-8 at byte " + std::to_string(i));
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
      return invalid(w + " '" + excerpt(name) +
                     "' contains a control character at byte " +
                     std::to_string(i));
    i += len;
  }
  return {};
}

} // namespace

caf::error check_stream_id(std::string_view stream, const store_options& opts) {
  return check_name("stream id", stream, opts.max_stream_id_bytes);
}

caf::error check_subscription_name(std::string_view name,
                                   const store_options& opts) {
  return check_name("subscription name", name, opts.max_stream_id_bytes);
}

std::string bounded_text(std::string_view text, size_t max_bytes) {
  static constexpr char replacement[] = "\xef\xbf\xbd"; // U+FFFD
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    auto len = utf8_next(text, i, cp);
    std::string_view piece = len == 0 || cp == 0
                                 ? std::string_view{replacement, 3}
                                 : text.substr(i, len);
    if (out.size() + piece.size() > max_bytes)
      break;
    out += piece;
    i += len == 0 ? 1 : len;
  }
  return out;
}

caf::error check_event_type(std::string_view type, const store_options& opts) {
  if (type.empty())
    return invalid("event type is empty");
  if (type.size() > opts.max_event_type_bytes)
    return invalid("event type '" + excerpt(type) + "' is " +
                   std::to_string(type.size()) + " bytes long; the limit is " +
                   std::to_string(opts.max_event_type_bytes));
  for (char c : type) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
              c == '-';
    if (!ok)
      return invalid("event type '" + excerpt(type) +
                     "' may only contain letters, digits and _.:-");
  }
  return {};
}

caf::error check_page_size(size_t count, const store_options& opts) {
  if (count == 0 || count > opts.max_page_size)
    return invalid("page size " + std::to_string(count) +
                   " is out of range; expected 1 to " +
                   std::to_string(opts.max_page_size));
  return {};
}

caf::error check_append(const std::vector<stream_append>& parts,
                        const store_options& opts) {
  if (parts.empty())
    return invalid("append names no stream");
  std::set<std::string_view> seen;
  std::set<uuid> ids;
  size_t total = 0;
  for (auto& part : parts) {
    if (auto err = check_stream_id(part.stream, opts))
      return err;
    if (!seen.insert(part.stream).second)
      return invalid("stream '" + excerpt(part.stream) +
                     "' appears twice in one append; merge its events");
    if (part.expected.mode == expected_version::kind::exact &&
        part.expected.value < 0)
      return invalid("stream '" + excerpt(part.stream) +
                     "': expected version " +
                     std::to_string(part.expected.value) + " is negative");
    if (part.events.empty())
      return invalid("append to stream '" + excerpt(part.stream) +
                     "' has no events");
    total += part.events.size();
    if (total > opts.max_events_per_append)
      return invalid("append has more than " +
                     std::to_string(opts.max_events_per_append) +
                     " events (store.max-events-per-append)");
    for (size_t i = 0; i < part.events.size(); ++i) {
      auto& ev = part.events[i];
      auto where = "stream '" + excerpt(part.stream) + "', event " +
                   std::to_string(i) + " (" + to_string(ev.id) + ")";
      if (ev.id.nil())
        return invalid(where + ": event id is the nil UUID");
      if (auto err = check_event_type(ev.type, opts))
        return invalid(where + ": " + describe(err));
      if (ev.version < 1)
        return invalid(where + ": event version " + std::to_string(ev.version) +
                       " must be at least 1");
      for (auto [name, payload] :
           {std::pair{"data", &ev.data}, std::pair{"metadata", &ev.metadata}}) {
        if (payload->size() > opts.max_event_bytes)
          return make_error(ec::payload_too_large,
                            where + ": " + name + " is " +
                                std::to_string(payload->size()) +
                                " bytes; the limit is " +
                                std::to_string(opts.max_event_bytes) +
                                " (store.max-event-bytes)");
        if (auto err = json::check_object(*payload))
          return make_error(ec::invalid_event,
                            where + ": " + name + ": " + describe(err));
      }
      if (!ids.insert(ev.id).second)
        return invalid(where + ": event id appears twice in one append");
    }
  }
  return {};
}

} // namespace es::storage
