// The event-type catalog: every (type, version) the store knows, how to
// validate it, and how to upcast it to the next version.
//
// A `catalog` is a plain value. It is built once at start (game_catalog.hpp
// registers the game's events), then only ever copied and extended: the
// registry actor (actors/registry.hpp) owns every change and publishes each
// new catalog as an immutable `catalog_ptr` through a `catalog_source`, from
// which the hot path (stream actors) reads without a message round trip.
// A published catalog never changes, so a reader's snapshot stays
// consistent however long it holds it.
//
// Validation of a typed event runs three layers: the base validator (ids,
// times, round), the event's own validator (found by ADL: `validate(const T&,
// const validation_context&, violations&)`), and the plugins registered for
// the event's game mode. Every violation is reported, with its field path.
//
// Upcasting: reading a stored event of version v when the latest is w > v
// runs the chain v -> v+1 -> ... -> w; a missing link is an error naming it.
// An event of a type (or a version) the catalog does not know stays readable
// as raw JSON and is flagged `unknown`.
#pragma once

#include "messages/error.hpp"
#include "messages/event.hpp"
#include "messages/game_events.hpp"
#include "messages/json.hpp"
#include "messages/metadata.hpp"
#include "registry/game_validators.hpp"
#include "registry/mode_plugins.hpp"
#include "registry/validation.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace es::registry {

class catalog;

namespace detail {

/// Runs the base and the event-specific validator of `ev`. Outside the
/// class: inside it, the member `validate` would hide these overloads.
template<class T>
void validate_event(const T& ev, const validation_context& ctx,
                    violations& out) {
  validate_base(ev, ctx, out);
  validate(ev, ctx, out);
}

} // namespace detail

/// One (type, version) of an event.
struct event_module {
  std::string type;
  int32_t version = 1;
  /// Decodes `data` as this event and appends every violation (decoding
  /// errors included) to `out`. `cat` supplies the mode plugins.
  std::function<void(std::string_view data, const catalog& cat,
                     const validation_context& ctx, violations& out)>
      check;
  /// Rewrites the JSON of this version as the JSON of version + 1. Needed
  /// on every version but the latest of its type.
  std::function<caf::expected<std::string>(std::string_view data)> upcast;
  /// Rewrites the JSON of version - 1 as the JSON of this version: how a
  /// new version registered at runtime supplies the upcaster its
  /// predecessor (registered earlier, as the latest) could not have had.
  std::function<caf::expected<std::string>(std::string_view data)>
      upcast_previous;
};

/// What `catalog::upcast` did to an event.
enum class upcast_status {
  current, ///< already the latest version
  upcast,  ///< rewritten to the latest version
  unknown, ///< type or version unknown: left as stored (raw JSON)
};

class catalog {
public:
  /// Adds `module`. Registering a (type, version) twice is
  /// `ec::invalid_argument`, never a silent overwrite; so is a module
  /// without a `check`, and a version N whose predecessor N-1 is registered
  /// without an upcaster when the module brings none (`upcast_previous`):
  /// stored N-1 events would become unreadable.
  caf::error add(event_module module);

  /// Adds a check for every event of `mode`.
  void add_mode_plugin(game::mode mode, mode_check check);

  /// The module of exactly (type, version), or null.
  const event_module* find(std::string_view type, int32_t version) const;

  /// The latest version of `type`, or 0 when the type is unknown.
  int32_t latest_version(std::string_view type) const;

  /// Every registered (type, version), sorted.
  std::vector<std::pair<std::string, int32_t>> list() const;

  /// Number of registered (type, version) pairs.
  size_t size() const noexcept { return size_; }

  /// Runs the plugins of `base.game_mode` on `view`.
  void check_mode(const game::event_base& base, const event_view& view,
                  const validation_context& ctx, violations& out) const;

  /// Validates a typed event: its (type, version) must be registered, and
  /// the base, event and mode validators must find nothing.
  template<class T>
  caf::error validate(const T& ev, const validation_context& ctx = {}) const {
    if (find(T::event_type, T::event_version) == nullptr)
      return unknown(T::event_type, T::event_version);
    violations out;
    check_typed(ev, *this, ctx, out);
    return out.to_error(describe_event(T::event_type, T::event_version));
  }

  /// Validates an encoded event (appends of raw JSON, stored events).
  /// `ec::unknown_type` when (type, version) is not registered.
  caf::error validate(std::string_view type, int32_t version,
                      std::string_view data,
                      const validation_context& ctx = {}) const;

  /// Validates `ev` and turns it into what the storage layer appends. The
  /// event must be of the latest registered version of its type: old
  /// shapes are read, never written.
  template<class T>
  caf::expected<event_data> encode(const T& ev, const event_metadata& meta,
                                   const validation_context& ctx = {}) const {
    if (auto latest = latest_version(T::event_type);
        latest != T::event_version && latest != 0)
      return stale(T::event_type, T::event_version, latest);
    if (auto err = validate(ev, ctx))
      return err;
    event_data out;
    out.id = ev.event_id;
    out.type = T::event_type;
    out.version = T::event_version;
    out.created_at = ev.at;
    auto data = json::encode(ev);
    if (!data)
      return std::move(data.error());
    auto metadata = json::encode(meta);
    if (!metadata)
      return std::move(metadata.error());
    out.data = std::move(*data);
    out.metadata = std::move(*metadata);
    return out;
  }

  /// Brings `ev` to the latest version of its type (data and version).
  /// Errors: a missing link in the chain, or an upcaster that fails; `ev`
  /// is then unchanged.
  caf::expected<upcast_status> upcast(recorded_event& ev) const;

  /// The checks of a typed event, for modules built by `typed_module`.
  template<class T>
  static void check_typed(const T& ev, const catalog& cat,
                          const validation_context& ctx, violations& out) {
    detail::validate_event(ev, ctx, out);
    cat.check_mode(ev, event_view::of(ev), ctx, out);
  }

private:
  static caf::error unknown(std::string_view type, int32_t version);
  static caf::error stale(std::string_view type, int32_t version,
                          int32_t latest);
  static std::string describe_event(std::string_view type, int32_t version);

  /// type -> version -> module; std::less<> finds a type by string_view.
  std::map<std::string, std::map<int32_t, event_module>, std::less<>> types_;
  size_t size_ = 0;
  std::map<game::mode, std::vector<mode_check>> plugins_;
};

/// A module for the C++ event type `T` (with `T::event_type`,
/// `T::event_version`, `fields` and a `validate` overload), upcasting with
/// `upcast` when given.
template<class T>
event_module typed_module(
    std::function<caf::expected<std::string>(std::string_view)> upcast = {}) {
  event_module m;
  m.type = T::event_type;
  m.version = T::event_version;
  m.check = [](std::string_view data, const catalog& cat,
               const validation_context& ctx, violations& out) {
    auto ev = json::decode<T>(data);
    if (!ev) {
      out.add("", describe(ev.error()));
      return;
    }
    catalog::check_typed(*ev, cat, ctx, out);
  };
  m.upcast = std::move(upcast);
  return m;
}

/// Validates every event of an append against `cat` before it goes to the
/// database: each (type, version) must be registered and its data valid.
/// The error names the stream and the event's index and id.
caf::error validate_append(const catalog& cat,
                           const std::vector<stream_append>& parts,
                           const validation_context& ctx = {});

/// As above, for one stream's part.
caf::error validate_append(const catalog& cat, const stream_append& part,
                           const validation_context& ctx = {});

/// An immutable catalog, shared by everyone who reads it.
using catalog_ptr = std::shared_ptr<const catalog>;

/// Where readers find the current catalog. The registry actor is the only
/// writer; `current` never waits for the writer beyond an atomic load (a
/// short internal lock in libstdc++) and returns a snapshot that stays
/// valid and unchanged while held.
class catalog_source {
public:
  explicit catalog_source(catalog_ptr initial) : current_(std::move(initial)) {}

  catalog_ptr current() const { return std::atomic_load(&current_); }

  /// Replaces the current catalog (registry actor only).
  void publish(catalog_ptr next) {
    std::atomic_store(&current_, std::move(next));
  }

private:
  catalog_ptr current_;
};

} // namespace es::registry
