// The one place where PostgreSQL's SQLSTATEs become `es::ec` errors.
#include "messages/error.hpp"
#include "storage/pg.hpp"
#include "storage/sql.hpp"

#include <cstring>

namespace es::pg {

namespace {

std::string trimmed(const char* msg) {
  std::string out = msg != nullptr ? msg : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

bool starts_with(const char* str, const char* prefix) {
  return std::strncmp(str, prefix, std::strlen(prefix)) == 0;
}

} // namespace

caf::error error_from(PGconn* conn, const PGresult* res) {
  const char* state =
      res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr) {
    // No SQLSTATE: libpq itself failed, almost always a lost connection.
    auto msg = trimmed(res != nullptr ? PQresultErrorMessage(res)
                                      : PQerrorMessage(conn));
    if (msg.empty())
      msg = trimmed(PQerrorMessage(conn));
    return make_error(ec::unavailable, "connection to PostgreSQL lost: " + msg);
  }
  auto primary = trimmed(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
  auto detail = trimmed(PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
  const char* constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
  auto with_detail = [&] {
    return detail.empty() ? primary : primary + " (" + detail + ")";
  };
  // Our own SQLSTATEs, raised by the schema's functions (storage/sql.cpp).
  if (std::strcmp(state, sql::sqlstate_wrong_version) == 0)
    return make_error(ec::wrong_expected_version, primary);
  if (std::strcmp(state, sql::sqlstate_stream_deleted) == 0)
    return make_error(ec::stream_deleted, primary);
  if (std::strcmp(state, sql::sqlstate_immutable) == 0)
    return make_error(ec::invalid_argument, primary);
  if (std::strcmp(state, "23505") == 0 && constraint != nullptr) {
    if (std::strcmp(constraint, sql::constraint_event_id) == 0)
      return make_error(ec::duplicate_event, with_detail());
    if (std::strcmp(constraint, sql::constraint_stream_version) == 0)
      return make_error(ec::wrong_expected_version,
                        "a concurrent append took the version: " +
                            with_detail());
  }
  if (std::strcmp(state, "23503") == 0 && constraint != nullptr &&
      std::strcmp(constraint, sql::constraint_parked_subscription) == 0)
    return make_error(ec::not_found,
                      "the subscription was deleted meanwhile: " +
                          with_detail());
  // Payloads PostgreSQL refuses: bad JSON, \u0000, bad encoding.
  if (std::strcmp(state, "22P02") == 0 || std::strcmp(state, "22P05") == 0 ||
      std::strcmp(state, "22021") == 0)
    return make_error(ec::invalid_event,
                      "PostgreSQL rejected the payload: " + with_detail());
  if (std::strcmp(state, "54000") == 0 || std::strcmp(state, "22001") == 0)
    return make_error(ec::invalid_argument, with_detail());
  if (std::strcmp(state, "57014") == 0)
    return make_error(ec::timeout, with_detail());
  // Connection exceptions, shutdown, too many connections, out of
  // resources, and transaction rollbacks (serialization, deadlock) are all
  // worth retrying later.
  if (starts_with(state, "08") || starts_with(state, "57P") ||
      starts_with(state, "53") || starts_with(state, "40"))
    return make_error(ec::unavailable,
                      std::string{state} + ": " + with_detail());
  return make_error(ec::database_error,
                    std::string{"SQLSTATE "} + state + ": " + with_detail());
}

} // namespace es::pg
