// UUIDs for event ids.
//
// `uuid` is a 16-byte value type. `uuid::v7()` makes a version-7 UUID (RFC
// 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps ids
// made by one thread within one millisecond in order, then 62 random bits.
// Ids therefore sort by creation time, which keeps the events table's unique
// index append-mostly. Thread-safe: each thread has its own generator state.
#pragma once

#include <caf/expected.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace es {

class uuid {
public:
  using bytes_type = std::array<uint8_t, 16>;

  /// The nil UUID (all zero).
  constexpr uuid() noexcept : bytes_{} {}
  explicit constexpr uuid(const bytes_type& bytes) noexcept : bytes_(bytes) {}

  /// A new time-ordered UUIDv7.
  static uuid v7();

  /// Parses the canonical 36-character form (8-4-4-4-12 hex digits, either
  /// case). Anything else is `ec::invalid_argument` naming the input.
  static caf::expected<uuid> parse(std::string_view text);

  /// Parses like `parse`, into `out`, but only says whether it worked (for
  /// hot paths that build their own error). `out` is unspecified after a
  /// failure.
  static bool try_parse(std::string_view text, uuid& out) noexcept;

  /// True for the nil UUID.
  bool nil() const noexcept;

  /// The version nibble (7 for ids made by `v7()`).
  int version() const noexcept { return bytes_[6] >> 4; }

  const bytes_type& bytes() const noexcept { return bytes_; }

  friend bool operator==(const uuid& x, const uuid& y) noexcept {
    return x.bytes_ == y.bytes_;
  }
  friend bool operator!=(const uuid& x, const uuid& y) noexcept {
    return !(x == y);
  }
  friend bool operator<(const uuid& x, const uuid& y) noexcept {
    return x.bytes_ < y.bytes_;
  }

  template<class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, uuid& x) {
    return f(caf::meta::type_name("es.uuid"), x.bytes_);
  }

private:
  bytes_type bytes_;
};

/// The canonical lowercase form, e.g. "0190b5a4-7c1e-7a3b-8f00-1234567890ab".
std::string to_string(const uuid& id);

/// Writes the canonical form into `out` (exactly 36 characters, no NUL),
/// for hot paths that should not allocate.
void to_chars(const uuid& id, char* out) noexcept;

} // namespace es
