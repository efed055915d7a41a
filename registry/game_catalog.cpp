#include "registry/game_catalog.hpp"

#include "registry/mode_plugins.hpp"

namespace es::registry {

namespace {

template<class... Ts>
void add_all(catalog& cat, game::type_list<Ts...>) {
  // The game's own modules cannot collide: a failure here is a programming
  // error caught by the catalog tests, not a runtime condition.
  (static_cast<void>(cat.add(typed_module<Ts>())), ...);
}

/// Copies the base fields (id, game, guild, mode, round, time) over.
template<class To, class From>
To with_base_of(const From& from) {
  To to;
  static_cast<game::event_base&>(to) =
      static_cast<const game::event_base&>(from);
  return to;
}

} // namespace

caf::expected<std::string> upcast_player_joined_v1(std::string_view data) {
  auto old = json::decode<game::v1::player_joined>(data);
  if (!old)
    return std::move(old.error());
  auto next = with_base_of<game::player_joined>(*old);
  next.player_id = old->player_id;
  next.display_name = old->player_id;
  next.team_id = old->team_id;
  return json::encode(next);
}

caf::expected<std::string> upcast_round_ended_v1(std::string_view data) {
  auto old = json::decode<game::v1::round_ended>(data);
  if (!old)
    return std::move(old.error());
  auto next = with_base_of<game::round_ended>(*old);
  bool solved = old->winner_id.has_value();
  next.reason = solved ? game::round_end_reason::solved
                       : game::round_end_reason::out_of_guesses;
  next.target_word = old->target_word;
  game::team_result whole_game;
  whole_game.team_id = old->game_id;
  whole_game.score = solved ? 1 : 0;
  whole_game.guesses = old->total_guesses;
  whole_game.solved = solved;
  next.results.push_back(whole_game);
  return json::encode(next);
}

catalog game_catalog() {
  catalog cat;
  add_all(cat, game::all_events{});
  static_cast<void>(
      cat.add(typed_module<game::v1::player_joined>(upcast_player_joined_v1)));
  static_cast<void>(
      cat.add(typed_module<game::v1::round_ended>(upcast_round_ended_v1)));
  for (auto& [mode, check] : builtin_mode_plugins())
    cat.add_mode_plugin(mode, check);
  return cat;
}

} // namespace es::registry
