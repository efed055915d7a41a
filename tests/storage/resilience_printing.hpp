// How Boost.Test prints durations, time points, optionals and breaker states in
// the resilience suite's failed assertions.
#pragma once

#include "storage/breaker.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <ostream>

namespace es::storage {

inline std::ostream& operator<<(std::ostream& os, breaker_state x) {
  return os << to_string(x);
}

} // namespace es::storage

namespace boost::test_tools::tt_detail {

template<class Rep, class Period>
struct print_log_value<std::chrono::duration<Rep, Period>> {
  void operator()(std::ostream& os, std::chrono::duration<Rep, Period> d) {
    os << std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()
       << "ns";
  }
};

template<class Clock, class Duration>
struct print_log_value<std::chrono::time_point<Clock, Duration>> {
  void operator()(std::ostream& os,
                  std::chrono::time_point<Clock, Duration> t) {
    os << "t0+"
       << std::chrono::duration_cast<std::chrono::nanoseconds>(
              t.time_since_epoch())
              .count()
       << "ns";
  }
};

template<class T>
struct print_log_value<std::optional<T>> {
  void operator()(std::ostream& os, const std::optional<T>& x) {
    if (x)
      print_log_value<T>{}(os, *x);
    else
      os << "nullopt";
  }
};

} // namespace boost::test_tools::tt_detail
