#include "registry/catalog.hpp"

#include "messages/error.hpp"

namespace es::registry {

caf::error catalog::unknown(std::string_view type, int32_t version) {
  return make_error(ec::unknown_type, "event type " +
                                          describe_event(type, version) +
                                          " is not registered");
}

caf::error catalog::stale(std::string_view type, int32_t version,
                          int32_t latest) {
  return make_error(ec::invalid_event,
                    describe_event(type, version) +
                        " is not the latest version (" +
                        std::to_string(latest) +
                        "); old versions are read and upcast, never written");
}

std::string catalog::describe_event(std::string_view type, int32_t version) {
  return std::string{type} + " v" + std::to_string(version);
}

caf::error catalog::add(event_module module) {
  if (module.type.empty())
    return make_error(ec::invalid_argument, "event module without a type");
  if (module.version < 1)
    return make_error(ec::invalid_argument,
                      describe_event(module.type, module.version) +
                          ": versions start at 1");
  if (!module.check)
    return make_error(ec::invalid_argument,
                      describe_event(module.type, module.version) +
                          ": module without a check");
  auto& versions = types_[module.type];
  if (versions.count(module.version) != 0)
    return make_error(ec::invalid_argument,
                      describe_event(module.type, module.version) +
                          " is already registered");
  auto version = module.version;
  auto previous = versions.find(version - 1);
  if (previous != versions.end() && !previous->second.upcast) {
    if (!module.upcast_previous)
      return make_error(ec::invalid_argument,
                        describe_event(module.type, version) + ": " +
                            describe_event(module.type, version - 1) +
                            " has no upcaster; give this module an "
                            "upcast_previous");
    // This catalog is a private copy until published: completing the
    // predecessor here never changes a snapshot someone holds.
    previous->second.upcast = module.upcast_previous;
  }
  versions.emplace(version, std::move(module));
  ++size_;
  return {};
}

void catalog::add_mode_plugin(game::mode mode, mode_check check) {
  plugins_[mode].push_back(std::move(check));
}

const event_module* catalog::find(std::string_view type,
                                  int32_t version) const {
  auto i = types_.find(type);
  if (i == types_.end())
    return nullptr;
  auto j = i->second.find(version);
  return j == i->second.end() ? nullptr : &j->second;
}

int32_t catalog::latest_version(std::string_view type) const {
  auto i = types_.find(type);
  return i == types_.end() || i->second.empty() ? 0 : i->second.rbegin()->first;
}

std::vector<std::pair<std::string, int32_t>> catalog::list() const {
  std::vector<std::pair<std::string, int32_t>> out;
  out.reserve(size_);
  for (auto& [type, versions] : types_)
    for (auto& entry : versions)
      out.emplace_back(type, entry.first);
  return out;
}

void catalog::check_mode(const game::event_base& base, const event_view& view,
                         const validation_context& ctx, violations& out) const {
  auto i = plugins_.find(base.game_mode);
  if (i == plugins_.end())
    return;
  for (auto& check : i->second)
    check(base, view, ctx, out);
}

caf::error catalog::validate(std::string_view type, int32_t version,
                             std::string_view data,
                             const validation_context& ctx) const {
  auto* module = find(type, version);
  if (module == nullptr)
    return unknown(type, version);
  violations out;
  module->check(data, *this, ctx, out);
  return out.to_error(describe_event(type, version));
}

caf::expected<upcast_status> catalog::upcast(recorded_event& ev) const {
  auto latest = latest_version(ev.type);
  if (latest == 0 || ev.version > latest ||
      find(ev.type, ev.version) == nullptr)
    return upcast_status::unknown;
  if (ev.version == latest)
    return upcast_status::current;
  std::string data = ev.data;
  for (auto v = ev.version; v < latest; ++v) {
    auto* module = find(ev.type, v);
    if (module == nullptr || !module->upcast)
      return make_error(ec::unknown_type,
                        "no upcaster from " + describe_event(ev.type, v) +
                            " to v" + std::to_string(v + 1) +
                            " (event at position " +
                            std::to_string(ev.global_position) + ")");
    auto next = module->upcast(data);
    if (!next)
      return make_error(ec::decode_failed,
                        "upcasting " + describe_event(ev.type, v) + " to v" +
                            std::to_string(v + 1) + " (event at position " +
                            std::to_string(ev.global_position) +
                            "): " + describe(next.error()));
    data = std::move(*next);
  }
  ev.data = std::move(data);
  ev.version = latest;
  return upcast_status::upcast;
}

caf::error validate_append(const catalog& cat, const stream_append& part,
                           const validation_context& ctx) {
  for (size_t i = 0; i < part.events.size(); ++i) {
    auto& ev = part.events[i];
    if (auto err = cat.validate(ev.type, ev.version, ev.data, ctx)) {
      auto code = static_cast<ec>(err.code());
      return make_error(code, "stream '" + part.stream.substr(0, 64) +
                                  "', event " + std::to_string(i) + " (" +
                                  to_string(ev.id) + "): " + describe(err));
    }
  }
  return {};
}

caf::error validate_append(const catalog& cat,
                           const std::vector<stream_append>& parts,
                           const validation_context& ctx) {
  for (auto& part : parts)
    if (auto err = validate_append(cat, part, ctx))
      return err;
  return {};
}

} // namespace es::registry
