# es_add_suite(NAME <name> SOURCES <files...> LIBS <targets...> [NEEDS_PG])
#
# Builds one Boost.Test executable and registers it as one CTest. Suites that
# say NEEDS_PG require the CTest fixture `pg`, which starts one throwaway
# PostgreSQL cluster for the whole test run (tests/CMakeLists.txt) and tells
# the suite where it is through ES_TEST_DSN_FILE. Run alone, outside CTest, such
# a suite starts a cluster of its own (tests/pg_fixture.hpp).
function(es_add_suite)
  cmake_parse_arguments(S "NEEDS_PG" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${S_NAME} ${S_SOURCES})
  target_link_libraries(${S_NAME} PRIVATE
    es::settings Boost::unit_test_framework ${S_LIBS})
  add_test(NAME ${S_NAME}
           COMMAND ${S_NAME} --color_output=no --log_level=test_suite
                   --report_level=short)
  # A hang fails the suite instead of holding CI until its own limit.
  set_tests_properties(${S_NAME} PROPERTIES TIMEOUT 600)
  if(S_NEEDS_PG)
    set_tests_properties(${S_NAME} PROPERTIES
      FIXTURES_REQUIRED pg
      ENVIRONMENT "ES_TEST_DSN_FILE=${ES_TEST_PG_DIR}/dsn")
  endif()
endfunction()
