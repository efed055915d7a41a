// The event store as the bot's code sees it: `es::start` spawns the node
// (and, without a DSN, an embedded PostgreSQL cluster), and `store` offers
// append / read as blocking calls for code that is not an actor.
//
// Inside an actor, send the same typed requests to `store::node()` instead
// (node_actor in messages/actors.hpp), with a timeout, and never block:
//
//   self->request(store.node(), 5s, append_atom_v, cmd).then(...);
//
// Every call returns a value or an `es::ec` error naming the problem; none
// throws. A blocking call waits at most `node_options::request_timeout`
// (or the append's own timeout) plus a small margin, then fails with
// `ec::timeout`.
//
// Lifetime: `store` is movable, not copyable. Its destructor (or `stop()`)
// shuts the node down in order, flushing appends already queued, waits for
// it, and then stops the embedded cluster if `start` started one. The actor
// system must outlive the store.
#pragma once

#include "config/node_options.hpp"
#include "messages/actors.hpp"
#include "registry/catalog.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace es {

namespace storage {
class embedded_cluster;
}

/// Per-call options of an append.
struct append_options {
  durability mode = durability::full;
  /// How long to wait; zero means `node_options::request_timeout`.
  std::chrono::milliseconds timeout{0};
};

class store {
public:
  store(store&&) noexcept;
  store& operator=(store&&) noexcept;
  ~store();

  /// Appends `events` to `stream` if its version matches `expected`;
  /// returns where they landed, after COMMIT.
  caf::expected<append_result> append(std::string stream,
                                      expected_version expected,
                                      std::vector<event_data> events,
                                      append_options opts = {});

  /// Encodes typed events through the current catalog snapshot (validated,
  /// latest version only) and appends them.
  template<class... Ts>
  caf::expected<append_result>
  append_typed(std::string stream, expected_version expected,
               const event_metadata& meta, const Ts&... events) {
    auto cat = catalog();
    std::vector<event_data> encoded;
    caf::error err;
    auto one = [&](const auto& ev) {
      if (err)
        return;
      if (auto data = cat->encode(ev, meta))
        encoded.push_back(std::move(*data));
      else
        err = std::move(data.error());
    };
    (one(events), ...);
    if (err)
      return err;
    return append(std::move(stream), expected, std::move(encoded));
  }

  /// A page of `stream` from version `from` (upcast to latest versions).
  caf::expected<event_page> read_stream(std::string stream, int64_t from,
                                        size_t count,
                                        direction dir = direction::forward);

  /// A page of the global log from position `from`, filtered.
  caf::expected<event_page> read_all(int64_t from, size_t count,
                                     direction dir = direction::forward,
                                     log_filter filter = {});

  /// What the store knows about `stream`.
  caf::expected<stream_info> info(std::string stream);

  /// The state of every component.
  caf::expected<node_status> status();

  /// Registers event modules (all or none) at runtime.
  caf::expected<uint64_t> register_modules(module_set set);

  /// Starts a subscription (actors/subscription.hpp); it runs until its
  /// subscriber dies (without `respawn`) or the store stops.
  caf::expected<subscription_actor> subscribe(subscription_spec spec);

  /// What `sub` reports.
  caf::expected<subscription_status> status_of(const subscription_actor& sub);

  /// Delivers the parked events of `sub` again (actors/subscription.hpp);
  /// returns how many were handled and left the parked list.
  caf::expected<uint64_t> replay_parked(const subscription_actor& sub);

  /// The current catalog snapshot (no message round trip).
  registry::catalog_ptr catalog() const;

  /// The node, for requests from inside actors.
  const node_actor& node() const noexcept { return node_; }

  /// The DSN the pool connects to (the embedded cluster's when no DSN was
  /// given), without its password.
  const std::string& dsn() const noexcept { return dsn_; }

  /// Shuts the node down in order and waits for it (see the file comment).
  /// Idempotent.
  void stop();

private:
  friend caf::expected<store> start(caf::actor_system& sys, node_options opts,
                                    registry::catalog_ptr initial);
  store() = default;

  template<class T, class... Args>
  caf::expected<T> ask(std::chrono::milliseconds timeout, Args&&... args);

  caf::actor_system* sys_ = nullptr;
  node_actor node_;
  std::shared_ptr<registry::catalog_source> catalog_;
  std::unique_ptr<storage::embedded_cluster> cluster_;
  std::string dsn_;
  std::chrono::milliseconds request_timeout_{};
};

/// Validates `opts`, starts an embedded cluster when `opts.dsn` is empty,
/// migrates the schema, and spawns the node with `initial` as the catalog
/// (the game's catalog when null). Fails with the error that stopped it.
caf::expected<store> start(caf::actor_system& sys, node_options opts,
                           registry::catalog_ptr initial = nullptr);

} // namespace es
