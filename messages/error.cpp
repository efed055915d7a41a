#include "messages/error.hpp"

#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

namespace es {

const char* to_string(ec code) noexcept {
  switch (code) {
  case ec::wrong_expected_version:
    return "wrong_expected_version";
  case ec::not_found:
    return "not_found";
  case ec::stream_deleted:
    return "stream_deleted";
  case ec::duplicate_event:
    return "duplicate_event";
  case ec::invalid_event:
    return "invalid_event";
  case ec::invalid_argument:
    return "invalid_argument";
  case ec::payload_too_large:
    return "payload_too_large";
  case ec::unknown_type:
    return "unknown_type";
  case ec::decode_failed:
    return "decode_failed";
  case ec::unavailable:
    return "unavailable";
  case ec::timeout:
    return "timeout";
  case ec::circuit_open:
    return "circuit_open";
  case ec::database_error:
    return "database_error";
  case ec::migration_failed:
    return "migration_failed";
  case ec::cluster_failed:
    return "cluster_failed";
  }
  return "unknown_error_code";
}

std::string describe(const caf::error& err) {
  if (!err)
    return "no error";
  if (err.category() != caf::atom("es"))
    return caf::to_string(err);
  std::string out = to_string(static_cast<ec>(err.code()));
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) {
    out += ": ";
    out += ctx.get_as<std::string>(0);
  } else if (!ctx.empty()) {
    out += ": ";
    out += caf::deep_to_string(ctx);
  }
  return out;
}

} // namespace es
