#include "config/redact.hpp"

#include <regex>

namespace es {

namespace {

bool is_uri(std::string_view dsn) {
  auto starts = [&](std::string_view prefix) {
    return dsn.substr(0, prefix.size()) == prefix;
  };
  return starts("postgresql://") || starts("postgres://");
}

} // namespace

std::string redact_dsn(std::string_view dsn) {
  std::string text{dsn};
  if (is_uri(dsn)) {
    // user:secret@host: libpq ends the user info at the first '@' before
    // any '/' (a password with '@' or '/' has to be percent-encoded).
    static const std::regex userinfo{R"(^(postgres(ql)?://[^:@/?#]*:)[^@/]*@)",
                                     std::regex::icase};
    static const std::regex param{R"(([?&](ssl)?password=)[^&#]*)",
                                  std::regex::icase};
    text = std::regex_replace(text, userinfo, "$1***@");
    return std::regex_replace(text, param, "$1***");
  }
  // key = value, the value bare (up to whitespace) or single-quoted.
  static const std::regex kv{R"((password\s*=\s*)('([^'\\]|\\.)*'?|\S+))",
                             std::regex::icase};
  return std::regex_replace(text, kv, "$1***");
}

} // namespace es
