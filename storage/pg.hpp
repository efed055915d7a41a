// RAII over libpq: a connection, a result, bound parameters, and named
// prepared statements.
//
// `connection` owns one PGconn and the set of statements prepared on it.
// Statements come from storage/sql.hpp as `statement` constants; the first
// use on a connection prepares it, later uses only bind and execute.
// Parameters are always bound (text format), never spliced into SQL.
//
// Pipelines: `pipeline` sends several statements and one sync in a single
// round trip; PostgreSQL runs everything up to the sync as one implicit
// transaction, so one pipeline is one atomic unit of work.
//
// Errors are values: every call returns `caf::expected`, and every database
// error goes through `error_from` (storage/sqlstate.cpp), the one place that
// turns SQLSTATEs into `es::ec`. Threading: a connection is used by one
// thread at a time; it may move between threads.
#pragma once

#include "config/redact.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace es::pg {

/// A named SQL statement with its number of parameters (storage/sql.hpp).
struct statement {
  const char* name;
  const char* text;
  int param_count;
};

/// The result of one statement. Move-only; frees the PGresult.
class result {
public:
  result() = default;
  explicit result(PGresult* res) noexcept : res_(res) {}

  ExecStatusType status() const noexcept { return PQresultStatus(get()); }
  int rows() const noexcept { return PQntuples(get()); }
  int columns() const noexcept { return PQnfields(get()); }
  bool is_null(int row, int col) const noexcept {
    return PQgetisnull(get(), row, col) != 0;
  }
  std::string_view text(int row, int col) const noexcept {
    return {PQgetvalue(get(), row, col),
            static_cast<size_t>(PQgetlength(get(), row, col))};
  }
  std::string string(int row, int col) const {
    return std::string{text(row, col)};
  }
  /// The column as a 64-bit integer; 0 for NULL.
  int64_t int64(int row, int col) const noexcept;
  /// The column as a boolean ('t' / 'f').
  bool boolean(int row, int col) const noexcept {
    return text(row, col) == "t";
  }
  /// Rows affected by an INSERT/UPDATE/DELETE.
  int64_t affected() const noexcept;

  PGresult* get() const noexcept { return res_.get(); }
  explicit operator bool() const noexcept { return res_ != nullptr; }

private:
  struct deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
  };
  std::unique_ptr<PGresult, deleter> res_;
};

/// Bound parameters of one statement, in order. Owns the texts.
class params {
public:
  params& add(std::string_view text);
  /// Without this, a string literal would convert to bool, not to text.
  params& add(const char* text) { return add(std::string_view{text}); }
  params& add(int64_t value);
  params& add(bool value);
  params& add_null();
  template<class T>
  params& add(const std::optional<T>& value) {
    return value ? add(*value) : add_null();
  }

  int size() const noexcept { return static_cast<int>(values_.size()); }
  /// Pointers valid until the next `add`.
  std::vector<const char*> pointers() const;
  std::vector<int> lengths() const;

private:
  std::vector<std::optional<std::string>> values_;
};

/// A notification received on a connection that LISTENs.
struct notification {
  std::string channel;
  std::string payload;
  /// The backend that sent it.
  int sender_pid = 0;
};

/// One libpq connection. Move-only; closes the PGconn.
class connection {
public:
  /// Connects (blocking) with a libpq DSN. Sets application_name (the DSN
  /// may override it).
  static caf::expected<connection> open(const std::string& dsn);

  /// As `open(dsn)`, with `application_name` as the default application
  /// name (e.g. "es-session", so that the session connection is easy to
  /// find in pg_stat_activity).
  static caf::expected<connection> open(const std::string& dsn,
                                        const char* application_name);

  // -- notifications (LISTEN) ------------------------------------------------

  /// The connection's socket, for poll(); -1 when there is none.
  int socket() const noexcept { return PQsocket(conn_.get()); }

  /// Waits until the socket has input or `timeout` passes (poll(); returns
  /// at once on a signal). True when there is input to consume (or the
  /// socket reports an error or EOF: `take_notifications` then finds out).
  /// `unavailable` when there is no socket.
  caf::expected<bool> wait_readable(int timeout_ms);

  /// Reads whatever the server sent, without blocking, and returns the
  /// notifications received so far (also those that arrived during earlier
  /// statements), oldest first. `unavailable` when the connection broke
  /// (EOF, a reset, or a terminated backend).
  caf::expected<std::vector<notification>> take_notifications();

  /// Runs a prepared statement and waits for its result. A statement that
  /// fails returns the mapped error; the connection stays usable (unless the
  /// error is `unavailable`).
  caf::expected<result> exec(const statement& stmt, const params& args = {});

  /// Runs plain SQL without parameters (DDL, migrations, SET).
  caf::expected<result> exec_sql(const char* sql);

  /// `name` quoted as an SQL identifier, for the rare statement that cannot
  /// bind it as a parameter (CREATE DATABASE).
  caf::expected<std::string> quote_identifier(std::string_view name);

  /// True when the underlying socket is still connected.
  bool ok() const noexcept { return PQstatus(conn_.get()) == CONNECTION_OK; }

  /// Makes sure `stmt` is prepared on this connection.
  caf::error prepare(const statement& stmt);

  PGconn* native() const noexcept { return conn_.get(); }

  /// The server's backend process id (for pg_terminate_backend in tests).
  int backend_pid() const noexcept { return PQbackendPID(conn_.get()); }

private:
  struct deleter {
    void operator()(PGconn* c) const noexcept { PQfinish(c); }
  };
  explicit connection(PGconn* c) : conn_(c) {}

  std::unique_ptr<PGconn, deleter> conn_;
  std::unordered_set<std::string> prepared_;
};

/// A batch of statements sent in one round trip and run as one implicit
/// transaction: either every statement commits or none does.
class pipeline {
public:
  explicit pipeline(connection& conn) : conn_(conn) {}

  /// Queues a prepared statement.
  pipeline& add(const statement& stmt, params args);

  /// Sends everything, syncs, and collects one result per statement. The
  /// first failing statement's error is returned; then nothing was
  /// committed. A broken connection during the exchange is `unavailable`.
  caf::expected<std::vector<result>> run() { return run(nullptr); }

  /// As `run()`, and on failure stores in `*failed_at` the index of the
  /// statement that failed (the count of statements when the connection
  /// broke before any statement reported an error).
  caf::expected<std::vector<result>> run(size_t* failed_at);

private:
  connection& conn_;
  std::vector<std::pair<const statement*, params>> queued_;
};

/// Builds a text-format array literal ({"a","b",NULL}) for one bound
/// parameter. Every element is quoted and escaped, so any text is safe.
class array_literal {
public:
  array_literal& add(std::string_view element);
  array_literal& add(int64_t element);
  array_literal& add_null();
  /// The literal; the builder is empty afterwards.
  std::string finish();

private:
  std::string text_ = "{";
};

/// Turns a failed result (or a broken connection) into an `es::ec` error.
/// Defined in storage/sqlstate.cpp: the one place that maps SQLSTATEs.
caf::error error_from(PGconn* conn, const PGresult* res);

/// Renders a DSN for logs and errors with its password masked (defined in
/// config/redact.hpp, where the configuration layer uses it too).
using ::es::redact_dsn;

} // namespace es::pg
