// Tests of storage/embedded_cluster.hpp against real PostgreSQL 15 binaries.
// Each test works in a temp dir of its own; runs as root or as any user.
#define BOOST_TEST_MODULE embedded_cluster
#include "messages/error.hpp"
#include "storage/embedded_cluster.hpp"

#include <boost/test/unit_test.hpp>
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using es::storage::cluster_options;
using es::storage::embedded_cluster;
using namespace std::chrono_literals;

using conn_ptr = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using result_ptr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// A fresh directory under /tmp, searchable by everyone so that the postgres
// user reaches the data dirs below it when the suite runs as root.
struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string tmpl = (fs::temp_directory_path() / "es-ec-test.XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path = tmpl;
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_exec |
                              fs::perms::others_exec | fs::perms::group_read |
                              fs::perms::others_read);
  }
  ~temp_dir() {
    std::error_code err;
    fs::remove_all(path, err);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

cluster_options options(const fs::path& dir, bool ephemeral) {
  cluster_options opts;
  opts.data_dir = dir;
  opts.ephemeral = ephemeral;
  opts.fsync = false;
  opts.start_timeout = 30s;
  return opts;
}

// The first value of the first row of `sql`, or "error: ..." on failure.
std::string query(const std::string& dsn, const std::string& sql) {
  conn_ptr conn{PQconnectdb(dsn.c_str()), &PQfinish};
  if (PQstatus(conn.get()) != CONNECTION_OK)
    return std::string{"error: "} + PQerrorMessage(conn.get());
  result_ptr res{PQexec(conn.get(), sql.c_str()), &PQclear};
  auto status = PQresultStatus(res.get());
  if (status == PGRES_COMMAND_OK)
    return "ok";
  if (status != PGRES_TUPLES_OK)
    return std::string{"error: "} + PQerrorMessage(conn.get());
  if (PQntuples(res.get()) == 0)
    return "no rows";
  return PQgetvalue(res.get(), 0, 0);
}

// The error of `x`, or "" (safe to evaluate for a value: messages are not
// lazy).
template<class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : es::describe(x.error());
}

bool answers(const std::string& dsn) {
  return PQping(dsn.c_str()) == PQPING_OK;
}

bool has_code(const caf::error& err, es::ec code) {
  return err && err.category() == caf::atom("es") &&
         err.code() == static_cast<uint8_t>(code);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Polls `done` until it holds or `limit` passes (a condition with a
// deadline, not a fixed sleep).
bool wait_until(const std::function<bool()>& done,
                std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::yield();
  }
  return true;
}

// The parent pid and state of a process, from /proc.
std::optional<std::pair<long, char>> proc_stat(long pid) {
  std::ifstream in{"/proc/" + std::to_string(pid) + "/stat"};
  std::string line;
  if (!std::getline(in, line))
    return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream rest{line.substr(close + 2)};
  char state = '?';
  long ppid = 0;
  rest >> state >> ppid;
  return std::pair{ppid, state};
}

bool gone(long pid) {
  auto st = proc_stat(pid);
  return !st || st->second == 'Z' || st->second == 'X';
}

std::vector<long> children_of(long pid) {
  std::vector<long> out;
  for (const auto& entry : fs::directory_iterator{"/proc"}) {
    auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos)
      continue;
    auto st = proc_stat(std::stol(name));
    if (st && st->first == pid)
      out.push_back(std::stol(name));
  }
  return out;
}

long postmaster_pid(const fs::path& data_dir) {
  std::ifstream in{data_dir / "postmaster.pid"};
  long pid = 0;
  in >> pid;
  return pid;
}

} // namespace

BOOST_AUTO_TEST_CASE(ephemeral_cluster_answers_and_is_removed_by_stop) {
  temp_dir tmp;
  auto dir = tmp.path / "data";
  auto cluster = embedded_cluster::start(options(dir, true));
  BOOST_REQUIRE_MESSAGE(cluster, why(cluster));
  BOOST_TEST(!cluster->reused());
  BOOST_TEST(cluster->data_dir() == dir);
  BOOST_TEST(cluster->port() != 0);
  auto dsn = cluster->dsn();
  BOOST_TEST_MESSAGE("dsn: " << dsn);
  BOOST_TEST(contains(dsn, "dbname=gamebot"));
  BOOST_TEST(contains(dsn, "user=postgres"));
  BOOST_TEST(query(dsn, "SELECT 1") == "1");
  BOOST_TEST(query(dsn, "SELECT current_database()") == "gamebot");
  BOOST_TEST(query(dsn, "SHOW fsync") == "off");
  BOOST_TEST(query(dsn, "SHOW full_page_writes") == "off");
  BOOST_TEST(query(dsn, "SHOW synchronous_commit") == "on");
  BOOST_TEST(query(dsn, "SHOW timezone") == "UTC");
  BOOST_TEST(query(dsn, "SHOW max_connections") == "200");
  BOOST_TEST(query(dsn, "SHOW listen_addresses") == "");
  auto stopped = cluster->stop();
  BOOST_REQUIRE_MESSAGE(!stopped, es::describe(stopped));
  BOOST_TEST(!answers(dsn));
  BOOST_TEST(!fs::exists(dir));
  BOOST_TEST(!cluster->stop()); // Idempotent.
}

BOOST_AUTO_TEST_CASE(restart_keeps_data_and_port_and_applies_settings) {
  temp_dir tmp;
  auto dir = tmp.path / "data";
  auto opts = options(dir, false);
  uint16_t port = 0;
  {
    auto cluster = embedded_cluster::start(opts);
    BOOST_REQUIRE_MESSAGE(cluster, why(cluster));
    port = cluster->port();
    BOOST_TEST(query(cluster->dsn(), "CREATE TABLE kept (v int)") == "ok");
    BOOST_TEST(query(cluster->dsn(), "INSERT INTO kept VALUES (42)") == "ok");
    auto stopped = cluster->stop();
    BOOST_REQUIRE_MESSAGE(!stopped, es::describe(stopped));
    BOOST_TEST(!answers(cluster->dsn()));
    BOOST_TEST(fs::exists(dir / "PG_VERSION"));
  }
  opts.fsync = true; // Settings are rewritten on every start.
  std::string dsn;
  {
    auto again = embedded_cluster::start(opts);
    BOOST_REQUIRE_MESSAGE(again, why(again));
    BOOST_TEST(!again->reused());
    BOOST_TEST(again->port() == port);
    BOOST_TEST(query(again->dsn(), "SELECT v FROM kept") == "42");
    BOOST_TEST(query(again->dsn(), "SHOW fsync") == "on");
    BOOST_TEST(query(again->dsn(), "SHOW full_page_writes") == "on");
    dsn = again->dsn();
    again->release(); // As es-pg start does.
  }
  BOOST_TEST(answers(dsn));
  auto running = embedded_cluster::running_dsn(dir);
  BOOST_REQUIRE_MESSAGE(running, why(running));
  BOOST_TEST(*running == dsn);
  auto stopped = embedded_cluster::stop_at(dir, true);
  BOOST_REQUIRE_MESSAGE(!stopped, es::describe(stopped));
  BOOST_TEST(!answers(dsn));
  BOOST_TEST(!fs::exists(dir));
  BOOST_TEST(has_code(embedded_cluster::running_dsn(dir).error(),
                      es::ec::unavailable));
  BOOST_TEST(!embedded_cluster::stop_at(dir, true)); // Idempotent.
}

BOOST_AUTO_TEST_CASE(running_server_is_reused_and_left_running) {
  temp_dir tmp;
  auto dir = tmp.path / "data";
  std::string dsn;
  {
    auto started = embedded_cluster::start(options(dir, true));
    BOOST_REQUIRE_MESSAGE(started, why(started));
    auto owner = std::move(*started); // The moved-from handle owns nothing.
    dsn = owner.dsn();
    {
      auto guest = embedded_cluster::start(options(dir, true));
      BOOST_REQUIRE_MESSAGE(guest, why(guest));
      BOOST_TEST(guest->reused());
      BOOST_TEST(guest->port() == owner.port());
      BOOST_TEST(guest->dsn() == dsn);
      BOOST_TEST(!guest->stop());
      BOOST_TEST(answers(dsn));
    } // The guest's destructor does not stop it either.
    BOOST_TEST(answers(dsn));
    BOOST_TEST(query(dsn, "SELECT 1") == "1");
  } // The owner's destructor stops it and removes the ephemeral dir.
  BOOST_TEST(!answers(dsn));
  BOOST_TEST(!fs::exists(dir));
}

// A server killed with SIGKILL leaves postmaster.pid behind. Where the dead
// postmaster is reaped (a real init; here: the test process as subreaper),
// pg_ctl and the server handle the stale file themselves; where it stays a
// zombie (PID 1 of many containers reaps nothing), the component removes it.
BOOST_AUTO_TEST_CASE(stale_pid_file_of_a_killed_server_is_handled) {
  temp_dir tmp;
  auto dir = tmp.path / "data";
  auto opts = options(dir, false);
  auto kill_server = [&](bool reaped) {
    BOOST_TEST_CONTEXT("reaped: " << reaped) {
      ::prctl(PR_SET_CHILD_SUBREAPER, reaped ? 1 : 0);
      auto cluster = embedded_cluster::start(opts);
      ::prctl(PR_SET_CHILD_SUBREAPER, 0);
      BOOST_REQUIRE_MESSAGE(cluster, why(cluster));
      BOOST_TEST(!cluster->reused());
      if (reaped) // The first round; the second finds it.
        BOOST_TEST(query(cluster->dsn(), "CREATE TABLE t (v int)") == "ok");
      else
        BOOST_TEST(query(cluster->dsn(), "SELECT count(*) FROM t") == "0");
      auto pid = postmaster_pid(cluster->data_dir());
      BOOST_REQUIRE(pid > 0);
      auto children = children_of(pid);
      BOOST_REQUIRE(::kill(static_cast<pid_t>(pid), SIGKILL) == 0);
      if (reaped)
        BOOST_REQUIRE(::waitpid(static_cast<pid_t>(pid), nullptr, 0) == pid);
      // The backends notice that the postmaster died and exit.
      BOOST_REQUIRE(wait_until(
          [&] {
            return gone(pid) &&
                   std::all_of(children.begin(), children.end(), gone);
          },
          10s));
      BOOST_TEST(fs::exists(dir / "postmaster.pid"));
      BOOST_TEST(!answers(cluster->dsn()));
      cluster->release(); // Its server is dead; keep the data.
    }
  };
  kill_server(true);
  kill_server(false);
  opts.ephemeral = true;
  auto again = embedded_cluster::start(opts);
  BOOST_REQUIRE_MESSAGE(again, why(again));
  BOOST_TEST(query(again->dsn(), "SELECT count(*) FROM t") == "0");
  BOOST_TEST(!again->stop());
  BOOST_TEST(!fs::exists(dir));
}

BOOST_AUTO_TEST_CASE(concurrent_starts_share_one_server) {
  temp_dir tmp;
  auto dir = tmp.path / "data";
  std::optional<caf::expected<embedded_cluster>> first;
  std::optional<caf::expected<embedded_cluster>> second;
  std::thread t1{
      [&] { first.emplace(embedded_cluster::start(options(dir, true))); }};
  std::thread t2{
      [&] { second.emplace(embedded_cluster::start(options(dir, true))); }};
  t1.join();
  t2.join();
  BOOST_REQUIRE_MESSAGE(*first, why(*first));
  BOOST_REQUIRE_MESSAGE(*second, why(*second));
  BOOST_TEST((*first)->reused() != (*second)->reused());
  BOOST_TEST((*first)->dsn() == (*second)->dsn());
  BOOST_TEST(query((*first)->dsn(), "SELECT 1") == "1");
  auto& owner = (*first)->reused() ? *second : *first;
  BOOST_TEST(!owner->stop());
  BOOST_TEST(!fs::exists(dir));
}

BOOST_AUTO_TEST_CASE(long_path_custom_port_and_database) {
  temp_dir tmp;
  auto dir = tmp.path / std::string(100, 'd') / "data";
  auto opts = options(dir, true);
  opts.port = 54329;
  opts.database = "es test-db";
  auto cluster = embedded_cluster::start(opts);
  BOOST_REQUIRE_MESSAGE(cluster, why(cluster));
  auto dsn = cluster->dsn();
  BOOST_TEST_MESSAGE("dsn: " << dsn);
  BOOST_TEST(cluster->port() == 54329);
  BOOST_TEST(contains(dsn, "host=/tmp/es-pg-"));
  BOOST_TEST(contains(dsn, "port=54329"));
  BOOST_TEST(query(dsn, "SELECT current_database()") == "es test-db");
  BOOST_TEST(!cluster->stop());
  BOOST_TEST(!fs::exists(dir));
}

BOOST_AUTO_TEST_CASE(bad_bin_dir_is_named_in_the_error) {
  temp_dir tmp;
  auto opts = options(tmp.path / "data", true);
  opts.bin_dir = "/nonexistent/pg/bin";
  auto cluster = embedded_cluster::start(opts);
  BOOST_REQUIRE(!cluster);
  BOOST_TEST(has_code(cluster.error(), es::ec::cluster_failed));
  auto text = why(cluster);
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(contains(text, "/nonexistent/pg/bin"));
  BOOST_TEST(!fs::exists(tmp.path / "data"));
}

BOOST_AUTO_TEST_CASE(data_dir_that_is_a_file_or_foreign_is_refused) {
  temp_dir tmp;
  auto file = tmp.path / "file";
  std::ofstream{file} << "not a cluster\n";
  auto cluster = embedded_cluster::start(options(file, true));
  BOOST_REQUIRE(!cluster);
  BOOST_TEST(has_code(cluster.error(), es::ec::cluster_failed));
  auto text = why(cluster);
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(contains(text, file.string()));
  BOOST_TEST(contains(text, "not a directory"));
  BOOST_TEST(fs::is_regular_file(file));
  auto foreign = tmp.path / "foreign";
  fs::create_directories(foreign);
  std::ofstream{foreign / "notes.txt"} << "mine\n";
  auto refused = embedded_cluster::start(options(foreign, true));
  BOOST_REQUIRE(!refused);
  BOOST_TEST(contains(why(refused), "neither empty nor"));
  BOOST_TEST(fs::exists(foreign / "notes.txt"));
}

BOOST_AUTO_TEST_CASE(root_falls_back_to_a_reachable_dir) {
  temp_dir tmp;
  auto closed = tmp.path / "closed";
  fs::create_directories(closed);
  fs::permissions(closed, fs::perms::owner_all);
  auto requested = closed / "data";
  if (::geteuid() != 0) {
    auto resolved = embedded_cluster::resolve_data_dir(requested);
    BOOST_REQUIRE(resolved);
    BOOST_TEST(*resolved == requested);
    BOOST_TEST_MESSAGE("not root: no fallback to test");
    return;
  }
  auto opts = options(requested, false);
  fs::path real;
  {
    auto cluster = embedded_cluster::start(opts);
    BOOST_REQUIRE_MESSAGE(cluster, why(cluster));
    real = cluster->data_dir();
    BOOST_TEST_MESSAGE("data lives in " << real);
    BOOST_TEST(real != requested);
    BOOST_TEST(real.string().rfind("/var/tmp/gamebot-es/data-", 0) == 0);
    BOOST_TEST(!fs::exists(requested));
    BOOST_TEST(query(cluster->dsn(), "CREATE TABLE kept (v int)") == "ok");
  }
  auto resolved = embedded_cluster::resolve_data_dir(requested);
  BOOST_REQUIRE(resolved);
  BOOST_TEST(*resolved == real);
  opts.ephemeral = true;
  auto again = embedded_cluster::start(opts);
  BOOST_REQUIRE_MESSAGE(again, why(again));
  BOOST_TEST(again->data_dir() == real);
  BOOST_TEST(query(again->dsn(), "SELECT count(*) FROM kept") == "0");
  BOOST_TEST(!again->stop());
  BOOST_TEST(!fs::exists(real));
}
