#define BOOST_TEST_MODULE storage_unit
#include <boost/test/unit_test.hpp>
