#define BOOST_TEST_MODULE resilience
#include <boost/test/unit_test.hpp>
