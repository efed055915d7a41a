#include "messages/error.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_SUITE(error)

BOOST_AUTO_TEST_CASE(describe_names_code_and_detail) {
  auto err = es::make_error(es::ec::wrong_expected_version,
                            "stream s: expected version exact(3), actual 5");
  BOOST_TEST(err == es::ec::wrong_expected_version);
  BOOST_TEST(es::describe(err) ==
             "wrong_expected_version: stream s: expected version "
             "exact(3), actual 5");
}

BOOST_AUTO_TEST_CASE(every_code_has_a_name) {
  for (int code = 1; code <= static_cast<int>(es::ec::cluster_failed); ++code) {
    std::string name = es::to_string(static_cast<es::ec>(code));
    BOOST_TEST(name != "unknown_error_code");
    BOOST_TEST(!name.empty());
  }
}

BOOST_AUTO_TEST_CASE(describe_of_no_error) {
  BOOST_TEST(es::describe(caf::error{}) == "no error");
}

BOOST_AUTO_TEST_SUITE_END()
