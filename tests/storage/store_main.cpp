#define BOOST_TEST_MODULE storage_pg
#include <boost/test/unit_test.hpp>
