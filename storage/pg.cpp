#include "storage/pg.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

#include <charconv>

#include <poll.h>

namespace es::pg {

int64_t result::int64(int row, int col) const noexcept {
  auto txt = text(row, col);
  int64_t value = 0;
  std::from_chars(txt.data(), txt.data() + txt.size(), value);
  return value;
}

int64_t result::affected() const noexcept {
  std::string_view txt = PQcmdTuples(get());
  int64_t value = 0;
  std::from_chars(txt.data(), txt.data() + txt.size(), value);
  return value;
}

params& params::add(std::string_view text) {
  values_.emplace_back(std::string{text});
  return *this;
}

params& params::add(int64_t value) {
  values_.emplace_back(std::to_string(value));
  return *this;
}

params& params::add(bool value) {
  values_.emplace_back(value ? "t" : "f");
  return *this;
}

params& params::add_null() {
  values_.emplace_back(std::nullopt);
  return *this;
}

std::vector<const char*> params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (auto& v : values_)
    out.push_back(v ? v->c_str() : nullptr);
  return out;
}

std::vector<int> params::lengths() const {
  std::vector<int> out;
  out.reserve(values_.size());
  for (auto& v : values_)
    out.push_back(v ? static_cast<int>(v->size()) : 0);
  return out;
}

caf::expected<connection> connection::open(const std::string& dsn) {
  return open(dsn, "gamebot-es");
}

caf::expected<connection> connection::open(const std::string& dsn,
                                           const char* application_name) {
  // expand_dbname=1 parses `dsn` as a connection string; values it sets
  // override the defaults listed before it: the application name, a bound
  // on connecting, and TCP keepalives plus a user timeout so that a dead
  // peer on a TCP connection is noticed in seconds, not hours (unix
  // sockets ignore them).
  const char* keys[] = {"application_name", "connect_timeout", "keepalives",
                        "keepalives_idle",  "keepalives_interval",
                        "keepalives_count", "tcp_user_timeout",
                        "dbname",           nullptr};
  const char* vals[] = {application_name, "5", "1", "5", "2", "3", "10000",
                        dsn.c_str(), nullptr};
  PGconn* raw = PQconnectdbParams(keys, vals, 1);
  connection conn{raw};
  if (raw == nullptr)
    return make_error(ec::unavailable, "out of memory creating connection");
  // Server notices ("relation already exists, skipping") are not errors.
  PQsetNoticeProcessor(
      raw,
      [](void*, const char* msg) {
        spdlog::debug("postgres: {}", std::string_view{msg});
      },
      nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(raw);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
      msg.pop_back();
    return make_error(ec::unavailable, "cannot connect to PostgreSQL (" +
                                           redact_dsn(dsn) + "): " + msg);
  }
  return conn;
}

caf::expected<bool> connection::wait_readable(int timeout_ms) {
  int fd = socket();
  if (fd < 0)
    return make_error(ec::unavailable, "no connection to wait on");
  pollfd p{fd, POLLIN, 0};
  int n = ::poll(&p, 1, timeout_ms);
  if (n < 0)
    return false; // EINTR: the caller simply polls again
  return n > 0;
}

caf::expected<std::vector<notification>> connection::take_notifications() {
  auto* c = native();
  if (PQconsumeInput(c) != 1 || PQstatus(c) != CONNECTION_OK)
    return error_from(c, nullptr);
  struct freer {
    void operator()(PGnotify* n) const noexcept { PQfreemem(n); }
  };
  std::vector<notification> out;
  while (auto n = std::unique_ptr<PGnotify, freer>{PQnotifies(c)})
    out.push_back(notification{n->relname, n->extra ? n->extra : "",
                               n->be_pid});
  return out;
}

caf::error connection::prepare(const statement& stmt) {
  if (prepared_.count(stmt.name) != 0)
    return {};
  result res{PQprepare(native(), stmt.name, stmt.text, 0, nullptr)};
  if (res.status() != PGRES_COMMAND_OK)
    return error_from(native(), res.get());
  prepared_.emplace(stmt.name);
  return {};
}

caf::expected<result> connection::exec(const statement& stmt,
                                       const params& args) {
  if (args.size() != stmt.param_count)
    return make_error(ec::database_error,
                      std::string{"statement "} + stmt.name + " takes " +
                          std::to_string(stmt.param_count) +
                          " parameters, got " + std::to_string(args.size()));
  if (auto err = prepare(stmt))
    return err;
  auto ptrs = args.pointers();
  auto lens = args.lengths();
  result res{PQexecPrepared(native(), stmt.name, args.size(), ptrs.data(),
                            lens.data(), nullptr, 0)};
  auto st = res.status();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return error_from(native(), res.get());
  return res;
}

caf::expected<std::string> connection::quote_identifier(std::string_view name) {
  std::unique_ptr<char, decltype(&PQfreemem)> quoted{
      PQescapeIdentifier(native(), name.data(), name.size()), &PQfreemem};
  if (!quoted)
    return make_error(ec::invalid_argument,
                      "cannot quote identifier: " +
                          std::string{PQerrorMessage(native())});
  return std::string{quoted.get()};
}

caf::expected<result> connection::exec_sql(const char* sql) {
  result res{PQexec(native(), sql)};
  auto st = res.status();
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return error_from(native(), res.get());
  return res;
}

pipeline& pipeline::add(const statement& stmt, params args) {
  queued_.emplace_back(&stmt, std::move(args));
  return *this;
}

caf::expected<std::vector<result>> pipeline::run(size_t* failed_at) {
  if (failed_at != nullptr)
    *failed_at = queued_.size();
  auto* c = conn_.native();
  for (auto& [stmt, args] : queued_) {
    if (args.size() != stmt->param_count)
      return make_error(ec::database_error,
                        std::string{"statement "} + stmt->name + " takes " +
                            std::to_string(stmt->param_count) +
                            " parameters, got " + std::to_string(args.size()));
    if (auto err = conn_.prepare(*stmt))
      return err;
  }
  if (PQenterPipelineMode(c) != 1)
    return error_from(c, nullptr);
  struct exit_guard {
    PGconn* c;
    ~exit_guard() {
      if (PQpipelineStatus(c) != PQ_PIPELINE_OFF)
        PQexitPipelineMode(c);
    }
  } guard{c};
  for (auto& [stmt, args] : queued_) {
    auto ptrs = args.pointers();
    auto lens = args.lengths();
    if (PQsendQueryPrepared(c, stmt->name, args.size(), ptrs.data(),
                            lens.data(), nullptr, 0) != 1)
      return error_from(c, nullptr);
  }
  if (PQpipelineSync(c) != 1)
    return error_from(c, nullptr);
  std::vector<result> results;
  results.reserve(queued_.size());
  caf::error first_error;
  // Each statement yields its result(s) followed by one NULL; the sync
  // yields PGRES_PIPELINE_SYNC. Two NULLs in a row mean libpq has nothing
  // more to give: the connection broke (libpq does not always say so in
  // PQstatus, e.g. after the server crashed mid-pipeline), and waiting for
  // the sync would spin forever.
  bool after_null = false;
  for (;;) {
    result res{PQgetResult(c)};
    if (!res) {
      if (PQstatus(c) == CONNECTION_BAD)
        return first_error ? first_error : error_from(c, nullptr);
      if (after_null) {
        std::string msg = PQerrorMessage(c);
        while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
          msg.pop_back();
        return make_error(ec::unavailable,
                          "connection to PostgreSQL lost during a pipeline"
                              + (msg.empty() ? std::string{} : ": " + msg));
      }
      after_null = true;
      continue;
    }
    after_null = false;
    auto st = res.status();
    if (st == PGRES_PIPELINE_SYNC)
      break;
    if (st == PGRES_FATAL_ERROR && !first_error) {
      first_error = error_from(c, res.get());
      if (failed_at != nullptr)
        *failed_at = results.size();
    } else if (st == PGRES_PIPELINE_ABORTED && !first_error)
      first_error = make_error(ec::database_error, "pipeline aborted");
    results.push_back(std::move(res));
  }
  if (first_error)
    return first_error;
  return results;
}

array_literal& array_literal::add(std::string_view element) {
  if (text_.size() > 1)
    text_ += ',';
  text_ += '"';
  for (char c : element) {
    if (c == '"' || c == '\\')
      text_ += '\\';
    text_ += c;
  }
  text_ += '"';
  return *this;
}

array_literal& array_literal::add(int64_t element) {
  if (text_.size() > 1)
    text_ += ',';
  text_ += std::to_string(element);
  return *this;
}

array_literal& array_literal::add_null() {
  if (text_.size() > 1)
    text_ += ',';
  text_ += "NULL";
  return *this;
}

std::string array_literal::finish() {
  text_ += '}';
  std::string out;
  out.swap(text_);
  text_ = "{";
  return out;
}

} // namespace es::pg
