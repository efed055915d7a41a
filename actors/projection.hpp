// The projection base: an actor that folds the events of a subscription
// into a read model, answers queries from it, keeps its checkpoint, and
// rebuilds it blue/green. A projection is a `projection_definition` (name,
// version, filter, where the model lives, how to make one); the bot's two
// are in actors/game_projections.hpp.
//
// Read models in memory (`storage_kind::memory`): the model is folded in
// the actor. Every `snapshot_every` events or `snapshot_interval`
// (whichever first; one write at a time) the model is stored as JSON with
// its position in es_projections. At start the projection restores the
// snapshot and subscribes after its position; without one it replays from
// the origin. Events after the last snapshot are folded in again after a
// crash, into the restored model: no event counts twice.
//
// Read models in PostgreSQL (`storage_kind::postgres`): `fold` turns a
// batch of events into rows to write; the projection commits them with the
// new position in ONE transaction that only succeeds if the stored position
// is the one it started from (storage::commit_projection). One commit is
// in flight per generation; events arriving meanwhile wait and go in the
// next one (a batch grows with the load), and each is acknowledged to the
// subscription after its commit. The subscription delivers at least once;
// an event at or below the stored position is acknowledged without being
// folded again: exactly-once effect. When another instance of the
// projection moved the position first, it reloads it, acknowledges what is
// stored and commits the rest on top. The subscription is not persistent:
// the checkpoint lives with the model, and the projection subscribes after
// it (`start_from::position`).
//
// Order and failures: events are folded in log order. Waiting events are
// kept by position, and a failure "for now" (the database, or any error
// but an unreadable event) keeps them waiting, in order, and retries after
// `delivery.retry_delay` instead of declining them (a declined event is
// retried by the subscription later, and later events would overtake it).
// An event that cannot be read (`decode_failed`, `invalid_event`,
// `unknown_type`) is declined: the subscription retries it and then parks
// it, while the events after it are folded.
//
// Rebuild, blue/green (`rebuild_atom`, or at start when the stored
// version differs from the definition's, or when a rebuild was interrupted
// in PostgreSQL): a second subscription replays the log from the origin
// into a new generation (a second model in memory; rows keyed by a new
// generation in PostgreSQL) while the active model keeps folding live
// events and answering queries. Once the new generation has reached the
// active one's position it replaces it: in PostgreSQL one transaction
// flips the active generation and drops the old rows. The status reports
// the progress (events done of the total the log held when it began,
// positions, rate). A memory model whose snapshot cannot be read starts
// empty from the origin.
//
// The subscriber protocol: events arrive one per `deliver` today; the core
// (`take`) handles a batch, so a batch protocol only rewires the handler.
//
// Supervision: spawned by the bot (`spawn_projection`), not by the node. It
// monitors the node and quits when the store stops (its subscriptions end
// with the node); whoever spawned it restarts it (with the store, or after
// a crash of the projection itself), and it resumes from what it stored.
// A crash loses only events not yet stored (folded again after restart).
#pragma once

#include "actors/delivery_window.hpp"
#include "config/defaults.hpp"
#include "messages/actors.hpp"
#include "storage/projection_store.hpp"

#include <caf/actor_system.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace es {

/// How a read model answers a query: at once from memory (`answer`), or
/// with a read on a pool connection (`read`; models in PostgreSQL).
struct query_plan {
  std::optional<std::string> answer;
  std::function<caf::expected<std::string>(storage::event_store&)> read;
};

/// What folding a batch did: the first `applied` events are in the model
/// (in memory) or in `rows` (to write, in PostgreSQL); `error` says why
/// the next one could not be folded (the projection declines it and every
/// later one of the batch).
struct fold_result {
  size_t applied = 0;
  caf::error error;
  storage::row_writer rows;
};

/// One generation of a projection's read model. Used by its projection
/// actor only (one thread at a time); must not block.
class read_model {
public:
  virtual ~read_model() = default;

  /// Folds `events` (in order, each above the generation's position).
  /// Models in PostgreSQL return rows and must not change themselves.
  virtual fold_result fold(const std::vector<recorded_event>& events) = 0;

  /// Answers a query; keys and answers (JSON) are the model's.
  virtual caf::expected<query_plan> query(const std::string& key) const = 0;

  /// In-memory models: the model as JSON, and back.
  virtual caf::expected<std::string> snapshot() const;
  virtual caf::error restore(std::string_view json);
};

/// An in-memory read model from a pure model class `Model` with
/// `caf::error apply(const recorded_event&)`, `caf::expected<std::string>
/// to_json() const`, `static caf::expected<Model> from_json(string_view)`
/// and `caf::expected<std::string> query(std::string_view) const`.
template<class Model>
class memory_model final : public read_model {
public:
  fold_result fold(const std::vector<recorded_event>& events) override {
    fold_result out;
    for (auto& ev : events) {
      if (auto err = model_.apply(ev)) {
        out.error = std::move(err);
        return out;
      }
      ++out.applied;
    }
    return out;
  }

  caf::expected<query_plan> query(const std::string& key) const override {
    auto answer = model_.query(key);
    if (!answer)
      return std::move(answer.error());
    query_plan plan;
    plan.answer = std::move(*answer);
    return plan;
  }

  caf::expected<std::string> snapshot() const override {
    return model_.to_json();
  }

  caf::error restore(std::string_view json) override {
    auto m = Model::from_json(json);
    if (!m)
      return std::move(m.error());
    model_ = std::move(*m);
    return {};
  }

  const Model& model() const noexcept { return model_; }

private:
  Model model_;
};

/// What a projection is.
struct projection_definition {
  enum class storage_kind : uint8_t { memory, postgres };

  /// Its name in es_projections (checked as a subscription name is).
  std::string name;
  /// The version of its code: a model built by another version is rebuilt.
  int32_t version = 1;
  /// The events it folds (a category such as "game", or the whole log).
  log_filter filter;
  storage_kind kind = storage_kind::memory;
  /// An empty model of a generation (PostgreSQL models write its rows).
  std::function<std::unique_ptr<read_model>(int64_t generation)> make;
  /// PostgreSQL models: drops every generation's rows but `keep`.
  storage::generation_cleaner clean;
  /// In-memory models: snapshot after this many events, or this long
  /// after the first event not in a snapshot.
  size_t snapshot_every = 1000;
  std::chrono::milliseconds snapshot_interval{2000};
  /// The subscriptions' settings: events in flight at the projection,
  /// catch-up page size, retries and parking of events it declines.
  size_t buffer_size = 64;
  size_t page_size = defaults::subscription_page_size;
  delivery_options delivery;
};

/// The answer owed for one delivered batch (actors/projection.cpp).
struct projection_ack;

/// One generation being fed: the active one or a rebuild's.
struct projection_feed {
  /// An event waiting for its commit, and who waits for its answer.
  struct waiting {
    recorded_event event;
    /// The answers it settles (one per delivery of it).
    std::vector<std::shared_ptr<projection_ack>> acks;
  };

  int64_t generation = 0;
  /// Every event up to here is in the model (committed, in PostgreSQL).
  int64_t position = 0;
  std::unique_ptr<read_model> model;
  /// PostgreSQL models: events waiting for the next commit, by position.
  std::map<int64_t, waiting> pending;
  bool writing = false;
  /// Folding or committing failed for now: waits for the retry timer.
  bool held = false;
  /// Positions declined before (at or below `position`): a redelivery of
  /// one is folded again, not taken for a duplicate.
  std::set<int64_t> declined;
  uint64_t applied = 0;
  /// In-memory models: events folded in since the last snapshot.
  uint64_t unsaved = 0;
};

struct projection_state {
  using clock = std::chrono::steady_clock;
  static inline const char* name = "projection";

  projection_definition def;
  node_actor node;
  projection_status status;
  projection_feed active;
  std::optional<projection_feed> building;
  /// The rebuild's subscriber (forwards to us); it ends the rebuild's
  /// subscription when it quits.
  caf::actor rebuild_feeder;
  clock::time_point rebuild_began;
  /// In-memory models: a snapshot write is in flight.
  bool saving = false;
  /// PostgreSQL models: the swap transaction is in flight, or it is due
  /// and waits for the commits in flight (no new one starts meanwhile).
  bool swapping = false;
  bool swap_due = false;
  /// A rebuild is being set up (its generation is being created).
  bool starting_rebuild = false;
  std::vector<caf::typed_response_promise<int64_t>> rebuild_waiters;
  uint64_t timer_generation = 0;
};

/// The projection's behavior (see the file comment).
projection_actor::behavior_type
projection(projection_actor::stateful_pointer<projection_state> self,
           node_actor node, projection_definition def);

/// Spawns a projection of `def` on the store whose node is `node`.
projection_actor spawn_projection(caf::actor_system& sys, node_actor node,
                                  projection_definition def);

} // namespace es
