// How Boost.Test prints the project's values in failed assertions.
#pragma once

#include "messages/error.hpp"
#include "messages/uuid.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/expected.hpp>

#include <ostream>
#include <string>

namespace es {

inline std::ostream& operator<<(std::ostream& os, ec code) {
  return os << to_string(code);
}

inline std::ostream& operator<<(std::ostream& os, const uuid& id) {
  return os << to_string(id);
}

/// The error of `x` rendered for a test message; empty when `x` holds a
/// value (so it is safe in messages evaluated on success too).
template<class T>
std::string error_of(const caf::expected<T>& x) {
  return x ? std::string{} : describe(x.error());
}

} // namespace es

namespace boost::test_tools::tt_detail {

template<>
struct print_log_value<caf::error> {
  void operator()(std::ostream& os, const caf::error& err) {
    os << es::describe(err);
  }
};

} // namespace boost::test_tools::tt_detail
