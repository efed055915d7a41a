#include "actors/game_projections.hpp"

#include "messages/error.hpp"
#include "messages/json.hpp"
#include "storage/projection_store.hpp"

namespace es {

namespace {

/// The leaderboard in PostgreSQL: a batch folds into the change to add to
/// the rows of its generation (every count is a sum).
class leaderboard_rows final : public read_model {
public:
  leaderboard_rows(std::string name, int64_t generation)
      : name_(std::move(name)), generation_(generation) {}

  fold_result fold(const std::vector<recorded_event>& events) override {
    fold_result out;
    leaderboard_model change;
    for (auto& ev : events) {
      if (auto err = change.apply(ev)) {
        out.error = std::move(err);
        break;
      }
      ++out.applied;
    }
    auto rows = change.entries();
    auto name = name_;
    auto generation = generation_;
    out.rows = [name, generation,
                rows = std::move(rows)](storage::event_store& store) {
      return storage::add_to_leaderboard(store, name, generation, rows);
    };
    return out;
  }

  caf::expected<query_plan> query(const std::string& key) const override {
    query_plan plan;
    auto name = name_;
    if (key == leaderboard_all_key) {
      plan.read = [name](storage::event_store& store)
          -> caf::expected<std::string> {
        auto rows = storage::leaderboard_all(store, name);
        if (!rows)
          return std::move(rows.error());
        return json::encode(*rows);
      };
      return plan;
    }
    // "top <n> <guild>" or "player <guild> <player>".
    auto first = key.find(' ');
    auto second = first == std::string::npos ? first : key.find(' ', first + 1);
    if (second == std::string::npos)
      return make_error(ec::invalid_argument,
                        "leaderboard query: '" + key + "' is not a query");
    auto verb = key.substr(0, first);
    auto a = key.substr(first + 1, second - first - 1);
    auto b = key.substr(second + 1);
    if (verb == "top") {
      size_t n = 0;
      try {
        n = std::stoul(a);
      } catch (const std::exception&) {
        return make_error(ec::invalid_argument,
                          "leaderboard query: bad count in '" + key + "'");
      }
      plan.read = [name, n, guild = b](storage::event_store& store)
          -> caf::expected<std::string> {
        auto rows = storage::leaderboard_top(store, name, guild, n);
        if (!rows)
          return std::move(rows.error());
        return json::encode(*rows);
      };
      return plan;
    }
    if (verb == "player") {
      plan.read = [name, guild = a, player = b](storage::event_store& store)
          -> caf::expected<std::string> {
        auto row = storage::leaderboard_find(store, name, guild, player);
        if (!row)
          return std::move(row.error());
        if (!*row)
          return make_error(ec::not_found, "leaderboard: player " + player
                                               + " has no entry in guild "
                                               + guild);
        return json::encode(**row);
      };
      return plan;
    }
    return make_error(ec::invalid_argument,
                      "leaderboard query: '" + key + "' is not a query");
  }

private:
  std::string name_;
  int64_t generation_;
};

} // namespace

projection_definition game_state_projection(std::string name, int32_t version,
                                            std::string category) {
  projection_definition def;
  def.name = std::move(name);
  def.version = version;
  def.filter = log_filter::category(std::move(category));
  def.kind = projection_definition::storage_kind::memory;
  def.make = [](int64_t) {
    return std::make_unique<memory_model<game_state_model>>();
  };
  return def;
}

projection_definition leaderboard_projection(std::string name,
                                             int32_t version,
                                             std::string category) {
  projection_definition def;
  def.name = std::move(name);
  def.version = version;
  def.filter = log_filter::category(std::move(category));
  def.kind = projection_definition::storage_kind::postgres;
  auto n = def.name;
  def.make = [n](int64_t generation) {
    return std::make_unique<leaderboard_rows>(n, generation);
  };
  def.clean = [n](storage::event_store& store, int64_t keep) {
    return storage::drop_leaderboard_generations(store, n, keep);
  };
  return def;
}

std::string leaderboard_top_key(const std::string& guild, size_t n) {
  return "top " + std::to_string(n) + " " + guild;
}

std::string leaderboard_player_key(const std::string& guild,
                                   const std::string& player) {
  return "player " + guild + " " + player;
}

} // namespace es
