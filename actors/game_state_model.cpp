#include "actors/game_state_model.hpp"

#include "actors/game_event_decoding.hpp"
#include "messages/game_events.hpp"

namespace es {

namespace g = game;
using detail::with_event;

caf::error game_state_model::apply(const recorded_event& ev) {
  // Every handled event: the game's entry, counted.
  auto game = [&](const g::event_base& base) -> game_state& {
    auto& st = games_[base.game_id];
    if (base.guild_id)
      st.guild_id = base.guild_id;
    ++st.events;
    st.stream_version = ev.stream_version;
    return st;
  };
  auto leave_team = [](game_state& st, const std::string& player) {
    for (auto& [id, team] : st.teams)
      team.members.erase(player);
  };
  const auto& t = ev.type;
  if (t == g::game_created::event_type)
    return with_event<g::game_created>(ev, [&](auto& x) {
      auto& st = game(x);
      st.mode = x.game_mode;
      st.phase = game_phase::created;
    });
  if (t == g::game_started::event_type)
    return with_event<g::game_started>(ev, [&](auto& x) {
      auto& st = game(x);
      st.phase = game_phase::started;
      for (auto& p : x.player_ids)
        if (st.players.count(p) == 0)
          st.players[p].display_name = p;
      for (auto& id : x.team_ids)
        st.teams[id];
    });
  if (t == g::game_mode_changed::event_type)
    return with_event<g::game_mode_changed>(
        ev, [&](auto& x) { game(x).mode = x.new_mode; });
  if (t == g::game_paused::event_type)
    return with_event<g::game_paused>(ev,
                                      [&](auto& x) { game(x).paused = true; });
  if (t == g::game_resumed::event_type)
    return with_event<g::game_resumed>(
        ev, [&](auto& x) { game(x).paused = false; });
  if (t == g::game_completed::event_type)
    return with_event<g::game_completed>(ev, [&](auto& x) {
      auto& st = game(x);
      st.phase = game_phase::completed;
      st.winner_team_id = x.winner_team_id;
      st.round_active = false;
      st.paused = false;
    });
  if (t == g::game_cancelled::event_type)
    return with_event<g::game_cancelled>(ev, [&](auto& x) {
      auto& st = game(x);
      st.phase = game_phase::cancelled;
      st.round_active = false;
      st.paused = false;
    });
  if (t == g::player_joined::event_type)
    return with_event<g::player_joined>(ev, [&](auto& x) {
      auto& st = game(x);
      auto& p = st.players[x.player_id];
      p.display_name = x.display_name;
      p.present = true;
      if (p.status != g::player_status::eliminated)
        p.status = g::player_status::active;
      if (x.team_id) {
        leave_team(st, x.player_id);
        p.team_id = x.team_id;
        st.teams[*x.team_id].members.insert(x.player_id);
      }
    });
  if (t == g::player_left::event_type)
    return with_event<g::player_left>(ev, [&](auto& x) {
      auto& st = game(x);
      auto& p = st.players[x.player_id];
      p.present = false;
      p.team_id.reset();
      leave_team(st, x.player_id);
    });
  if (t == g::player_status_changed::event_type)
    return with_event<g::player_status_changed>(ev, [&](auto& x) {
      game(x).players[x.player_id].status = x.status;
    });
  if (t == g::team_created::event_type)
    return with_event<g::team_created>(ev, [&](auto& x) {
      auto& st = game(x);
      for (auto& m : x.members)
        leave_team(st, m);
      auto& team = st.teams[x.team_id];
      team.name = x.name;
      team.members = {x.members.begin(), x.members.end()};
      for (auto& m : x.members)
        if (auto i = st.players.find(m); i != st.players.end())
          i->second.team_id = x.team_id;
    });
  if (t == g::team_member_added::event_type)
    return with_event<g::team_member_added>(ev, [&](auto& x) {
      auto& st = game(x);
      leave_team(st, x.player_id);
      st.teams[x.team_id].members.insert(x.player_id);
      if (auto i = st.players.find(x.player_id); i != st.players.end())
        i->second.team_id = x.team_id;
    });
  if (t == g::team_member_removed::event_type)
    return with_event<g::team_member_removed>(ev, [&](auto& x) {
      auto& st = game(x);
      st.teams[x.team_id].members.erase(x.player_id);
      if (auto i = st.players.find(x.player_id);
          i != st.players.end() && i->second.team_id == x.team_id)
        i->second.team_id.reset();
    });
  if (t == g::team_disbanded::event_type)
    return with_event<g::team_disbanded>(ev, [&](auto& x) {
      auto& st = game(x);
      for (auto& [id, p] : st.players)
        if (p.team_id == x.team_id)
          p.team_id.reset();
      st.teams.erase(x.team_id);
    });
  if (t == g::round_started::event_type)
    return with_event<g::round_started>(ev, [&](auto& x) {
      auto& st = game(x);
      st.round = x.round.value_or(st.round + 1);
      st.round_active = true;
    });
  if (t == g::round_ended::event_type)
    return with_event<g::round_ended>(ev, [&](auto& x) {
      auto& st = game(x);
      if (x.round)
        st.round = *x.round;
      st.round_active = false;
    });
  if (t == g::player_eliminated::event_type)
    return with_event<g::player_eliminated>(ev, [&](auto& x) {
      game(x).players[x.player_id].status = g::player_status::eliminated;
    });
  if (t == g::team_eliminated::event_type)
    return with_event<g::team_eliminated>(
        ev, [&](auto& x) { game(x).teams[x.team_id].eliminated = true; });
  if (t == g::game_error::event_type)
    return with_event<g::game_error>(ev, [&](auto& x) {
      auto& st = game(x);
      st.last_error = x.kind;
      st.last_error_context = x.context;
    });
  if (t == g::recovery_started::event_type)
    return with_event<g::recovery_started>(
        ev, [&](auto& x) { game(x).recovering = true; });
  if (t == g::recovery_completed::event_type)
    return with_event<g::recovery_completed>(ev, [&](auto& x) {
      auto& st = game(x);
      st.recovering = false;
      if (x.succeeded) {
        st.last_error.reset();
        st.last_error_context.reset();
      }
    });
  return {}; // Not a type that changes the live state.
}

const game_state* game_state_model::find(const uuid& game_id) const {
  auto i = games_.find(game_id);
  return i == games_.end() ? nullptr : &i->second;
}

caf::expected<std::string> game_state_model::to_json() const {
  return json::encode(*this);
}

caf::expected<game_state_model>
game_state_model::from_json(std::string_view text) {
  return json::decode<game_state_model>(text);
}

caf::expected<std::string>
game_state_model::query(std::string_view key) const {
  if (key.empty())
    return to_json();
  auto id = uuid::parse(key);
  if (!id)
    return make_error(ec::invalid_argument,
                      "game-state query: '" + std::string{key}
                          + "' is not a game id");
  auto* st = find(*id);
  if (st == nullptr)
    return make_error(ec::not_found,
                      "game-state query: no game " + std::string{key});
  return json::encode(*st);
}

} // namespace es
