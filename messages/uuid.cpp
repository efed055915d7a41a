#include "messages/uuid.hpp"

#include "messages/error.hpp"

#include <array>
#include <chrono>
#include <cstring>
#include <random>

namespace es {

namespace {

struct v7_state {
  std::mt19937_64 rng{std::random_device{}()};
  uint64_t last_ms = 0;
  uint16_t counter = 0;
};

/// "000102...feff": the two lowercase hex digits of every byte value.
constexpr std::array<char, 512> hex_pairs = [] {
  constexpr char digits[] = "0123456789abcdef";
  std::array<char, 512> t{};
  for (size_t b = 0; b < 256; ++b) {
    t[2 * b] = digits[b >> 4];
    t[2 * b + 1] = digits[b & 0xf];
  }
  return t;
}();

/// Where the two hex digits of each byte are in "8-4-4-4-12".
constexpr uint8_t digit_offsets[16] = {0,  2,  4,  6,  9,  11, 14, 16,
                                       19, 21, 24, 26, 28, 30, 32, 34};

/// The value of each hex digit (either case), and 0x100 for every other
/// character: a pair of lookups shifted and or-ed together has a bit above
/// the low byte set exactly when one of the two was not a hex digit.
constexpr std::array<uint16_t, 256> hex_values = [] {
  std::array<uint16_t, 256> t{};
  for (auto& x : t)
    x = 0x100;
  for (int c = '0'; c <= '9'; ++c)
    t[c] = static_cast<uint16_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c)
    t[c] = static_cast<uint16_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c)
    t[c] = static_cast<uint16_t>(c - 'A' + 10);
  return t;
}();

/// Parses the canonical form into `out`; false for anything else (with
/// `out` partly written). Each byte goes straight to its place and the
/// loop stops at the first non-digit: gathering the bytes first and then
/// copying the id as a whole made GCC pass them through the stack into
/// vector registers, which stalls store forwarding.
bool parse_canonical(std::string_view text, uint8_t* out) noexcept {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' ||
      text[18] != '-' || text[23] != '-')
    return false;
  auto digit = [&](size_t pos) {
    return uint32_t{hex_values[static_cast<unsigned char>(text[pos])]};
  };
  for (size_t i = 0; i < 16; ++i) {
    auto pair = digit(digit_offsets[i]) << 4 | digit(digit_offsets[i] + 1);
    if (pair > 0xFF) // a non-digit sets a bit above the byte
      return false;
    out[i] = static_cast<uint8_t>(pair);
  }
  return true;
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

bool uuid::try_parse(std::string_view text, uuid& out) noexcept {
  return parse_canonical(text, out.bytes_.data());
}

caf::expected<uuid> uuid::parse(std::string_view text) {
  uuid id;
  if (try_parse(text, id))
    return id;
  return make_error(ec::invalid_argument,
                    "not a UUID (expected 8-4-4-4-12 hex digits): '" +
                        std::string{text.substr(0, 64)} + "'");
}

bool uuid::nil() const noexcept {
  for (auto x : bytes_)
    if (x != 0)
      return false;
  return true;
}

void to_chars(const uuid& id, char* out) noexcept {
  for (size_t i = 0; i < 16; ++i)
    std::memcpy(out + digit_offsets[i], &hex_pairs[2 * id.bytes()[i]], 2);
  out[8] = '-';
  out[13] = '-';
  out[18] = '-';
  out[23] = '-';
}

std::string to_string(const uuid& id) {
  std::string out(36, '-');
  to_chars(id, out.data());
  return out;
}

} // namespace es
