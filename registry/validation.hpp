// Validation results and context, shared by every validator.
//
// A validator never stops at the first problem: it appends every violation
// it finds, each with the JSON-pointer-style path of the offending field
// ("/players/1/name") and a message that says what was expected and what
// was found. `violations::to_error` turns a non-empty list into one
// `ec::invalid_event` error listing them all. Pure value types; no actors.
#pragma once

#include "messages/time.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <typeindex>
#include <vector>

namespace es::registry {

struct violation {
  std::string path;    ///< e.g. "/round" or "/teams/0/members"
  std::string message; ///< e.g. "must be at least 1, found 0"
};

class violations {
public:
  void add(std::string path, std::string message) {
    list_.push_back({std::move(path), std::move(message)});
  }
  bool empty() const noexcept { return list_.empty(); }
  size_t size() const noexcept { return list_.size(); }
  const std::vector<violation>& list() const noexcept { return list_; }

  /// True when some violation's path is `path`.
  bool has(std::string_view path) const noexcept {
    for (auto& v : list_)
      if (v.path == path)
        return true;
    return false;
  }

  /// Empty when there is no violation; otherwise `ec::invalid_event` with
  /// "<what>: <path>: <message>; <path>: <message>...".
  caf::error to_error(std::string_view what) const;

private:
  std::vector<violation> list_;
};

/// What validators measure against. `now` is taken once per validation.
struct validation_context {
  timestamp now = now_utc();
  /// Timestamps later than now + max_future are absurd (clock skew bound).
  std::chrono::microseconds max_future = std::chrono::hours{24};
  /// Timestamps earlier than now - max_past are absurd.
  std::chrono::microseconds max_past = std::chrono::hours{24 * 366 * 20};
  /// Longest free-text field (names, words, messages), in bytes.
  size_t max_text_bytes = 2000;
  /// Longest list (players, teams, results...).
  size_t max_list_size = 1000;
};

/// A typed event as validators see it, without knowing its C++ type in
/// advance: mode plugins look at the events they care about with `as<T>()`
/// and ignore the rest.
struct event_view {
  std::string_view type;
  int32_t version = 1;
  std::type_index cpp_type = typeid(void);
  const void* event = nullptr;

  template<class T>
  const T* as() const noexcept {
    return cpp_type == std::type_index{typeid(T)} ? static_cast<const T*>(event)
                                                  : nullptr;
  }

  template<class T>
  static event_view of(const T& ev) {
    return {T::event_type, T::event_version, typeid(T), &ev};
  }
};

} // namespace es::registry
