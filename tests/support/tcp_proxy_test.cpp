// The fault-injection proxy (tests/support/tcp_proxy.hpp): every mode, both
// cuts and the DSN helpers, against the real test PostgreSQL through libpq,
// and against a scripted upstream where the exact bytes matter.
//
// Nothing here sleeps. Waits for what must happen have a generous deadline
// (`patience`) that only a broken proxy reaches; the one wait for what must
// NOT happen (a stalled answer) is short (`glimpse`) and cannot pass by luck.
#define BOOST_TEST_MODULE tcp_proxy_test
#include "tests/pg_fixture.hpp"
#include "tests/support/tcp_proxy.hpp"

#include <boost/test/unit_test.hpp>
#include <libpq-fe.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

using namespace std::chrono_literals;
using namespace std::string_literals;
using es::test::proxied_dsn;
using es::test::proxy_mode;
using es::test::proxy_stats;
using es::test::tcp_proxy;
using es::test::upstream_of;

namespace {

using clock_type = std::chrono::steady_clock;

/// Deadline for what must happen; reached only when the proxy is broken.
constexpr std::chrono::milliseconds patience = 10s;

/// How long a stalled request gets to (wrongly) produce an answer.
constexpr std::chrono::milliseconds glimpse = 200ms;

std::chrono::milliseconds left_until(clock_type::time_point deadline) {
  return std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - clock_type::now()),
                  0ms);
}

/// Waits until `fd` reports one of `events`; false if `timeout` passed.
bool wait_fd(int fd, short events, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left_until(deadline).count()));
    if (rc >= 0 || errno != EINTR)
      return rc > 0;
  }
}

// -- libpq --------------------------------------------------------------------

struct conn_closer {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using conn_ptr = std::unique_ptr<PGconn, conn_closer>;

struct result_clearer {
  void operator()(PGresult* res) const { PQclear(res); }
};
using result_ptr = std::unique_ptr<PGresult, result_clearer>;

conn_ptr open(const std::string& dsn) {
  conn_ptr conn{PQconnectdb(dsn.c_str())};
  BOOST_REQUIRE_MESSAGE(PQstatus(conn.get()) == CONNECTION_OK,
                        "cannot connect to " << dsn << ": "
                                             << PQerrorMessage(conn.get()));
  return conn;
}

bool succeeded(PGconn* conn, const result_ptr& res) {
  auto status = PQresultStatus(res.get());
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return true;
  BOOST_TEST_MESSAGE("statement failed: " << PQerrorMessage(conn));
  return false;
}

/// Runs `sql` with the simple query protocol (one Query message, no Sync).
bool exec(PGconn* conn, const std::string& sql) {
  return succeeded(conn, result_ptr{PQexec(conn, sql.c_str())});
}

/// Runs `sql` with the extended protocol (Parse, Bind, Describe, Execute,
/// Sync): one Sync per call.
bool exec_extended(PGconn* conn, const std::string& sql) {
  return succeeded(conn,
                   result_ptr{PQexecParams(conn, sql.c_str(), 0, nullptr,
                                           nullptr, nullptr, nullptr, 0)});
}

/// The single value `sql` returns, or why there is none.
std::string value_of(PGconn* conn, const std::string& sql) {
  result_ptr res{PQexec(conn, sql.c_str())};
  if (!succeeded(conn, res))
    return "(failed: "s + PQerrorMessage(conn) + ")";
  if (PQntuples(res.get()) != 1 || PQnfields(res.get()) != 1)
    return "(not a single value)";
  return PQgetvalue(res.get(), 0, 0);
}

/// Whether any byte of an answer reaches `conn` within `timeout`.
bool answer_arrives(PGconn* conn, std::chrono::milliseconds timeout) {
  return wait_fd(PQsocket(conn), POLLIN, timeout);
}

/// The single value of the query sent with PQsendQuery, waiting for it up to
/// `timeout`, or why there is none.
std::string await_value(PGconn* conn, std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (PQisBusy(conn)) {
    if (!answer_arrives(conn, left_until(deadline)))
      return "(no answer)";
    if (!PQconsumeInput(conn))
      return "(failed: "s + PQerrorMessage(conn) + ")";
  }
  std::string value = "(no row)";
  while (result_ptr res{PQgetResult(conn)})
    if (PQresultStatus(res.get()) == PGRES_TUPLES_OK && PQntuples(res.get()))
      value = PQgetvalue(res.get(), 0, 0);
  return value;
}

/// The test database, and the proxy in front of it.
struct proxied_database {
  std::string direct = es::test::test_database();
  tcp_proxy proxy{upstream_of(direct)};
  std::string via_proxy = proxied_dsn(direct, proxy.port());
};

// -- raw sockets, for a scripted upstream -------------------------------------

/// Owns one socket.
class socket_fd {
public:
  explicit socket_fd(int fd) : fd_{fd} {
    BOOST_REQUIRE_MESSAGE(fd >= 0, "socket call failed: " << errno);
  }
  socket_fd(socket_fd&& other) noexcept : fd_{std::exchange(other.fd_, -1)} {}
  socket_fd& operator=(socket_fd&&) = delete;
  ~socket_fd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }

private:
  int fd_;
};

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

/// A listening socket on 127.0.0.1, ephemeral port.
socket_fd listen_on_loopback(uint16_t& port) {
  socket_fd fd{::socket(AF_INET, SOCK_STREAM, 0)};
  auto addr = loopback(0);
  socklen_t length = sizeof addr;
  BOOST_REQUIRE(
      ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  BOOST_REQUIRE(::listen(fd.get(), 8) == 0);
  BOOST_REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr),
                              &length) == 0);
  port = ntohs(addr.sin_port);
  return fd;
}

socket_fd connect_to_loopback(uint16_t port) {
  socket_fd fd{::socket(AF_INET, SOCK_STREAM, 0)};
  auto addr = loopback(port);
  BOOST_REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr),
                          sizeof addr) == 0);
  return fd;
}

socket_fd accept_from(const socket_fd& listener) {
  BOOST_REQUIRE_MESSAGE(wait_fd(listener.get(), POLLIN, patience),
                        "nobody connected");
  return socket_fd{::accept(listener.get(), nullptr, nullptr)};
}

void send_all(const socket_fd& fd, const std::string& bytes) {
  BOOST_REQUIRE(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(bytes.size()));
}

/// Reads until `count` bytes came, the peer ended the stream, or `timeout`
/// passed.
std::string receive(const socket_fd& fd, size_t count,
                    std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  std::string out;
  while (out.size() < count &&
         wait_fd(fd.get(), POLLIN, left_until(deadline))) {
    char buf[4096];
    auto n = ::recv(fd.get(), buf, std::min(sizeof buf, count - out.size()), 0);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

/// Everything up to the end of the stream, which must come within `patience`.
std::string receive_to_end(const socket_fd& fd) {
  auto deadline = clock_type::now() + patience;
  std::string out;
  for (;;) {
    BOOST_REQUIRE_MESSAGE(wait_fd(fd.get(), POLLIN, left_until(deadline)),
                          "the stream did not end; got " << out.size()
                                                         << " bytes");
    char buf[4096];
    auto n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0)
      return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

/// Sends `bytes` one at a time, each only once `to` has received the one
/// before: the proxy sees every message split at every possible point.
void trickle(const socket_fd& from, const socket_fd& to,
             const std::string& bytes) {
  for (char byte : bytes) {
    send_all(from, std::string(1, byte));
    BOOST_REQUIRE(receive(to, 1, patience) == std::string(1, byte));
  }
}

// -- frontend messages (protocol v3) ------------------------------------------

std::string int32(uint32_t value) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i)
    out[static_cast<size_t>(i)] = static_cast<char>(value >> (24 - 8 * i));
  return out;
}

/// A startup-phase packet: no type byte.
std::string untyped(uint32_t code, const std::string& body = {}) {
  return int32(static_cast<uint32_t>(8 + body.size())) + int32(code) + body;
}

std::string typed(char type, const std::string& body = {}) {
  return type + int32(static_cast<uint32_t>(4 + body.size())) + body;
}

const std::string ssl_request = untyped(80877103);
const std::string startup_message =
    untyped(196608, "user\0proxy\0database\0proxy\0\0"s);
const std::string sync_message = typed('S');

} // namespace

// -- the DSN helpers ----------------------------------------------------------

BOOST_AUTO_TEST_SUITE(dsn_helpers)

BOOST_AUTO_TEST_CASE(upstream_of_a_socket_directory_is_the_socket_file) {
  BOOST_TEST(upstream_of("host=/run/pg port=5433 dbname=x") ==
             "/run/pg/.s.PGSQL.5433");
  BOOST_TEST(upstream_of("host=/run/pg") == "/run/pg/.s.PGSQL.5432");
}

BOOST_AUTO_TEST_CASE(upstream_of_a_network_host_is_host_and_port) {
  BOOST_TEST(upstream_of("host=db.example port=6000") == "db.example:6000");
  BOOST_TEST(upstream_of("host=db.example hostaddr=::1") == "[::1]:5432");
}

BOOST_AUTO_TEST_CASE(upstream_of_rejects_what_it_cannot_proxy) {
  BOOST_CHECK_THROW(upstream_of("dbname=x"), std::invalid_argument);
  BOOST_CHECK_THROW(upstream_of("host=a,b"), std::invalid_argument);
  BOOST_CHECK_THROW(upstream_of("host='unterminated"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(proxied_dsn_keeps_the_database_and_the_user) {
  BOOST_TEST(proxied_dsn("host=/run/pg port=5433 dbname='my db' user=me", 7) ==
             "host=127.0.0.1 port=7 dbname='my db' user='me' "
             "sslmode=disable gssencmode=disable");
}

BOOST_AUTO_TEST_SUITE_END()

// -- modes, against PostgreSQL ------------------------------------------------

BOOST_FIXTURE_TEST_SUITE(with_postgres, proxied_database)

BOOST_AUTO_TEST_CASE(pass_forwards_several_connections) {
  {
    auto a = open(via_proxy);
    auto b = open(via_proxy);
    auto c = open(via_proxy);
    BOOST_TEST(proxy.connections() == 3u);
    BOOST_TEST(proxy.accepted() == 3u);
    for (auto* conn : {a.get(), b.get(), c.get()})
      BOOST_TEST(value_of(conn, "SELECT 1") == "1");
    BOOST_TEST(value_of(b.get(), "SELECT current_database()") ==
               value_of(open(direct).get(), "SELECT current_database()"));
  }
  // Closing a client ends both sides of its connection.
  BOOST_TEST(proxy.wait_for(
      [](const proxy_stats& s) {
        return s.connections == 0 && s.upstreams == 0;
      },
      patience));
}

BOOST_AUTO_TEST_CASE(stall_holds_the_query_until_pass) {
  auto conn = open(via_proxy);
  BOOST_REQUIRE(value_of(conn.get(), "SELECT 1") == "1");
  proxy.set_mode(proxy_mode::stall);
  BOOST_TEST((proxy.mode() == proxy_mode::stall));
  BOOST_REQUIRE(PQsendQuery(conn.get(), "SELECT 42") == 1);
  BOOST_TEST(!answer_arrives(conn.get(), glimpse));
  BOOST_TEST(proxy.connections() == 1u); // stalled, not dropped
  proxy.set_mode(proxy_mode::pass);
  BOOST_TEST(await_value(conn.get(), patience) == "42");
  BOOST_TEST(value_of(conn.get(), "SELECT 2") == "2");
}

BOOST_AUTO_TEST_CASE(refuse_makes_the_server_unreachable_for_new_clients) {
  auto before = open(via_proxy);
  proxy.set_mode(proxy_mode::refuse);
  conn_ptr refused{PQconnectdb(via_proxy.c_str())};
  BOOST_TEST(PQstatus(refused.get()) == CONNECTION_BAD);
  std::string error = PQerrorMessage(refused.get());
  BOOST_TEST_MESSAGE("refused: " << error);
  BOOST_TEST(error.find("server closed the connection unexpectedly") !=
             std::string::npos);
  BOOST_TEST(proxy.accepted() == 2u);
  BOOST_TEST(proxy.connections() == 1u);
  // Connections made earlier keep working.
  BOOST_TEST(value_of(before.get(), "SELECT 1") == "1");
  proxy.set_mode(proxy_mode::pass);
  BOOST_TEST(value_of(open(via_proxy).get(), "SELECT 1") == "1");
}

BOOST_AUTO_TEST_CASE(cut_all_breaks_every_open_connection) {
  auto a = open(via_proxy);
  auto b = open(via_proxy);
  BOOST_REQUIRE(value_of(a.get(), "SELECT 1") == "1");
  BOOST_REQUIRE(value_of(b.get(), "SELECT 1") == "1");
  proxy.cut_all();
  BOOST_TEST(proxy.connections() == 0u);
  BOOST_TEST(proxy.stats().upstreams == 0u);
  for (auto* conn : {a.get(), b.get()}) {
    BOOST_TEST(!exec(conn, "SELECT 1"));
    BOOST_TEST(PQstatus(conn) == CONNECTION_BAD);
  }
  // The proxy itself keeps serving.
  BOOST_TEST(value_of(open(via_proxy).get(), "SELECT 1") == "1");
}

BOOST_AUTO_TEST_CASE(cut_after_sync_commits_but_the_client_never_learns) {
  auto admin = open(direct);
  BOOST_REQUIRE(exec(admin.get(), "CREATE TABLE ambiguous (x int)"));
  auto conn = open(via_proxy);
  proxy.cut_after_client_sync(1);
  // The simple protocol sends no Sync: the trap stays armed.
  BOOST_TEST(value_of(conn.get(), "SELECT 1") == "1");
  BOOST_TEST(!exec_extended(conn.get(), "INSERT INTO ambiguous VALUES (1)"));
  BOOST_TEST(PQstatus(conn.get()) == CONNECTION_BAD);
  BOOST_TEST(proxy.stats().trap_cuts == 1u);
  // Once the server has hung up, it has run everything up to the Sync.
  BOOST_REQUIRE(proxy.wait_for(
      [](const proxy_stats& s) { return s.upstreams == 0; }, patience));
  BOOST_TEST(value_of(admin.get(), "SELECT count(*) FROM ambiguous") == "1");
}

BOOST_AUTO_TEST_CASE(trap_sees_through_a_declined_ssl_request) {
  auto admin = open(direct);
  BOOST_REQUIRE(exec(admin.get(), "CREATE TABLE after_ssl (x int)"));
  // libpq asks for TLS first; the server, which has none, answers 'N'.
  auto conn = open(via_proxy + " sslmode=prefer");
  BOOST_REQUIRE(PQsslInUse(conn.get()) == 0);
  proxy.cut_after_client_sync(1);
  BOOST_TEST(!exec_extended(conn.get(), "INSERT INTO after_ssl VALUES (1)"));
  BOOST_TEST(proxy.stats().trap_cuts == 1u);
  BOOST_REQUIRE(proxy.wait_for(
      [](const proxy_stats& s) { return s.upstreams == 0; }, patience));
  BOOST_TEST(value_of(admin.get(), "SELECT count(*) FROM after_ssl") == "1");
}

BOOST_AUTO_TEST_CASE(trap_counts_syncs_of_all_clients_from_arming) {
  auto admin = open(direct);
  BOOST_REQUIRE(exec(admin.get(), "CREATE TABLE counted (x int)"));
  auto a = open(via_proxy);
  auto b = open(via_proxy);
  BOOST_REQUIRE(exec_extended(a.get(), "INSERT INTO counted VALUES (0)"));
  proxy.cut_after_client_sync(2); // the Sync above does not count
  BOOST_TEST(exec_extended(a.get(), "INSERT INTO counted VALUES (1)"));
  BOOST_TEST(!exec_extended(b.get(), "INSERT INTO counted VALUES (2)"));
  BOOST_TEST(PQstatus(b.get()) == CONNECTION_BAD);
  BOOST_TEST(exec_extended(a.get(), "INSERT INTO counted VALUES (3)"));
  BOOST_REQUIRE(proxy.wait_for(
      [](const proxy_stats& s) { return s.upstreams == 1; }, patience));
  BOOST_TEST(value_of(admin.get(), "SELECT string_agg(x::text, ',' ORDER BY x)"
                                   " FROM counted") == "0,1,2,3");
  // n == 0 disarms.
  proxy.cut_after_client_sync(1);
  proxy.cut_after_client_sync(0);
  BOOST_TEST(exec_extended(a.get(), "INSERT INTO counted VALUES (4)"));
  BOOST_TEST(proxy.stats().trap_cuts == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// -- exact bytes, against a scripted upstream ---------------------------------

namespace {

/// A proxy in front of an upstream the test plays itself, over TCP.
struct scripted_upstream {
  uint16_t upstream_port = 0;
  socket_fd listener = listen_on_loopback(upstream_port);
  tcp_proxy proxy{"127.0.0.1:" + std::to_string(upstream_port)};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(with_scripted_upstream, scripted_upstream)

BOOST_AUTO_TEST_CASE(stall_holds_bytes_in_both_directions) {
  auto client = connect_to_loopback(proxy.port());
  auto server = accept_from(listener);
  send_all(client, "ping");
  BOOST_REQUIRE(receive(server, 4, patience) == "ping");
  proxy.set_mode(proxy_mode::stall);
  send_all(client, "up");
  send_all(server, "down");
  BOOST_TEST(receive(server, 2, glimpse).empty());
  BOOST_TEST(receive(client, 4, glimpse).empty());
  proxy.set_mode(proxy_mode::pass);
  BOOST_TEST(receive(server, 2, patience) == "up");
  BOOST_TEST(receive(client, 4, patience) == "down");
}

BOOST_AUTO_TEST_CASE(trap_finds_the_sync_in_a_split_stream_and_stops_there) {
  proxy.cut_after_client_sync(1);
  auto client = connect_to_loopback(proxy.port());
  auto server = accept_from(listener);

  // SSLRequest, declined: the real startup message follows.
  trickle(client, server, ssl_request);
  send_all(server, "N");
  BOOST_REQUIRE(receive(client, 1, patience) == "N");

  // Bytes that look like a Sync without being one: a Query whose length
  // field is 0x53 ('S') and whose text is all 'S'.
  auto decoy = typed('Q', std::string(78, 'S') + '\0');
  BOOST_REQUIRE(decoy.substr(1, 4) == int32('S'));
  auto parse = typed('P', "\0SELECT 'S'\0\0\0"s);
  trickle(client, server, startup_message + decoy + parse);
  BOOST_TEST(proxy.stats().syncs_forwarded == 0u);

  // The Sync and a message after it, in one write: the proxy forwards the
  // Sync, ends the server's stream right there and drops the client.
  send_all(client, sync_message + typed('Q', "SELECT 2\0"s));
  BOOST_TEST(receive_to_end(server) == sync_message);
  BOOST_TEST(receive_to_end(client).empty());
  auto stats = proxy.stats();
  BOOST_TEST(stats.syncs_forwarded == 1u);
  BOOST_TEST(stats.trap_cuts == 1u);
  BOOST_TEST(stats.connections == 0u);

  // The server side is drained until the server hangs up.
  send_all(server, "ignored");
  ::shutdown(server.get(), SHUT_WR);
  BOOST_TEST(proxy.wait_for(
      [](const proxy_stats& s) { return s.upstreams == 0; }, patience));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(an_unreachable_upstream_closes_the_client) {
  uint16_t port = 0;
  listen_on_loopback(port); // closed at once: nothing listens there now
  tcp_proxy proxy{"127.0.0.1:" + std::to_string(port)};
  auto client = connect_to_loopback(proxy.port());
  BOOST_TEST(receive_to_end(client).empty());
  BOOST_TEST(proxy.wait_for(
      [](const proxy_stats& s) {
        return s.accepted == 1 && s.connections == 0 && s.upstreams == 0;
      },
      patience));
}
