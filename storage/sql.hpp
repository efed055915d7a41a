// Every SQL statement of the event store, by name. The texts live in
// storage/sql.cpp and nowhere else; tests/storage/sql_test.cpp prepares every
// one of them against PostgreSQL.
//
// Conventions: parameters are always bound ($1, $2, ...), never spliced in.
// Arrays travel as text-format array literals built by storage/arrays.hpp.
// Times travel as microseconds since the Unix epoch (UTC).
#pragma once

#include "storage/pg.hpp"

#include <string>
#include <vector>

namespace es::sql {

// -- SQLSTATEs and constraint names raised by the schema ---------------------

/// The stream's version is not what the append or delete expected.
inline constexpr char sqlstate_wrong_version[] = "ES409";
/// The stream was soft-deleted and may not be recreated.
inline constexpr char sqlstate_stream_deleted[] = "ES410";
/// Someone tried to UPDATE, DELETE or TRUNCATE events.
inline constexpr char sqlstate_immutable[] = "ES423";

inline constexpr char constraint_event_id[] = "es_events_event_id_key";
inline constexpr char constraint_stream_version[] =
    "es_events_stream_version_key";
/// A parked event's subscription was deleted while it was being parked.
inline constexpr char constraint_parked_subscription[] =
    "es_parked_events_subscription_fkey";

// -- Schema migrations --------------------------------------------------------

struct migration {
  int version;
  const char* name;
  const char* sql; ///< may hold several statements; runs in one transaction
};

/// All migrations, in version order. Append new ones; never edit old ones.
const std::vector<migration>& migrations();

/// Key of the session advisory lock held while migrating, in the two-int4
/// key space (namespace 1702063202): the global log's horizon only looks at
/// single-bigint keys with a marker bit, and no other lock may look like
/// a position reservation.
inline constexpr int64_t migration_lock_key = 1;

extern const char* const create_migrations_table; // plain SQL
extern const pg::statement lock_migrations;       // (key)
extern const pg::statement unlock_migrations;     // (key)
extern const pg::statement applied_migrations;    // () -> version
extern const pg::statement record_migration;      // (version, name)

// -- Wake-ups and ownership (actors/session.hpp) ------------------------------

/// The channel on which migration 4's trigger notifies after every insert
/// into es_events (no payload; at most one per transaction).
#define ES_EVENTS_CHANNEL "es_events"
inline constexpr char events_channel[] = ES_EVENTS_CHANNEL;

/// Plain SQL: starts listening on `events_channel` / stops all listening.
extern const char* const listen_events;
extern const char* const unlisten_all;

/// (name) -> whether this session now holds the ownership lock of the
/// exclusive subscription `name` (a session-level advisory lock; held until
/// `disown_subscription` or the end of the session, re-entrant within a
/// session). Names whose hashes collide share a lock.
extern const pg::statement try_own_subscription;
/// (name) -> whether the lock was held (and is now released once).
extern const pg::statement disown_subscription;
/// (name) -> the backend pid holding the ownership lock of `name`, if any.
extern const pg::statement subscription_owner;

/// Plain transaction control for migrations.
extern const char* const begin;
extern const char* const commit;
extern const char* const rollback;

// -- Databases ----------------------------------------------------------------

/// (name) -> a row when the database exists.
extern const pg::statement database_exists;

/// CREATE DATABASE for an identifier already quoted by
/// `connection::quote_identifier` (DDL cannot bind it).
std::string create_database(const std::string& quoted_name);

// -- Appends ------------------------------------------------------------------

/// Locks the given streams (text[]) for the rest of the transaction, in a
/// global order. Runs first in every append.
extern const pg::statement lock_streams;

/// Takes the transaction's position reservation (a shared advisory lock whose
/// key is a floor of the positions the transaction will get). Must run
/// before any insert of the transaction. See storage/event_store.hpp.
extern const pg::statement reserve_positions; // ()

/// Checks the expected versions and inserts the events of one or more
/// streams in one statement: the executor, the index set and the RETURNING
/// are set up once per group instead of once per stream, which is most of
/// the server's work for small appends. The streams must be distinct (every
/// head is read before any row is inserted) and locked by `lock_streams` in
/// the same transaction, after `reserve_positions`. Rows come back in event
/// order. A failed expectation raises ES409 naming the stream.
/// (streams[], kinds[], expected[], allow_recreate, owner[] (1-based index
///  into streams), offset[] (1-based within its stream), ids[], types[],
///  versions[], data[], metadata[], created_us[])
///   -> global_position, stream_version
extern const pg::statement append_events;

/// Benchmark baseline only (tools/bench/baselines.cpp; the store never uses
/// it): lock_streams + reserve_positions + append_events for exactly one stream
/// as one autocommit statement (one transaction per call). Same parameters
/// (arrays of one stream) and result as `append_events`.
extern const pg::statement bench_baseline_insert;

// -- Benchmark baselines (tools/bench/baselines.hpp) -------------------------
//
// The tables below live in a schema of their own, `es_bench`, created by
// `bench_schema`; the store never reads or writes them and they never touch
// the store's tables. Only es-bench uses these statements.

/// Plain SQL, idempotent and safe to run from several processes at once
/// (serialized by a transaction-level advisory lock): creates the schema
/// `es_bench` with (a) a commanded/eventstore-style store (streams with a
/// `$all` row, stream_id 0; events; stream_events linking each event to
/// its stream and to `$all`), and (b) `physical_events`, a copy of
/// es_events' columns, constraints and indexes (not its triggers), for the
/// physical limit and the plain inserts. Needs
/// the store's schema (migrations) in place.
extern const char* const bench_schema;

/// A commanded/eventstore-style append to one stream, as one autocommit
/// statement: first the global `$all` row is updated under its row lock
/// (held until COMMIT, so appends from all streams commit one after the
/// other: the price of its gap-free global order), then the stream's row
/// (created on first append) is moved on if its version equals `expected`,
/// then the events are inserted and linked to the stream and to `$all`.
/// Nothing is inserted when the version does not match (no row returned).
/// (stream, expected, ids[], types[], data[], metadata[], created_us[])
///   -> stream_version of each event, in event order
extern const pg::statement bench_commanded_append;

/// The physical limit: `count` events inserted by the server itself
/// (generate_series) into `es_bench.physical_events`, into stream `stream`
/// at versions first+1 .. first+count, each with the given type and JSON.
/// (stream, first, count, type, data, metadata) -> affected rows
extern const pg::statement bench_physical_insert;

/// The plainest append: one prepared multi-row INSERT into
/// `es_bench.physical_events` (es_events' columns and indexes, no trigger),
/// no stream lock, no position reservation; only the unique index on
/// (stream_id, stream_version) stops a conflicting writer. Versions are
/// after+1 .. after+n in event order.
/// (stream, after, ids[], types[], versions[], data[], metadata[],
///  created_us[]) -> stream_version of each event, in event order
extern const pg::statement bench_plain_insert;

/// Every benchmark statement above, for the test that prepares and runs
/// them (after `bench_schema`).
std::vector<const pg::statement*> bench_statements();

/// Turns off synchronous_commit for the rest of the transaction (a relaxed
/// append: acknowledged before its WAL reaches disk). () -> 'off'
extern const pg::statement relaxed_commit;

/// Where the given event ids are stored, if anywhere, and whether the stored
/// events equal the given ones.
/// (ids[], types[], versions[], data[], metadata[])
///   -> ordinal, stream_id, stream_version, global_position, same_content,
///      hidden_below of the stream (versions up to it were soft-deleted)
extern const pg::statement find_events;

/// (stream) -> current version (0 when none).
extern const pg::statement stream_version;

// -- Reads --------------------------------------------------------------------

/// The connection supervisor's health check. () -> 1
extern const pg::statement health_check;

/// (stream) -> exists, deleted, hidden_below (versions <= it are hidden).
extern const pg::statement stream_state;

/// (stream, from_version, limit) -> event columns (see `event_columns`).
extern const pg::statement read_stream_forward;
extern const pg::statement read_stream_backward;

/// () -> the highest global position below which no event can appear later.
extern const pg::statement log_horizon;

/// Which subset of the global log a read returns.
enum class log_filter_kind {
  all,         ///< every event
  event_types, ///< event_type = ANY($3::text[])
  category,    ///< category = $3 (stream id up to its first '-')
  correlation, ///< metadata correlation_id = $3
  causation,   ///< metadata causation_id = $3
  actor,       ///< metadata actor_id = $3
  guild,       ///< metadata guild_id = $3
};

/// (from_position, horizon, [filter value,] limit): the statement reading
/// the global log with `filter` in `dir`. Forward reads return positions in
/// [from, horizon]; backward reads positions <= min(from, horizon).
const pg::statement& read_log(log_filter_kind filter, bool forward);

/// Every read_log statement (for tests that prepare all SQL).
std::vector<const pg::statement*> all_read_log_statements();

/// (stream) -> stream info columns (see event_store.cpp).
extern const pg::statement stream_info;
/// (after_stream_id, limit) -> stream info columns, ordered by stream id.
extern const pg::statement list_streams;

// -- Deletes and snapshots ----------------------------------------------------

/// (stream, kind, expected) -> number of streams marked deleted.
extern const pg::statement soft_delete_stream;
/// () -> allows DELETE on es_events for the rest of the transaction.
extern const pg::statement allow_hard_delete;
/// (stream, kind, expected) -> checks the expected version (raises).
extern const pg::statement check_version;
extern const pg::statement delete_stream_events;   // (stream)
extern const pg::statement delete_stream_row;      // (stream)
extern const pg::statement delete_stream_snapshot; // (stream)

/// (stream, version, type, data, metadata) -> upserts the latest snapshot.
extern const pg::statement record_snapshot;
/// (stream) -> stream_version, type, data, metadata, created_us.
extern const pg::statement read_snapshot;
/// (stream) -> deleted count.
extern const pg::statement delete_snapshot;

// -- Persistent subscriptions -------------------------------------------------
//
// A subscription row: name, position (the checkpoint: every event up to it,
// inclusive, was handled), created_us, updated_us.

/// (name) -> the subscription row, created at position 0 when new. May
/// return no row when another transaction created it concurrently; running
/// it again then returns that row.
extern const pg::statement open_subscription;
/// (name) -> the subscription row, if any.
extern const pg::statement read_subscription;
/// (name, position) -> the stored position, greatest(stored, given): a
/// checkpoint never moves backwards. No row when the name is unknown.
extern const pg::statement save_checkpoint;
/// (name, position) -> the stored position, exactly the given one. No row
/// when the name is unknown.
extern const pg::statement reset_checkpoint;
/// (name) -> deletes the subscription and, by cascade, its parked events;
/// affected rows (0 or 1).
extern const pg::statement delete_subscription;
/// () -> subscription row + count of parked events (whose event is still
/// stored), ordered by name.
extern const pg::statement list_subscriptions;
/// (name, global_position, attempts, reason) -> subscription_exists,
/// event_exists, parked. Parks the event, or updates attempts, reason and
/// parked_at when it is parked already; parks nothing when the
/// subscription or the event is missing.
extern const pg::statement park_event;
/// (name, after_position, limit) -> event columns (ES_EVENT_COLUMNS),
/// attempts, reason, parked_us; parked events of the subscription with
/// positions above `after`, in position order. Parked events whose event
/// was hard-deleted are skipped.
extern const pg::statement list_parked;
/// (name, global_position) -> affected rows (0 or 1).
extern const pg::statement unpark_event;

// -- Projections (actors/projection.hpp) ---------------------------------------
//
// A projection row: name, version (of the code that built the active
// model), generation (the active one), position (every event up to it is in
// the active model), snapshot (an in-memory model at `position`, JSON),
// rebuild_generation / rebuild_version / rebuild_position (a rebuild in
// progress), updated_us. See ES_PROJECTION_COLUMNS in sql.cpp.

/// (name, version) -> the projection row, created (generation 1, position
/// 0, with `version`) when new. As open_subscription, may return no row
/// when another transaction created it concurrently.
extern const pg::statement open_projection;
/// (name, version, position, snapshot) -> position; stores an in-memory
/// model's snapshot at `position` built by `version`, unless the stored
/// position is higher (no row then, or when the name is unknown).
extern const pg::statement save_projection_snapshot;
/// (name, generation, expected, next) -> a row when the position of that
/// generation (active or rebuilding) was `expected` and is now `next`.
extern const pg::statement advance_projection;
/// (name, version) -> rebuild_generation, generation: starts a rebuild in a
/// generation never used before, at position 0.
extern const pg::statement begin_projection_rebuild;
/// (name, rebuild_generation) -> position: the rebuilt generation becomes
/// the active one (version and position with it). No row when that
/// generation is not the one being rebuilt.
extern const pg::statement swap_projection;
/// (name) -> deletes the projection and (by cascade) its rows.
extern const pg::statement delete_projection;
/// (upto, category or NULL) -> count, highest position of the events up to
/// `upto` (of that category).
extern const pg::statement count_log_events;

/// (projection, generation, guilds[], players[], names[], games[],
/// guesses[], correct[], points[]) -> adds the counts to each (guild,
/// player) row of that generation (created when missing); a non-empty name
/// replaces the stored one.
extern const pg::statement upsert_leaderboard;
/// (projection, keep_generation) -> deletes every other generation's rows.
extern const pg::statement drop_leaderboard_generations;
/// (projection, guild, limit) -> leaderboard columns of the active
/// generation, best first (points, then correct guesses, then player id).
extern const pg::statement leaderboard_top;
/// (projection, guild, player) -> that player's row in the active generation.
extern const pg::statement leaderboard_entry;
/// (projection) -> every row of the active generation by guild and player.
extern const pg::statement leaderboard_all;

/// Every statement above (for tests that prepare all SQL).
std::vector<const pg::statement*> all_statements();

} // namespace es::sql
