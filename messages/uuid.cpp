#include "messages/uuid.hpp"

#include "messages/error.hpp"

#include <array>
#include <chrono>
#include <random>

namespace es {

namespace {

struct v7_state {
  std::mt19937_64 rng{std::random_device{}()};
  uint64_t last_ms = 0;
  uint16_t counter = 0;
};

/// Hex digit values by character; -1 for anything else.
constexpr std::array<int8_t, 256> hex_table = [] {
  std::array<int8_t, 256> t{};
  for (auto& x : t)
    x = -1;
  for (int c = '0'; c <= '9'; ++c)
    t[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c)
    t[c] = static_cast<int8_t>(c - 'A' + 10);
  return t;
}();

int hex_value(char c) noexcept {
  return hex_table[static_cast<unsigned char>(c)];
}

} // namespace

uuid uuid::v7() {
  thread_local v7_state st;
  using namespace std::chrono;
  auto ms = static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch())
          .count());
  if (ms > st.last_ms) {
    st.last_ms = ms;
    st.counter = static_cast<uint16_t>(st.rng() & 0x7ff); // leave headroom
  } else if (++st.counter > 0xfff) {
    // Counter exhausted within one millisecond: borrow the next one.
    st.last_ms += 1;
    st.counter = 0;
  }
  ms = st.last_ms;
  auto rnd = st.rng();
  bytes_type b;
  for (int i = 0; i < 6; ++i)
    b[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
  b[6] = static_cast<uint8_t>(0x70 | (st.counter >> 8));
  b[7] = static_cast<uint8_t>(st.counter & 0xff);
  b[8] = static_cast<uint8_t>(0x80 | (rnd & 0x3f));
  for (int i = 9; i < 16; ++i)
    b[i] = static_cast<uint8_t>(rnd >> (8 * (i - 8)));
  return uuid{b};
}

caf::expected<uuid> uuid::parse(std::string_view text) {
  // Offsets of the 16 hex pairs in "8-4-4-4-12".
  static constexpr uint8_t pairs[16] = {0,  2,  4,  6,  9,  11, 14, 16,
                                        19, 21, 24, 26, 28, 30, 32, 34};
  bool ok = text.size() == 36 && text[8] == '-' && text[13] == '-' &&
            text[18] == '-' && text[23] == '-';
  bytes_type b{};
  int bad = 0;
  if (ok) {
    for (size_t i = 0; i < 16; ++i) {
      auto hi = hex_value(text[pairs[i]]);
      auto lo = hex_value(text[pairs[i] + 1]);
      bad |= hi | lo; // negative when either is not a hex digit
      b[i] = static_cast<uint8_t>((hi & 0xf) << 4 | (lo & 0xf));
    }
  }
  if (!ok || bad < 0)
    return make_error(ec::invalid_argument,
                      "not a UUID (expected 8-4-4-4-12 hex digits): '" +
                          std::string{text.substr(0, 64)} + "'");
  return uuid{b};
}

bool uuid::nil() const noexcept {
  for (auto x : bytes_)
    if (x != 0)
      return false;
  return true;
}

void to_chars(const uuid& id, char* out) noexcept {
  static constexpr char digits[] = "0123456789abcdef";
  size_t pos = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out[pos++] = '-';
    out[pos++] = digits[id.bytes()[i] >> 4];
    out[pos++] = digits[id.bytes()[i] & 0xf];
  }
}

std::string to_string(const uuid& id) {
  std::string out(36, '-');
  to_chars(id, out.data());
  return out;
}

} // namespace es
