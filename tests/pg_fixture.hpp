// PostgreSQL for integration tests.
//
// `test_database()` returns the DSN of a database of this test process's
// own, created on first use and dropped at exit. The server comes from, in
// order: ES_TEST_DSN (an external server; the DSN must allow CREATE
// DATABASE), the DSN file named by ES_TEST_DSN_FILE (written by
// `es-pg start`, the CTest fixture), or an ephemeral embedded cluster this
// process starts itself (a suite run by hand). A failure to get a server is
// fatal for the suite: integration tests never silently skip.
#pragma once

#include "storage/event_store.hpp"

#include <string>

namespace es::test {

/// DSN of this process's test database (see above).
const std::string& test_database();

/// A fresh event store on the test database, schema migrated. Aborts the
/// test case (BOOST_REQUIRE) if it cannot connect.
storage::event_store open_store(store_options opts = {});

/// Starts an append the way the store does (lock the stream, reserve
/// positions, insert one event with expected version `any`) on `store`'s
/// connection, but leaves the transaction open, for tests of what others
/// see meanwhile. Returns the event's global position. The caller ends the
/// transaction (COMMIT or ROLLBACK on `store.connection()`).
int64_t begin_open_append(storage::event_store& store,
                          const std::string& stream);

/// A stream id unique within this test process: "<prefix>-<n>".
std::string unique_stream(const std::string& prefix = "test");

} // namespace es::test
