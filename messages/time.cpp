#include "messages/time.hpp"

#include "messages/error.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace es {

namespace {

using std::int64_t;

constexpr int64_t us_per_second = 1000000;
constexpr int64_t us_per_day = 86400 * us_per_second;

// Days since 1970-01-01 of the proleptic Gregorian date y-m-d
// (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
constexpr int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct civil {
  int64_t year;
  unsigned month;
  unsigned day;
};

// The inverse of days_from_civil.
constexpr civil civil_from_days(int64_t z) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(1, 1, 1) * 86400 == -62135596800LL);
static_assert(days_from_civil(10000, 1, 1) * 86400 == 253402300800LL);

constexpr bool is_leap(int64_t y) noexcept {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(int64_t y, unsigned m) noexcept {
  constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

// Floor division and the matching non-negative remainder.
constexpr int64_t floor_div(int64_t x, int64_t y) noexcept {
  return x / y - ((x % y != 0) && ((x < 0) != (y < 0)));
}

/// "000102...99": the two decimal digits of 0 to 99.
constexpr std::array<char, 200> two_digits = [] {
  std::array<char, 200> t{};
  for (size_t i = 0; i < 100; ++i) {
    t[2 * i] = static_cast<char>('0' + i / 10);
    t[2 * i + 1] = static_cast<char>('0' + i % 10);
  }
  return t;
}();

/// Writes `value` (0 to 99) as two digits.
void put2(char* out, int64_t value) noexcept {
  std::memcpy(out, &two_digits[static_cast<size_t>(2 * value)], 2);
}

/// The fields of a timestamp's text form, before range checks.
struct date_time {
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
  int64_t hour = 0;
  int64_t minute = 0;
  int64_t second = 0;
  int64_t micros = 0;
};

/// Reads exactly the form `to_iso8601` writes, "YYYY-MM-DDTHH:MM:SS.ffffffZ",
/// with every field at a fixed offset. False (leaving `t` alone) for
/// anything else, which `parse_iso8601` then reads field by field.
bool read_canonical(std::string_view text, date_time& t) noexcept {
  if (text.size() != iso8601_size || text[4] != '-' || text[7] != '-' ||
      text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != '.' || text[26] != 'Z')
    return false;
  bool digits = true; // until a character is not a digit
  auto number = [&](size_t pos, size_t n) {
    int64_t value = 0;
    for (size_t i = 0; i < n; ++i) {
      auto digit = static_cast<unsigned>(text[pos + i] - '0');
      digits &= digit <= 9;
      value = value * 10 + digit;
    }
    return value;
  };
  date_time r;
  r.year = number(0, 4);
  r.month = number(5, 2);
  r.day = number(8, 2);
  r.hour = number(11, 2);
  r.minute = number(14, 2);
  r.second = number(17, 2);
  r.micros = number(20, 6);
  if (!digits)
    return false;
  t = r;
  return true;
}

} // namespace

timestamp now_utc() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now());
}

std::string to_iso8601(timestamp t) {
  const int64_t us = t.time_since_epoch().count();
  const int64_t days = floor_div(us, us_per_day);
  const int64_t in_day = us - days * us_per_day; // [0, us_per_day)
  const auto date = civil_from_days(days);
  const int64_t secs = in_day / us_per_second;
  const int64_t frac = in_day % us_per_second;
  if (date.year < 1 || date.year > 9999) {
    // Outside the codec's range; written for diagnostics only.
    char buf[64];
    std::snprintf(
        buf, sizeof(buf), "%+05lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
        static_cast<long long>(date.year), date.month, date.day,
        static_cast<long long>(secs / 3600),
        static_cast<long long>(secs / 60 % 60),
        static_cast<long long>(secs % 60), static_cast<long long>(frac));
    return buf;
  }
  std::string out(iso8601_size, '0');
  to_iso8601(t, out.data());
  return out;
}

void to_iso8601(timestamp t, char* out) noexcept {
  // No printf: this runs for every event encoded.
  const int64_t us = t.time_since_epoch().count();
  const int64_t days = floor_div(us, us_per_day);
  const int64_t in_day = us - days * us_per_day;
  const auto date = civil_from_days(days);
  const int64_t secs = in_day / us_per_second;
  const int64_t frac = in_day % us_per_second;
  put2(out, date.year / 100);
  put2(out + 2, date.year % 100);
  out[4] = '-';
  put2(out + 5, date.month);
  out[7] = '-';
  put2(out + 8, date.day);
  out[10] = 'T';
  put2(out + 11, secs / 3600);
  out[13] = ':';
  put2(out + 14, secs / 60 % 60);
  out[16] = ':';
  put2(out + 17, secs % 60);
  out[19] = '.';
  put2(out + 20, frac / 10000);
  put2(out + 22, frac / 100 % 100);
  put2(out + 24, frac % 100);
  out[26] = 'Z';
}

caf::expected<timestamp> parse_iso8601(std::string_view text) {
  auto fail = [&](const char* problem) {
    constexpr size_t max_echo = 64;
    std::string msg = "invalid timestamp \"";
    msg.append(text.substr(0, max_echo));
    if (text.size() > max_echo)
      msg += "...";
    msg += "\": ";
    msg += problem;
    msg += " (expected YYYY-MM-DDTHH:MM:SS[.ffffff]Z in UTC)";
    return make_error(ec::invalid_argument, std::move(msg));
  };
  date_time t;
  // The form the codec writes has every field at a fixed offset and needs
  // no more than range checks; anything else is read field by field.
  const bool canonical = read_canonical(text, t);
  size_t pos = 0;
  // Reads exactly `n` decimal digits.
  auto digits = [&](size_t n, int64_t& out) {
    if (text.size() - pos < n)
      return false;
    out = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = text[pos + i];
      if (c < '0' || c > '9')
        return false;
      out = out * 10 + (c - '0');
    }
    pos += n;
    return true;
  };
  auto literal = [&](char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  };
  if (!canonical &&
      (!digits(4, t.year) || !literal('-') || !digits(2, t.month) ||
       !literal('-') || !digits(2, t.day) || !literal('T') ||
       !digits(2, t.hour) || !literal(':') || !digits(2, t.minute) ||
       !literal(':') || !digits(2, t.second)))
    return fail("malformed");
  if (t.year < 1)
    return fail("year out of range 0001-9999");
  if (t.month < 1 || t.month > 12)
    return fail("month out of range");
  if (t.day < 1 ||
      t.day > days_in_month(t.year, static_cast<unsigned>(t.month)))
    return fail("day out of range");
  if (t.hour > 23)
    return fail("hour out of range");
  if (t.minute > 59)
    return fail("minute out of range");
  if (t.second > 59)
    return fail("second out of range");
  if (!canonical) {
    if (literal('.')) {
      size_t n = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (++n > 6)
          return fail("more than 6 fraction digits");
        t.micros = t.micros * 10 + (text[pos++] - '0');
      }
      if (n == 0)
        return fail("malformed");
      for (; n < 6; ++n)
        t.micros *= 10;
    }
    std::string_view zone = text.substr(pos);
    if (zone.empty())
      return fail("missing time zone");
    if (zone != "Z" && zone != "+00:00") {
      if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 6)
        return fail("not UTC");
      return fail("malformed");
    }
  }
  const int64_t days = days_from_civil(t.year, static_cast<unsigned>(t.month),
                                       static_cast<unsigned>(t.day));
  const int64_t secs = t.hour * 3600 + t.minute * 60 + t.second;
  return timestamp{std::chrono::microseconds{days * us_per_day +
                                             secs * us_per_second + t.micros}};
}

} // namespace es
