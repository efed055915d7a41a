#include "storage/replay.hpp"

#include "messages/error.hpp"
#include "storage/input.hpp"

namespace es::storage {

replay_verdict classify_replay(const stream_append& part,
                               const std::vector<stored_event>& stored) {
  replay_verdict out;
  size_t found = 0;
  for (auto& s : stored)
    found += s.found ? 1 : 0;
  if (found == 0 || stored.size() != part.events.size())
    return out;
  auto duplicate = [&](size_t i, const std::string& why) {
    out.what = replay_verdict::kind::duplicate;
    out.error =
        make_error(ec::duplicate_event,
                   "event " + to_string(part.events[i].id) + " (event " +
                       std::to_string(i) + " of the append to stream '" +
                       excerpt(part.stream) + "') " + why);
    return out;
  };
  int64_t first = stored[0].stream_version;
  for (size_t i = 0; i < stored.size(); ++i) {
    auto& s = stored[i];
    if (!s.found)
      return duplicate(0, "is already stored, but event " + std::to_string(i) +
                              " of the same append is" +
                              " not: the ids were reused");
    if (s.stream != part.stream)
      return duplicate(i, "is already stored in stream '" + excerpt(s.stream) +
                              "' at version " +
                              std::to_string(s.stream_version));
    if (!s.same_content)
      return duplicate(i, "is already stored at version " +
                              std::to_string(s.stream_version) +
                              " with different content");
    if (s.stream_version != first + static_cast<int64_t>(i))
      return duplicate(i, "is stored at version " +
                              std::to_string(s.stream_version) +
                              ", out of the order of this append");
  }
  using kind = expected_version::kind;
  auto& ex = part.expected;
  // no_stream also holds for a recreated stream, whose versions continue
  // right after its soft-deleted prefix.
  auto floor = stored[0].hidden_below;
  bool place_ok = (ex.mode != kind::exact || first == ex.value + 1) &&
                  (ex.mode != kind::no_stream || first == 1 ||
                   (floor > 0 && first == floor + 1));
  if (!place_ok)
    return duplicate(0, "is stored at version " + std::to_string(first) +
                            ", not where expected version " + to_string(ex) +
                            " puts it");
  out.what = replay_verdict::kind::replay;
  out.result.stream = part.stream;
  out.result.first_version = first;
  out.result.last_version = first + static_cast<int64_t>(stored.size()) - 1;
  out.result.replayed = true;
  for (auto& s : stored)
    out.result.positions.push_back(s.global_position);
  return out;
}

} // namespace es::storage
