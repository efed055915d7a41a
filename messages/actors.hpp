// Every typed actor interface of the event store: the map of the system.
//
// One `///` line per interface says what the actor is; one `//` line per
// handler says what it does. Supervision and failure behaviour are in each
// actor's header under actors/.
#pragma once

#include "messages/atoms.hpp"
#include "messages/event.hpp"
#include "messages/metrics.hpp"
#include "messages/projection.hpp"
#include "registry/catalog.hpp"
#include "actors/delivery_window.hpp"
#include "storage/breaker.hpp"

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/result.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_behavior.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace es::storage {
class event_store;
} // namespace es::storage

namespace es {

/// Modules to register together: all of them or none.
struct module_set {
  std::vector<registry::event_module> modules;
};

/// A mode plugin to register.
struct mode_plugin {
  game::mode mode = game::mode::standard;
  registry::mode_check check;
};

/// The registry: owns the event-type catalog and every change to it, and
/// publishes each new version as an immutable snapshot (actors/registry.hpp).
using registry_actor = caf::typed_actor<
    // Registers modules, all or none; replies with the catalog's new size.
    caf::replies_to<register_atom, module_set>::with<uint64_t>,
    // Registers a check for every event of one game mode.
    caf::replies_to<register_atom, mode_plugin>::with<uint64_t>,
    // Returns the current catalog snapshot.
    caf::replies_to<catalog_atom>::with<registry::catalog_ptr>>;


// -- The write path -----------------------------------------------------------

/// How durable an append must be when it is acknowledged. `full` (the
/// default): flushed to disk (synchronous_commit on). `relaxed`: committed
/// and visible, but a crash of the PostgreSQL server (not of the bot) within
/// a fraction of a second may lose it (synchronous_commit off for that
/// transaction). Relaxed appends share a transaction with full ones only
/// when the whole transaction is full.
enum class durability : uint8_t { full, relaxed };

/// An append to one stream on its way through the write path. `deadline` is
/// when the caller stops waiting: an append still queued then fails with
/// `ec::timeout` and is never written.
struct append_command {
  stream_append part;
  durability mode = durability::full;
  std::chrono::steady_clock::time_point deadline;
};

/// A group of independent appends for one transaction (group commit).
struct commit_batch {
  std::vector<std::vector<stream_append>> requests;
  durability mode = durability::full;
};

/// The outcome of a `commit_batch`, one entry per request, in order. When
/// the connection broke, `connection_lost` is set and every entry without a
/// result is `ec::unavailable`: whether it committed is unknown (an
/// ambiguous commit), and the pool retries it with the same event ids,
/// which the store recognises as a replay if it had landed.
struct batch_outcome {
  std::vector<caf::expected<std::vector<append_result>>> results;
  bool connection_lost = false;
};

/// What a read asks for: a page of one stream or of the global log.
struct read_request {
  enum class target : uint8_t { stream, all };
  target what = target::all;
  std::string stream;
  int64_t from = 0;
  size_t count = 100;
  direction dir = direction::forward;
  log_filter filter;
  /// Reads of the log: not past this position (0: the log horizon).
  int64_t upto = 0;
};

/// A persistent subscription's state in PostgreSQL (es_subscriptions,
/// es_parked_events; storage/event_store.hpp): open (create or load), save
/// a checkpoint (never backwards), reset it, park an event, or unpark one
/// (the record's `parked` is then 1 if it was parked, else 0).
struct subscription_op {
  enum class kind : uint8_t { open, save, reset, park, unpark };
  kind what = kind::open;
  std::string name;
  int64_t position = 0;
  int32_t attempts = 0;
  std::string reason;
};

/// Committed events of the global log, shared by every live subscription
/// (one allocation however many receive it): every event with a position in
/// (`after`, `upto`], in order, unfiltered, upcast once by the dispatcher.
/// Positions in that range that are missing never committed. An event that
/// could not be upcast is in `undeliverable` (position and why) instead of
/// `events`: subscriptions that want it park it.
struct live_batch {
  std::shared_ptr<const std::vector<event_ptr>> events;
  std::shared_ptr<const std::vector<std::pair<int64_t, std::string>>>
      undeliverable;
  int64_t after = 0;
  int64_t upto = 0;
};

/// The dispatcher's answer to a subscription that wants to go live after
/// `after`: when `joined`, `backlog` holds the events of (`after`,
/// `upto`] and every later event arrives as a `live_batch`; otherwise the
/// subscription is too far behind and keeps reading from the database.
struct join_reply {
  bool joined = false;
  live_batch backlog;
};

/// Where a new subscription starts.
enum class start_from : uint8_t {
  origin,   ///< the first event of the log
  now,      ///< the next event committed after it joins
  position, ///< the event after `subscription_spec::after`
};

/// Events handed to a subscriber in one message: in global-position order,
/// at most `subscription_spec::batch_size` of them.
struct event_batch {
  std::vector<event_ptr> events;
};

/// A subscriber's answer to an `event_batch`, acknowledging by position:
/// every event of the batch up to `handled` is handled. If the batch has
/// events after `handled`, the first of them failed (`reason` says why; it
/// is retried later and the attempt counts) and the others come again, in
/// order, with no attempt counted. A subscriber that handles events in
/// order answers with the last position it handled (0: none).
struct batch_ack {
  int64_t handled = 0;
  std::string reason;
};

/// A subscriber: an actor of the bot that handles the events of a batch in
/// order and answers with a `batch_ack`; an error answer counts as a
/// failure of the batch's first event, with the error's text as the reason
/// (actors/subscriber.hpp makes one from a function).
using subscriber_actor = caf::typed_actor<
    caf::replies_to<deliver_atom, event_batch>::with<batch_ack>>;

/// What to subscribe to, and how to deliver it.
struct subscription_spec {
  /// For logs and status; with `persistent`, the stored subscription's
  /// name (a subscription name, checked as a stream id is).
  std::string name;
  /// The checkpoint and parked events live in PostgreSQL: a subscription
  /// started again under the same name resumes after its checkpoint (and
  /// `start` only applies the first time).
  bool persistent = false;
  log_filter filter;
  start_from start = start_from::now;
  /// With `start_from::position`: deliver the events after this one.
  int64_t after = 0;
  delivery_options delivery;
  /// Events at most in flight at each subscriber (`buffer_size`).
  size_t buffer_size = defaults::subscription_buffer_size;
  /// Events per message to a subscriber, at most (capped by
  /// `buffer_size`); a smaller batch keeps a second one in flight while
  /// the subscriber handles the first.
  size_t batch_size = defaults::subscription_batch_size;
  /// Subscribers sharing the subscription: `subscriber` and, when above 1,
  /// `concurrency_limit - 1` more from `respawn` (which is then required).
  size_t concurrency_limit = 1;
  /// Events of one stream go one at a time, in order, always to the same
  /// subscriber (else several of a stream may be in flight at once, to any
  /// subscriber, and a retry may reorder them).
  bool partition_by_stream = false;
  /// Events per catch-up read from the database.
  size_t page_size = defaults::subscription_page_size;
  /// The subscriber. A dead subscriber ends the subscription unless
  /// `respawn` is set, which makes a new one in its place: its events in
  /// flight go to the new one first.
  subscriber_actor subscriber;
  std::function<subscriber_actor()> respawn;
  /// A subscription that crashes (ends other than by its subscriber's end
  /// or a stop) is restarted by the node, from the checkpoint it had
  /// reached, as a new actor; false when whoever started it restarts it
  /// (an exclusive subscription's owner does).
  bool restart_on_crash = true;
  /// Runs once per cluster: of all processes that start it (under the same
  /// `name`), one at a time owns it and delivers; the others wait on
  /// standby and take over within about a second when the owner dies or
  /// loses its session connection (actors/exclusive_subscription.hpp).
  /// Requires `persistent`.
  bool exclusive = false;
};

/// What a subscription reports.
struct subscription_status {
  std::string name;
  /// Everything up to here is handled (acknowledged or parked).
  int64_t checkpoint = 0;
  /// The highest position it has read or received.
  int64_t head = 0;
  bool live = false;
  size_t in_flight = 0;
  size_t queued = 0;
  uint64_t delivered = 0;
  uint64_t acknowledged = 0;
  uint64_t retried = 0;
  /// Times it left live delivery because its window was full (a slow
  /// subscriber) and read the database again.
  uint64_t fell_behind = 0;
  /// Checkpoint writes (persistent subscriptions).
  uint64_t checkpoints_saved = 0;
  std::vector<parked> parked_events;
  uint64_t subscriber_restarts = 0;
  /// An exclusive subscription waiting for ownership (another process owns
  /// it, or this one lost its session connection): it delivers nothing.
  bool standby = false;
};

/// A projection's operation on what the store keeps of it (es_projections
/// and its read model's rows; storage/projection_store.hpp), run by the
/// pool like a read. `open`: load or create (name, version). `snapshot`:
/// store an in-memory model (version, position, snapshot). `commit`: move
/// `generation` from `expected` to `position` and write `rows`, in one
/// transaction. `rebuild`: start a new generation (version; `clean` drops
/// stale rows). `swap`: make `generation` the active one (`clean` drops the
/// others). `count`: count the events of `filter` (a replay's size).
/// `query`: run `read` (a read model's query).
struct projection_op {
  enum class kind : uint8_t {
    open,
    snapshot,
    commit,
    rebuild,
    swap,
    count,
    query,
  };
  kind what = kind::open;
  std::string name;
  int32_t version = 0;
  int64_t generation = 0;
  int64_t expected = 0;
  int64_t position = 0;
  std::string snapshot;
  log_filter filter;
  std::function<caf::error(storage::event_store&)> rows;
  std::function<caf::error(storage::event_store&, int64_t keep)> clean;
  std::function<caf::expected<std::string>(storage::event_store&)> read;
};

/// What a `projection_op` returns: `open`: the record. `snapshot`, `swap`:
/// the stored position in `value`. `rebuild`: the new generation in
/// `value`. `count`: `events` and the highest position in `value`.
/// `query`: `answer`. `commit`: nothing.
struct projection_reply {
  projection_record record;
  int64_t value = 0;
  uint64_t events = 0;
  std::string answer;
};

/// What a projection reports (actors/projection.hpp).
struct projection_status {
  std::string name;
  /// The version of the projection's code, and the one that built the
  /// model that answers queries now (they differ until a rebuild swaps).
  int32_t version = 0;
  int32_t model_version = 0;
  bool in_postgres = false;
  /// Loaded and subscribed.
  bool ready = false;
  /// The active generation and its position: every event of the log up to
  /// it is in the model.
  int64_t generation = 0;
  int64_t position = 0;
  /// Since start: events folded into the active model, events skipped as
  /// already folded in (redeliveries), events declined (could not be
  /// read), snapshots stored, rebuilds finished (swapped).
  uint64_t applied = 0;
  uint64_t duplicates = 0;
  uint64_t declined = 0;
  uint64_t snapshots = 0;
  uint64_t rebuilds = 0;
  /// Times events were kept waiting after a failure for now (the database,
  /// a model not ready), to be tried again.
  uint64_t waits = 0;
  /// A rebuild is running; `rebuild` is its progress (or the last one's).
  bool rebuilding = false;
  rebuild_progress rebuild;
};

/// The connection pool's health: every connection up, some, or none.
enum class pool_health : uint8_t { connected, degraded, down };

/// "connected", "degraded" or "down".
const char* to_string(pool_health x) noexcept;

/// What the connection supervisor reports about the pool.
struct pool_status {
  pool_health health = pool_health::down;
  size_t pool_size = 0;
  size_t connections_up = 0;
  storage::breaker_state breaker = storage::breaker_state::closed;
  /// Appends waiting for a transaction (group commit or outage queue).
  size_t queued = 0;
  size_t queued_bytes = 0;
  /// Transactions and appends committed since start.
  uint64_t transactions = 0;
  uint64_t appends = 0;
  /// Appends retried after their connection broke mid-transaction.
  uint64_t retried = 0;
  /// Appends failed with `timeout`, `unavailable` or `circuit_open`.
  uint64_t timed_out = 0;
  uint64_t rejected = 0;
  /// Latency and group-size histograms, events, breaker and connection
  /// details (messages/metrics.hpp).
  pool_metrics metrics;
};

/// What the stream router reports.
struct router_status {
  /// Streams with a live stream actor.
  size_t active_streams = 0;
  /// Stream actors passivated after their idle time, and restarted after a
  /// crash, since start.
  uint64_t passivated = 0;
  uint64_t crashed = 0;
};

/// The node's components, for the inspector (and tests) to address one.
enum class component : uint8_t {
  registry,
  pool,
  router,
  dispatcher,
  session
};

/// What the node reports: its components' states and its restarts.
struct node_status {
  pool_status pool;
  router_status router;
  uint64_t restarts = 0;
  /// The subscriptions the node started and supervises, as
  /// `subscription_actor` handles (caf::actor_cast them; that type is
  /// declared below), to ask each for its `subscription_status`. An
  /// exclusive subscription's handle is not here; the subscription it runs
  /// while it owns the name is.
  std::vector<caf::actor> subscriptions;
};

/// A connection worker: one `PGconn` on a thread of its own (detached), the
/// only code that calls libpq (actors/connection_worker.hpp).
using connection_worker_actor = caf::typed_actor<
    // Commits the batch in one transaction (storage::event_store::append_group).
    caf::replies_to<append_atom, commit_batch>::with<batch_outcome>,
    // Reads one page (no upcasting here).
    caf::replies_to<read_atom, read_request>::with<event_page>,
    // Returns what the store knows about a stream.
    caf::replies_to<info_atom, std::string>::with<stream_info>,
    // A persistent subscription's state (the record after the operation).
    caf::replies_to<checkpoint_atom, subscription_op>::with<
        subscription_record>,
    // A persistent subscription's parked events after a position (a page).
    caf::replies_to<checkpoint_atom, std::string, int64_t>::with<
        std::vector<parked_event>>,
    // A projection's storage operation (storage/projection_store.hpp).
    caf::replies_to<project_atom, projection_op>::with<projection_reply>,
    // Connects (or reconnects) if not connected; replies with the backend pid.
    caf::replies_to<connect_atom>::with<int32_t>,
    // Runs a trivial query; replies with its round trip in microseconds.
    caf::replies_to<health_atom>::with<int64_t>>;

/// A subscription: catches up from the database, then takes live batches
/// from the dispatcher, and delivers to its subscriber with
/// acknowledgements (actors/subscription.hpp).
using subscription_actor = caf::typed_actor<
    caf::reacts_to<live_atom, live_batch>,
    caf::replies_to<status_atom>::with<subscription_status>,
    // Delivers its parked events again, one at a time; replies with how
    // many were handled (unparked). The others stay parked.
    caf::replies_to<replay_atom>::with<uint64_t>,
    // Internal: its own timer (retries, ack deadlines).
    caf::reacts_to<timer_atom, uint64_t>>;

/// The dispatcher: reads the global log once for all live subscriptions and
/// hands each batch to all of them (actors/dispatcher.hpp).
using dispatcher_actor = caf::typed_actor<
    // A subscription goes live after a position (see join_reply).
    caf::replies_to<join_atom, subscription_actor, int64_t>::with<join_reply>,
    // A subscription stops taking live batches.
    caf::reacts_to<leave_atom, subscription_actor>,
    // New events may have committed.
    caf::reacts_to<wake_atom>,
    // Returns the highest position read.
    caf::replies_to<status_atom>::with<int64_t>,
    // Internal: the poll timer.
    caf::reacts_to<timer_atom, uint64_t>>;

/// Whoever holds a subscription's ownership through the session: told when
/// it is lost (the session connection broke, so PostgreSQL released the
/// lock).
using owner_actor = caf::typed_actor<
    // Ownership of the named subscription is lost.
    caf::reacts_to<lost_atom, std::string>>;

/// The session: the node's dedicated connection (detached) that LISTENs for
/// commits of other processes and holds the ownership locks of exclusive
/// subscriptions (actors/session.hpp).
using session_actor = caf::typed_actor<
    // The dispatcher to wake when the log may have grown.
    caf::reacts_to<wake_atom, dispatcher_actor>,
    // Tries to take the ownership lock of a subscription name for an owner:
    // true when held (now or already by that owner), false when another
    // process (or another owner here) holds it; `unavailable` while
    // disconnected.
    caf::replies_to<own_atom, std::string, owner_actor>::with<bool>,
    // Releases the ownership lock of a name; whether it was held.
    caf::replies_to<disown_atom, std::string>::with<bool>,
    // Returns the backend pid of its connection once it LISTENs (0 while
    // disconnected).
    caf::replies_to<status_atom>::with<int32_t>,
    // INTERNAL: its tick (wait on the socket, reconnect).
    caf::reacts_to<timer_atom, uint64_t>>;

/// An exclusive subscription: a subscription handle that stays valid
/// while ownership comes and goes (actors/exclusive_subscription.hpp).
using exclusive_subscription_actor = subscription_actor::extend_with<
    owner_actor>;

/// The connection supervisor: owns the pool of workers, group commit, the
/// outage queue, the circuit breaker, health checks and reconnects
/// (actors/connection_supervisor.hpp).
using pool_actor = caf::typed_actor<
    // Queues an append for the next transaction; replies after COMMIT.
    caf::replies_to<append_atom, append_command>::with<append_result>,
    // Runs a read on a free connection.
    caf::replies_to<read_atom, read_request>::with<event_page>,
    // Returns what the store knows about a stream.
    caf::replies_to<info_atom, std::string>::with<stream_info>,
    // A persistent subscription's state (runs like a read).
    caf::replies_to<checkpoint_atom, subscription_op>::with<
        subscription_record>,
    // A persistent subscription's parked events after a position (a page).
    caf::replies_to<checkpoint_atom, std::string, int64_t>::with<
        std::vector<parked_event>>,
    // A projection's storage operation (runs like a read).
    caf::replies_to<project_atom, projection_op>::with<projection_reply>,
    // Returns the pool's state.
    caf::replies_to<status_atom>::with<pool_status>,
    // Internal: the supervisor's own timers (flush, deadlines, health).
    caf::reacts_to<timer_atom, uint64_t>,
    // Tells this actor (the dispatcher) `wake` after every commit.
    caf::reacts_to<wake_atom, dispatcher_actor>>;

/// A stream actor: serializes the appends of one stream, rejects a stale
/// expected version from its cache, validates against the catalog snapshot
/// (actors/stream_actor.hpp).
using stream_actor = caf::typed_actor<
    // Checks and forwards one append to the pool; replies in arrival order.
    caf::replies_to<append_atom, append_command>::with<append_result>,
    // Internal: the idle timer (passivation).
    caf::reacts_to<timer_atom, uint64_t>>;

/// The stream router: spawns a stream actor per active stream on first use,
/// passivates idle ones, restarts crashed ones (actors/stream_router.hpp).
using router_actor = caf::typed_actor<
    // Hands the append to its stream's actor.
    caf::replies_to<append_atom, append_command>::with<append_result>,
    // A stream actor has been idle after handling this many appends.
    caf::reacts_to<idle_atom, std::string, uint64_t>,
    // Returns the live actor of a stream, or `not_found` (inspector, tests).
    caf::replies_to<status_atom, std::string>::with<stream_actor>,
    // Returns the router's state.
    caf::replies_to<status_atom>::with<router_status>>;

/// The node: the root supervisor the bot spawns, and the facade its code
/// talks to (actors/node.hpp; actors/store.hpp wraps it for code that is
/// not an actor).
using node_actor = caf::typed_actor<
    // Appends to one stream (through the router); replies after COMMIT.
    caf::replies_to<append_atom, append_command>::with<append_result>,
    // Reads a page, each event upcast to its type's latest version.
    caf::replies_to<read_atom, read_request>::with<event_page>,
    // Returns what the store knows about a stream.
    caf::replies_to<info_atom, std::string>::with<stream_info>,
    // Returns the state of every component.
    caf::replies_to<status_atom>::with<node_status>,
    // Returns the current actor of one component (inspector, tests).
    caf::replies_to<status_atom, component>::with<caf::actor>,
    // Registers event modules or a mode plugin (through the registry).
    caf::replies_to<register_atom, module_set>::with<uint64_t>,
    caf::replies_to<register_atom, mode_plugin>::with<uint64_t>,
    // Starts a subscription (actors/subscription.hpp).
    caf::replies_to<join_atom, subscription_spec>::with<subscription_actor>,
    // A projection's storage operation (through the pool).
    caf::replies_to<project_atom, projection_op>::with<projection_reply>,
    // Returns every subscription it started that still runs, as
    // subscription_actor handles (inspector).
    caf::replies_to<list_atom>::with<std::vector<caf::actor>>>;

/// A projection: a subscriber that folds the events of its subscription
/// into a read model, in memory or in PostgreSQL, answers queries from it,
/// keeps its checkpoint, and rebuilds it blue/green (actors/projection.hpp).
using projection_actor = caf::typed_actor<
    // A batch of its subscription: acknowledged once it is in the model.
    caf::replies_to<deliver_atom, event_batch>::with<batch_ack>,
    // Returns its state and its rebuild's progress.
    caf::replies_to<status_atom>::with<projection_status>,
    // Asks the active read model (keys and JSON answers are the model's).
    caf::replies_to<query_atom, std::string>::with<std::string>,
    // Starts a rebuild (or finds the running one); replies its generation.
    caf::replies_to<rebuild_atom>::with<int64_t>,
    // Internal: a batch of the rebuild's subscription for a generation.
    caf::replies_to<rebuild_atom, int64_t, event_batch>::with<batch_ack>,
    // Internal: its timers (snapshots, retries after a failure for now).
    caf::reacts_to<timer_atom, uint64_t>>;

/// Where a console's `tail` sends the events it follows: an actor in the
/// console's process (actors/tail_forwarder.hpp).
using tail_sink_actor = caf::typed_actor<
    // One event, as JSON (actors/console_json.hpp).
    caf::reacts_to<tail_atom, std::string>>;

/// The inspector: answers the operator console (tools/es_console.cpp) from
/// another process through CAF's middleman, by asking the node and its
/// components (actors/inspector.hpp). Only types CAF serialises cross the
/// process boundary: strings, integers, actor handles.
using inspector_actor = caf::typed_actor<
    // The handshake: the console's protocol version; replies with the
    // store's protocol version and its software version.
    caf::replies_to<hello_atom, uint32_t>::with<uint32_t, std::string>,
    // A command: its words as a JSON array; replies with a JSON object,
    // {"command":..,"result":..} or {"error":{"code":..,"message":..}}.
    caf::replies_to<console_atom, std::string>::with<std::string>,
    // Follows new events of a filter (words as a JSON array) with a
    // transient subscription that sends each event to the sink as
    // (tail_atom, JSON) until the sink is gone; replies as a command does.
    caf::replies_to<tail_atom, std::string, caf::actor>::with<std::string>,
    // Local: a projection_actor the console may inspect and rebuild, by
    // name (replaces one of that name); whether it was new.
    caf::replies_to<register_atom, std::string, caf::actor>::with<bool>,
    // INTERNAL: its sampling timer (metrics).
    caf::reacts_to<timer_atom, uint64_t>>;

} // namespace es

// Local-only messages: they hold functions and shared pointers.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::module_set)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::mode_plugin)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::registry::catalog_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::append_command)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::commit_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::batch_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::read_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::pool_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::router_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::node_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::component)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::live_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::event_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::batch_ack)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::subscription_op)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::subscription_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::join_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::subscription_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::subscription_status)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::projection_op)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::projection_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(es::projection_status)

// Type IDs of every message type above (CAF_ENABLE_TYPE_ID_CHECKS is on).
CAF_BEGIN_TYPE_ID_BLOCK(es_messages, caf::id_block::es::end)

CAF_ADD_TYPE_ID(es_messages, (es::append_result))
CAF_ADD_TYPE_ID(es_messages, (es::event_page))
CAF_ADD_TYPE_ID(es_messages, (es::stream_info))
CAF_ADD_TYPE_ID(es_messages, (es::append_command))
CAF_ADD_TYPE_ID(es_messages, (es::commit_batch))
CAF_ADD_TYPE_ID(es_messages, (es::batch_outcome))
CAF_ADD_TYPE_ID(es_messages, (es::read_request))
CAF_ADD_TYPE_ID(es_messages, (es::pool_status))
CAF_ADD_TYPE_ID(es_messages, (es::router_status))
CAF_ADD_TYPE_ID(es_messages, (es::node_status))
CAF_ADD_TYPE_ID(es_messages, (es::module_set))
CAF_ADD_TYPE_ID(es_messages, (es::mode_plugin))
CAF_ADD_TYPE_ID(es_messages, (es::registry::catalog_ptr))
CAF_ADD_TYPE_ID(es_messages, (es::stream_actor))
CAF_ADD_TYPE_ID(es_messages, (es::component))
CAF_ADD_TYPE_ID(es_messages, (es::recorded_event))
CAF_ADD_TYPE_ID(es_messages, (es::live_batch))
CAF_ADD_TYPE_ID(es_messages, (es::event_batch))
CAF_ADD_TYPE_ID(es_messages, (es::batch_ack))
CAF_ADD_TYPE_ID(es_messages, (std::vector<es::parked_event>))
CAF_ADD_TYPE_ID(es_messages, (es::subscription_op))
CAF_ADD_TYPE_ID(es_messages, (es::subscription_record))
CAF_ADD_TYPE_ID(es_messages, (es::join_reply))
CAF_ADD_TYPE_ID(es_messages, (es::subscription_spec))
CAF_ADD_TYPE_ID(es_messages, (es::subscription_status))
CAF_ADD_TYPE_ID(es_messages, (es::subscriber_actor))
CAF_ADD_TYPE_ID(es_messages, (es::subscription_actor))
CAF_ADD_TYPE_ID(es_messages, (es::dispatcher_actor))
CAF_ADD_TYPE_ID(es_messages, (es::owner_actor))
CAF_ADD_TYPE_ID(es_messages, (es::projection_op))
CAF_ADD_TYPE_ID(es_messages, (es::projection_reply))
CAF_ADD_TYPE_ID(es_messages, (es::projection_status))
CAF_ADD_TYPE_ID(es_messages, (es::projection_actor))

CAF_END_TYPE_ID_BLOCK(es_messages)
