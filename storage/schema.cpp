#include "storage/schema.hpp"

#include "messages/error.hpp"
#include "storage/sql.hpp"

#include <spdlog/spdlog.h>

#include <set>

namespace es::storage {

namespace {

caf::error as_migration_error(const caf::error& err, const std::string& what) {
  return make_error(ec::migration_failed, what + ": " + describe(err));
}

} // namespace

caf::expected<int> migrate(pg::connection& conn) {
  auto key = pg::params{}.add(sql::migration_lock_key);
  if (auto res = conn.exec(sql::lock_migrations, key); !res)
    return as_migration_error(res.error(), "taking the migration lock");
  // The session lock must be released on every path out of here.
  struct unlock_guard {
    pg::connection& conn;
    pg::params key;
    ~unlock_guard() { (void)conn.exec(sql::unlock_migrations, key); }
  } guard{conn, key};
  if (auto res = conn.exec_sql(sql::create_migrations_table); !res)
    return as_migration_error(res.error(), "creating es_migrations");
  auto applied_rows = conn.exec(sql::applied_migrations);
  if (!applied_rows)
    return as_migration_error(applied_rows.error(), "reading es_migrations");
  std::set<int64_t> applied;
  for (int i = 0; i < applied_rows->rows(); ++i)
    applied.insert(applied_rows->int64(i, 0));
  int count = 0;
  for (auto& m : sql::migrations()) {
    if (applied.count(m.version) != 0)
      continue;
    auto what = "migration " + std::to_string(m.version) + " (" + m.name + ")";
    if (auto res = conn.exec_sql(sql::begin); !res)
      return as_migration_error(res.error(), what);
    auto run = conn.exec_sql(m.sql);
    if (run)
      run = conn.exec(sql::record_migration,
                      pg::params{}.add(int64_t{m.version}).add(m.name));
    if (run)
      run = conn.exec_sql(sql::commit);
    if (!run) {
      (void)conn.exec_sql(sql::rollback);
      return as_migration_error(run.error(), what);
    }
    spdlog::info("applied schema {}", what);
    ++count;
  }
  return count;
}

} // namespace es::storage
