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

BOOST_AUTO_TEST_CASE(bench_statements_prepare_and_do_what_they_say) {
  // es-bench's baselines (tools/bench/baselines.hpp): their schema is
  // idempotent, every statement prepares, the commanded-style append moves
  // the stream and the global $all row and writes nothing on a wrong
  // expected version, the physical insert writes the rows it is asked for.
  auto store = test::open_store();
  auto& conn = store.connection();
  for (int i = 0; i < 2; ++i) {
    auto created = conn.exec_sql(sql::bench_schema);
    BOOST_REQUIRE_MESSAGE(created, error_of(created));
  }
  for (auto* stmt : sql::bench_statements()) {
    auto err = conn.prepare(*stmt);
    BOOST_TEST(!err, stmt->name << ": " << describe(err));
    pg::result desc{PQdescribePrepared(conn.native(), stmt->name)};
    BOOST_TEST(PQnparams(desc.get()) == stmt->param_count, stmt->name);
  }
  auto all_version = [&] {
    auto res = conn.exec_sql("SELECT stream_version FROM es_bench.cmd_streams "
                             "WHERE stream_id = 0");
    BOOST_REQUIRE(res && res->rows() == 1);
    return res->int64(0, 0);
  };
  auto append = [&](const std::string& stream, int64_t expected, int n) {
    pg::array_literal ids, types, data, meta, created;
    for (int i = 0; i < n; ++i) {
      ids.add(to_string(uuid::v7()));
      types.add("PlayerJoined");
      data.add("{\"player_id\":\"1\"}");
      meta.add("{}");
      created.add(int64_t{1'700'000'000'000'000});
    }
    pg::params args;
    args.add(stream).add(expected).add(ids.finish()).add(types.finish())
        .add(data.finish()).add(meta.finish()).add(created.finish());
    auto res = conn.exec(sql::bench_commanded_append, args);
    BOOST_REQUIRE_MESSAGE(res, error_of(res));
    std::vector<int64_t> versions;
    for (int r = 0; r < res->rows(); ++r)
      versions.push_back(res->int64(r, 0));
    return versions;
  };
  auto stream = test::unique_stream("cmd");
  auto before = all_version();
  BOOST_TEST(append(stream, 0, 2) == (std::vector<int64_t>{1, 2}),
             boost::test_tools::per_element());
  BOOST_TEST(append(stream, 2, 1) == (std::vector<int64_t>{3}),
             boost::test_tools::per_element());
  BOOST_TEST(all_version() == before + 3);
  // A wrong expectation: no rows, the stream's events stay three.
  BOOST_TEST(append(stream, 1, 1).empty());
  auto linked = conn.exec_sql(
      ("SELECT count(*) FROM es_bench.cmd_stream_events l "
       "JOIN es_bench.cmd_streams s ON s.stream_id = l.stream_id "
       "WHERE s.stream_uuid = '" + stream + "'").c_str());
  BOOST_REQUIRE(linked);
  BOOST_TEST(linked->int64(0, 0) == 3);
  pg::params bulk;
  bulk.add(test::unique_stream("phys")).add(int64_t{0}).add(int64_t{5})
      .add("PlayerJoined").add("{\"player_id\":\"1\"}").add("{}");
  auto inserted = conn.exec(sql::bench_physical_insert, bulk);
  BOOST_REQUIRE_MESSAGE(inserted, error_of(inserted));
  BOOST_TEST(inserted->affected() == 5);
  // The plain insert: versions after the given one; the unique index is its
  // only guard.
  auto plain = [&](const std::string& target, int64_t after) {
    pg::array_literal ids, types, versions, data, meta, created;
    for (int i = 0; i < 2; ++i) {
      ids.add(to_string(uuid::v7()));
      types.add("PlayerJoined");
      versions.add(int64_t{1});
      data.add("{}");
      meta.add("{}");
      created.add(int64_t{1'700'000'000'000'000});
    }
    pg::params args;
    args.add(target).add(after).add(ids.finish()).add(types.finish())
        .add(versions.finish()).add(data.finish()).add(meta.finish())
        .add(created.finish());
    return conn.exec(sql::bench_plain_insert, args);
  };
  auto plain_stream = test::unique_stream("plain");
  auto first = plain(plain_stream, 0);
  BOOST_REQUIRE_MESSAGE(first, error_of(first));
  BOOST_REQUIRE_EQUAL(first->rows(), 2);
  BOOST_TEST(first->int64(0, 0) == 1);
  BOOST_TEST(first->int64(1, 0) == 2);
  BOOST_TEST(!plain(plain_stream, 1)); // version 2 is taken
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
