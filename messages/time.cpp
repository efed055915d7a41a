#include "messages/time.hpp"

#include "messages/error.hpp"

#include <cstdint>
#include <cstdio>

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
  auto put = [&](size_t pos, int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[pos + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, date.year, 4);
  out[4] = '-';
  put(5, date.month, 2);
  out[7] = '-';
  put(8, date.day, 2);
  out[10] = 'T';
  put(11, secs / 3600, 2);
  out[13] = ':';
  put(14, secs / 60 % 60, 2);
  out[16] = ':';
  put(17, secs % 60, 2);
  out[19] = '.';
  put(20, frac, 6);
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
  int64_t year = 0;
  int64_t month = 0;
  int64_t day = 0;
  int64_t hour = 0;
  int64_t minute = 0;
  int64_t second = 0;
  if (!digits(4, year) || !literal('-') || !digits(2, month) || !literal('-') ||
      !digits(2, day) || !literal('T') || !digits(2, hour) || !literal(':') ||
      !digits(2, minute) || !literal(':') || !digits(2, second))
    return fail("malformed");
  if (year < 1)
    return fail("year out of range 0001-9999");
  if (month < 1 || month > 12)
    return fail("month out of range");
  if (day < 1 || day > days_in_month(year, static_cast<unsigned>(month)))
    return fail("day out of range");
  if (hour > 23)
    return fail("hour out of range");
  if (minute > 59)
    return fail("minute out of range");
  if (second > 59)
    return fail("second out of range");
  int64_t frac = 0;
  if (literal('.')) {
    size_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++n > 6)
        return fail("more than 6 fraction digits");
      frac = frac * 10 + (text[pos++] - '0');
    }
    if (n == 0)
      return fail("malformed");
    for (; n < 6; ++n)
      frac *= 10;
  }
  std::string_view zone = text.substr(pos);
  if (zone.empty())
    return fail("missing time zone");
  if (zone != "Z" && zone != "+00:00") {
    if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 6)
      return fail("not UTC");
    return fail("malformed");
  }
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month),
                                       static_cast<unsigned>(day));
  const int64_t secs = hour * 3600 + minute * 60 + second;
  return timestamp{std::chrono::microseconds{days * us_per_day +
                                             secs * us_per_second + frac}};
}

} // namespace es
