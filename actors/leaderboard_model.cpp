#include "actors/leaderboard_model.hpp"

#include "actors/game_event_decoding.hpp"
#include "messages/game_events.hpp"

#include <algorithm>

namespace es {

namespace g = game;
using detail::with_event;

leaderboard_entry& leaderboard_model::row(const std::string& guild,
                                          const std::string& player) {
  auto& e = rows_[{guild, player}];
  e.guild_id = guild;
  e.player_id = player;
  return e;
}

caf::error leaderboard_model::apply(const recorded_event& ev) {
  const auto& t = ev.type;
  if (t == g::player_joined::event_type)
    return with_event<g::player_joined>(ev, [&](auto& x) {
      if (!x.guild_id)
        return;
      auto& e = row(*x.guild_id, x.player_id);
      if (!x.display_name.empty())
        e.display_name = x.display_name;
      if (!x.rejoin)
        ++e.games;
    });
  if (t == g::guess_processed::event_type)
    return with_event<g::guess_processed>(ev, [&](auto& x) {
      if (!x.guild_id)
        return;
      auto& e = row(*x.guild_id, x.player_id);
      ++e.guesses;
      e.correct += x.correct ? 1 : 0;
      e.points += x.points;
    });
  if (t == g::pair_guess_result::event_type)
    return with_event<g::pair_guess_result>(ev, [&](auto& x) {
      if (!x.guild_id)
        return;
      auto& e = row(*x.guild_id, x.player_id);
      ++e.guesses;
      e.correct += x.correct ? 1 : 0;
    });
  if (t == g::race_match_counted::event_type)
    return with_event<g::race_match_counted>(ev, [&](auto& x) {
      if (!x.guild_id)
        return;
      auto& e = row(*x.guild_id, x.player_id);
      ++e.guesses;
      ++e.correct;
    });
  return {};
}

std::vector<leaderboard_entry> leaderboard_model::entries() const {
  std::vector<leaderboard_entry> out;
  out.reserve(rows_.size());
  for (auto& [key, e] : rows_)
    out.push_back(e);
  return out;
}

void rank(std::vector<leaderboard_entry>& rows) {
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) {
    if (x.points != y.points)
      return x.points > y.points;
    if (x.correct != y.correct)
      return x.correct > y.correct;
    return x.player_id < y.player_id;
  });
}

std::vector<leaderboard_entry>
leaderboard_model::top(const std::string& guild, size_t n) const {
  std::vector<leaderboard_entry> out;
  for (auto& [key, e] : rows_)
    if (key.first == guild)
      out.push_back(e);
  rank(out);
  if (out.size() > n)
    out.resize(n);
  return out;
}

std::optional<leaderboard_entry>
leaderboard_model::find(const std::string& guild,
                        const std::string& player) const {
  auto i = rows_.find({guild, player});
  if (i == rows_.end())
    return std::nullopt;
  return i->second;
}

} // namespace es
