#include "messages/game_events.hpp"

namespace es::game {

std::string stream_id(const uuid& game_id) {
  return "game-" + to_string(game_id);
}

} // namespace es::game
