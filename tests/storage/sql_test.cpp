// Every statement of storage/sql.cpp prepares against PostgreSQL, the schema
// migrates idempotently, and every read pattern is served by an index.
#include "messages/error.hpp"
#include "storage/schema.hpp"
#include "storage/sql.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <thread>

using namespace es;
namespace sql = es::sql;

BOOST_AUTO_TEST_SUITE(sql_statements)

BOOST_AUTO_TEST_CASE(every_statement_prepares) {
  auto store = test::open_store();
  for (auto* stmt : sql::all_statements()) {
    auto err = store.connection().prepare(*stmt);
    BOOST_TEST(!err, stmt->name << ": " << describe(err));
    // The declared parameter count is the statement's real one.
    pg::result desc{
        PQdescribePrepared(store.connection().native(), stmt->name)};
    BOOST_TEST(PQnparams(desc.get()) == stmt->param_count, stmt->name);
  }
}

BOOST_AUTO_TEST_CASE(relaxed_commit_applies_to_its_transaction_only) {
  // A relaxed append runs `relaxed_commit` inside its pipeline (one implicit
  // transaction): the setting must hold for that transaction, where the
  // COMMIT happens, and be gone afterwards.
  const pg::statement setting{
      "test_synchronous_commit",
      "SELECT current_setting('synchronous_commit')", 0};
  auto store = test::open_store();
  pg::pipeline pipe{store.connection()};
  pipe.add(sql::relaxed_commit, {});
  pipe.add(setting, {});
  auto inside = pipe.run();
  BOOST_REQUIRE_MESSAGE(inside, error_of(inside));
  BOOST_TEST((*inside)[1].text(0, 0) == "off");
  auto after = store.connection().exec(setting);
  BOOST_REQUIRE_MESSAGE(after, error_of(after));
  BOOST_TEST(after->text(0, 0) == "on");
}

BOOST_AUTO_TEST_CASE(migrations_are_idempotent_and_concurrent) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::atomic<int> applied{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto conn = pg::connection::open(test::test_database());
      if (!conn) {
        ++failures;
        return;
      }
      auto n = storage::migrate(*conn);
      if (!n)
        ++failures;
      else
        applied += *n;
    });
  for (auto& t : threads)
    t.join();
  BOOST_TEST(failures.load() == 0);
  // The fixture's store may or may not have migrated first; either way every
  // migration is recorded exactly once.
  auto store = test::open_store();
  auto rows = store.connection().exec_sql(
      "SELECT count(*), count(DISTINCT version) FROM es_migrations");
  BOOST_REQUIRE(rows);
  BOOST_TEST(rows->int64(0, 0) == int64_t(sql::migrations().size()));
  BOOST_TEST(rows->int64(0, 1) == int64_t(sql::migrations().size()));
  auto again = storage::migrate(store.connection());
  BOOST_REQUIRE(again);
  BOOST_TEST(*again == 0);
  // The migration lock is released: a session that keeps it would block
  // every other process's start for as long as it lives.
  auto held = store.connection().exec_sql(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
      "AND pid = pg_backend_pid()");
  BOOST_REQUIRE(held);
  BOOST_TEST(held->int64(0, 0) == 0);
}

// With sequential scans priced out, a pattern without a fitting index still
// gets a Seq Scan; every read must get an index instead.
BOOST_AUTO_TEST_CASE(every_read_pattern_uses_an_index) {
  auto store = test::open_store();
  auto& conn = store.connection();
  BOOST_REQUIRE(conn.exec_sql("SET enable_seqscan = off"));
  const char* queries[] = {
      "EXECUTE es_read_stream_forward('game-1', 1, 100)",
      "EXECUTE es_read_stream_backward('game-1', 100, 100)",
      "EXECUTE es_read_log_fwd_all(1, 1000, 100)",
      "EXECUTE es_read_log_bwd_all(1000, 1000, 100)",
      "EXECUTE es_read_log_fwd_types(1, 1000, '{GameCreated}', 100)",
      "EXECUTE es_read_log_bwd_types(1000, 1000, '{GameCreated}', 100)",
      "EXECUTE es_read_log_fwd_category(1, 1000, 'game', 100)",
      "EXECUTE es_read_log_bwd_category(1000, 1000, 'game', 100)",
      "EXECUTE es_read_log_fwd_correlation(1, 1000, 'c', 100)",
      "EXECUTE es_read_log_bwd_correlation(1000, 1000, 'c', 100)",
      "EXECUTE es_read_log_fwd_causation(1, 1000, 'c', 100)",
      "EXECUTE es_read_log_fwd_actor(1, 1000, 'u', 100)",
      "EXECUTE es_read_log_fwd_guild(1, 1000, 'g', 100)",
      "EXECUTE es_read_log_bwd_guild(1000, 1000, 'g', 100)",
      "EXECUTE es_stream_info('game-1')",
      "EXECUTE es_list_streams('', 100)",
      "EXECUTE es_stream_version('game-1')",
      "EXECUTE es_stream_state('game-1')",
      "EXECUTE es_read_snapshot('game-1')",
      "EXECUTE es_read_subscription('sub-1')",
      "EXECUTE es_save_checkpoint('sub-1', 10)",
      "EXECUTE es_list_parked('sub-1', 0, 100)",
      "EXECUTE es_unpark_event('sub-1', 10)",
  };
  for (auto* stmt : sql::all_statements())
    BOOST_REQUIRE(!conn.prepare(*stmt));
  for (auto* query : queries) {
    auto explain = std::string{"EXPLAIN "} + query;
    auto plan = conn.exec_sql(explain.c_str());
    BOOST_REQUIRE_MESSAGE(plan, error_of(plan));
    std::string text;
    for (int i = 0; i < plan->rows(); ++i)
      text += plan->string(i, 0) + "\n";
    BOOST_TEST(text.find("Seq Scan") == std::string::npos, query << "\n"
                                                                 << text);
    BOOST_TEST(text.find("Index") != std::string::npos, query << "\n" << text);
  }
}

BOOST_AUTO_TEST_SUITE_END()
