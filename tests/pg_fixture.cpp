#include "tests/pg_fixture.hpp"

#include "messages/error.hpp"
#include "storage/embedded_cluster.hpp"
#include "storage/sql.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace es::test {

namespace {

[[noreturn]] void fatal(const std::string& what) {
  BOOST_TEST_MESSAGE("test database: " << what);
  std::fprintf(stderr, "test database: %s\n", what.c_str());
  std::exit(2);
}

/// The server's admin DSN, from the environment or an embedded cluster.
std::string server_dsn() {
  if (auto* dsn = std::getenv("ES_TEST_DSN"); dsn && *dsn)
    return dsn;
  if (auto* file = std::getenv("ES_TEST_DSN_FILE"); file && *file) {
    std::ifstream in{file};
    std::string dsn;
    if (!std::getline(in, dsn) || dsn.empty())
      fatal(std::string{"cannot read a DSN from "} + file +
            " (did the pg_start fixture run?)");
    return dsn;
  }
  static std::optional<storage::embedded_cluster> own;
  storage::cluster_options opts;
  opts.data_dir = std::filesystem::temp_directory_path() /
                  ("es-test-pg-" + std::to_string(::getpid()));
  opts.ephemeral = true;
  opts.fsync = false;
  opts.database = "postgres";
  auto cluster = storage::embedded_cluster::start(opts);
  if (!cluster)
    fatal("cannot start an embedded cluster: " + error_of(cluster));
  own.emplace(std::move(*cluster));
  std::atexit([] { own.reset(); });
  return own->dsn();
}

struct database {
  std::string admin_dsn;
  std::string name;
  std::string dsn;

  database() {
    admin_dsn = server_dsn();
    auto exe = std::filesystem::read_symlink("/proc/self/exe").filename();
    name = "es_" + exe.string() + "_" + std::to_string(::getpid());
    for (auto& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)))
        c = '_';
    auto admin = pg::connection::open(admin_dsn);
    if (!admin)
      fatal(error_of(admin));
    auto create = "CREATE DATABASE " + name;
    if (auto res = admin->exec_sql(create.c_str()); !res)
      fatal(error_of(res));
    dsn = admin_dsn + " dbname=" + name;
  }

  ~database() {
    if (auto admin = pg::connection::open(admin_dsn)) {
      auto drop = "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)";
      (void)admin->exec_sql(drop.c_str());
    }
  }
};

} // namespace

const std::string& test_database() {
  static database db;
  return db.dsn;
}

storage::event_store open_store(store_options opts) {
  auto store = storage::event_store::open(test_database(), opts);
  BOOST_REQUIRE_MESSAGE(store,
                        "cannot open the test store: " << error_of(store));
  return std::move(*store);
}

int64_t begin_open_append(storage::event_store& store,
                          const std::string& stream) {
  auto& conn = store.connection();
  BOOST_REQUIRE(conn.exec_sql("BEGIN"));
  pg::array_literal locked;
  locked.add(stream);
  BOOST_REQUIRE(
      conn.exec(sql::lock_streams, pg::params{}.add(locked.finish())));
  BOOST_REQUIRE(conn.exec(sql::reserve_positions));
  stream_append part;
  part.stream = stream;
  part.expected = expected_version::any();
  event_data held;
  held.type = "Held";
  held.data = R"({"held":true})";
  part.events.push_back(std::move(held));
  auto args = storage::append_events_params({&part}, true);
  auto res = conn.exec(sql::append_events, args);
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  return res->int64(0, 0);
}

std::string unique_stream(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "x" +
         std::to_string(++counter);
}

} // namespace es::test
