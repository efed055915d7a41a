#include "storage/projection_store.hpp"

#include "messages/error.hpp"
#include "storage/input.hpp"
#include "storage/sql.hpp"

namespace es::storage {

namespace {

std::string quoted(std::string_view name) {
  return "projection '" + excerpt(name) + "'";
}

projection_record projection_from(const pg::result& res, int row) {
  projection_record out;
  out.name = res.string(row, 0);
  out.version = static_cast<int32_t>(res.int64(row, 1));
  out.generation = res.int64(row, 2);
  out.position = res.int64(row, 3);
  if (!res.is_null(row, 4))
    out.snapshot = res.string(row, 4);
  if (!res.is_null(row, 5))
    out.rebuild_generation = res.int64(row, 5);
  out.rebuild_version = static_cast<int32_t>(res.int64(row, 6));
  out.rebuild_position = res.int64(row, 7);
  out.updated_at = timestamp{std::chrono::microseconds{res.int64(row, 8)}};
  return out;
}

/// Runs `body` between BEGIN and COMMIT; rolls back when it fails.
template<class F>
auto in_transaction(event_store& store, F body) -> decltype(body()) {
  auto& conn = store.connection();
  if (auto res = conn.exec_sql(sql::begin); !res)
    return std::move(res.error());
  auto out = body();
  if (!out) {
    (void)conn.exec_sql(sql::rollback);
    return out;
  }
  if (auto res = conn.exec_sql(sql::commit); !res)
    return std::move(res.error());
  return out;
}

std::vector<leaderboard_entry> entries_from(const pg::result& res) {
  std::vector<leaderboard_entry> out;
  out.reserve(static_cast<size_t>(res.rows()));
  for (int row = 0; row < res.rows(); ++row) {
    leaderboard_entry e;
    e.guild_id = res.string(row, 0);
    e.player_id = res.string(row, 1);
    e.display_name = res.string(row, 2);
    e.games = res.int64(row, 3);
    e.guesses = res.int64(row, 4);
    e.correct = res.int64(row, 5);
    e.points = res.int64(row, 6);
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace

caf::expected<projection_record>
open_projection(event_store& store, std::string_view name, int32_t version) {
  if (auto err = check_subscription_name(name, store.options()))
    return err;
  // No row: another transaction created it after this statement's snapshot
  // was taken; the next statement sees it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto res = store.connection().exec(
        sql::open_projection,
        pg::params{}.add(name).add(static_cast<int64_t>(version)));
    if (!res)
      return std::move(res.error());
    if (res->rows() > 0)
      return projection_from(*res, 0);
  }
  return make_error(ec::database_error,
                    quoted(name) + " was neither created nor found");
}

caf::expected<int64_t> save_projection_snapshot(event_store& store,
                                                std::string_view name,
                                                int32_t version,
                                                int64_t position,
                                                std::string_view snapshot) {
  if (auto err = check_subscription_name(name, store.options()))
    return err;
  if (position < 0)
    return make_error(ec::invalid_argument,
                      quoted(name) + ": negative snapshot position");
  auto res = store.connection().exec(sql::save_projection_snapshot,
                                     pg::params{}
                                         .add(name)
                                         .add(static_cast<int64_t>(version))
                                         .add(position)
                                         .add(snapshot));
  if (!res)
    return std::move(res.error());
  if (res->rows() == 0) {
    auto now = open_projection(store, name, version);
    if (!now)
      return std::move(now.error());
    return make_error(ec::wrong_expected_version,
                      quoted(name) + ": snapshot at position "
                          + std::to_string(position)
                          + " is behind the stored position "
                          + std::to_string(now->position));
  }
  return res->int64(0, 0);
}

caf::error commit_projection(event_store& store, std::string_view name,
                             int64_t generation, int64_t expected,
                             int64_t next, const row_writer& rows) {
  if (auto err = check_subscription_name(name, store.options()))
    return err;
  if (next < expected)
    return make_error(ec::invalid_argument,
                      quoted(name) + ": position " + std::to_string(next)
                          + " is behind " + std::to_string(expected));
  auto res = in_transaction(store, [&]() -> caf::expected<bool> {
    auto moved = store.connection().exec(sql::advance_projection,
                                         pg::params{}
                                             .add(name)
                                             .add(generation)
                                             .add(expected)
                                             .add(next));
    if (!moved)
      return std::move(moved.error());
    if (moved->rows() == 0)
      return make_error(ec::wrong_expected_version,
                        quoted(name) + " generation "
                            + std::to_string(generation)
                            + " is not at position "
                            + std::to_string(expected));
    if (rows)
      if (auto err = rows(store))
        return err;
    return true;
  });
  if (!res)
    return std::move(res.error());
  return {};
}

caf::expected<int64_t>
begin_projection_rebuild(event_store& store, std::string_view name,
                         int32_t version, const generation_cleaner& clean) {
  if (auto err = check_subscription_name(name, store.options()))
    return err;
  return in_transaction(store, [&]() -> caf::expected<int64_t> {
    auto res = store.connection().exec(
        sql::begin_projection_rebuild,
        pg::params{}.add(name).add(static_cast<int64_t>(version)));
    if (!res)
      return std::move(res.error());
    if (res->rows() == 0)
      return make_error(ec::not_found, quoted(name) + " does not exist");
    auto next = res->int64(0, 0);
    if (clean)
      if (auto err = clean(store, res->int64(0, 1)))
        return err;
    return next;
  });
}

caf::expected<int64_t> swap_projection(event_store& store,
                                       std::string_view name,
                                       int64_t generation,
                                       const generation_cleaner& clean) {
  if (auto err = check_subscription_name(name, store.options()))
    return err;
  return in_transaction(store, [&]() -> caf::expected<int64_t> {
    auto res = store.connection().exec(sql::swap_projection,
                                       pg::params{}.add(name).add(generation));
    if (!res)
      return std::move(res.error());
    if (res->rows() == 0)
      return make_error(ec::not_found, quoted(name) + " is not rebuilding "
                                           "generation "
                                           + std::to_string(generation));
    if (clean)
      if (auto err = clean(store, generation))
        return err;
    return res->int64(0, 0);
  });
}

caf::error delete_projection(event_store& store, std::string_view name) {
  auto res = store.connection().exec(sql::delete_projection,
                                     pg::params{}.add(name));
  if (!res)
    return std::move(res.error());
  return {};
}

caf::expected<log_count> count_events(event_store& store,
                                      const log_filter& filter) {
  pg::params args;
  auto horizon = store.log_horizon();
  if (!horizon)
    return std::move(horizon.error());
  args.add(*horizon);
  if (filter.by == log_filter::kind::all)
    args.add_null();
  else if (filter.by == log_filter::kind::category && filter.values.size() == 1)
    args.add(filter.values[0]);
  else
    return make_error(ec::invalid_argument,
                      "only the whole log or one category can be counted");
  auto res = store.connection().exec(sql::count_log_events, args);
  if (!res)
    return std::move(res.error());
  return log_count{static_cast<uint64_t>(res->int64(0, 0)), res->int64(0, 1)};
}

caf::error add_to_leaderboard(event_store& store, std::string_view projection,
                              int64_t generation,
                              const std::vector<leaderboard_entry>& changes) {
  if (changes.empty())
    return {};
  pg::array_literal guilds, players, names, games, guesses, correct, points;
  for (auto& e : changes) {
    guilds.add(e.guild_id);
    players.add(e.player_id);
    names.add(e.display_name);
    games.add(e.games);
    guesses.add(e.guesses);
    correct.add(e.correct);
    points.add(e.points);
  }
  auto res = store.connection().exec(sql::upsert_leaderboard,
                                     pg::params{}
                                         .add(projection)
                                         .add(generation)
                                         .add(guilds.finish())
                                         .add(players.finish())
                                         .add(names.finish())
                                         .add(games.finish())
                                         .add(guesses.finish())
                                         .add(correct.finish())
                                         .add(points.finish()));
  if (!res)
    return std::move(res.error());
  return {};
}

caf::error drop_leaderboard_generations(event_store& store,
                                        std::string_view projection,
                                        int64_t keep) {
  auto res = store.connection().exec(sql::drop_leaderboard_generations,
                                     pg::params{}.add(projection).add(keep));
  if (!res)
    return std::move(res.error());
  return {};
}

caf::expected<std::vector<leaderboard_entry>>
leaderboard_top(event_store& store, std::string_view projection,
                std::string_view guild, size_t limit) {
  auto res = store.connection().exec(sql::leaderboard_top,
                                     pg::params{}.add(projection).add(guild).add(
                                         static_cast<int64_t>(limit)));
  if (!res)
    return std::move(res.error());
  return entries_from(*res);
}

caf::expected<std::optional<leaderboard_entry>>
leaderboard_find(event_store& store, std::string_view projection,
                 std::string_view guild, std::string_view player) {
  auto res = store.connection().exec(
      sql::leaderboard_entry,
      pg::params{}.add(projection).add(guild).add(player));
  if (!res)
    return std::move(res.error());
  auto rows = entries_from(*res);
  if (rows.empty())
    return std::optional<leaderboard_entry>{};
  return std::optional<leaderboard_entry>{std::move(rows[0])};
}

caf::expected<std::vector<leaderboard_entry>>
leaderboard_all(event_store& store, std::string_view projection) {
  auto res = store.connection().exec(sql::leaderboard_all,
                                     pg::params{}.add(projection));
  if (!res)
    return std::move(res.error());
  return entries_from(*res);
}

} // namespace es::storage
