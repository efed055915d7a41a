#define BOOST_TEST_MODULE registry_pg
#include <boost/test/unit_test.hpp>
