// libpq helpers that need no server: array literals and DSN redaction.
#include "storage/pg.hpp"

#include <boost/test/unit_test.hpp>

using namespace es::pg;

BOOST_AUTO_TEST_SUITE(pg_helpers)

BOOST_AUTO_TEST_CASE(array_literals_quote_everything) {
  array_literal a;
  a.add("plain")
      .add("with \"quote\"")
      .add("back\\slash")
      .add_null()
      .add(int64_t{-7});
  BOOST_TEST(a.finish() ==
             R"({"plain","with \"quote\"","back\\slash",NULL,-7})");
  BOOST_TEST(a.finish() == "{}");
}

BOOST_AUTO_TEST_CASE(passwords_never_show) {
  BOOST_TEST(redact_dsn("host=/tmp password=s3cret dbname=x") ==
             "host=/tmp password=*** dbname=x");
  BOOST_TEST(redact_dsn("password = 'a b\\' c' user=u") ==
             "password = *** user=u");
  BOOST_TEST(redact_dsn("postgresql://bob:s3cret@db:5432/x") ==
             "postgresql://bob:***@db:5432/x");
  BOOST_TEST(redact_dsn("host=/tmp dbname=x") == "host=/tmp dbname=x");
}

BOOST_AUTO_TEST_SUITE_END()
