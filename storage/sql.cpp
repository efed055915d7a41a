// All SQL of the event store. See storage/sql.hpp for what each statement
// takes and returns, and storage/event_store.hpp for why it is shaped so.
#include "storage/sql.hpp"

namespace es::sql {

namespace {

// Migration 1: streams, events, snapshots, and the functions appends use.
//
// Gap-free global log: positions come from an identity sequence, so they
// are allocated in insert order but may commit out of order. Every append
// transaction first takes a shared advisory lock keyed by a floor of the
// positions it will get (the sequence's last value, read before the lock is
// taken, plus a marker bit). Readers compute a horizon: the sequence's last
// value, lowered to the smallest floor still locked. Positions up to the
// horizon belong to finished transactions only, so a reader that never reads
// past it never skips an event that commits later. No lock is held across
// commit by writers against each other (the locks are shared), so concurrent
// commits still share WAL flushes.
constexpr char schema_v1[] = R"sql(
CREATE TABLE es_streams (
  stream_id       text        PRIMARY KEY,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  deleted_at      timestamptz,
  hidden_below    bigint      NOT NULL DEFAULT 0
);

CREATE TABLE es_events (
  global_position bigint      GENERATED ALWAYS AS IDENTITY,
  event_id        uuid        NOT NULL,
  stream_id       text        NOT NULL,
  stream_version  bigint      NOT NULL,
  event_type      text        NOT NULL,
  event_version   integer     NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  created_at      timestamptz NOT NULL,
  category        text        GENERATED ALWAYS AS
                                (split_part(stream_id, '-', 1)) STORED,
  CONSTRAINT es_events_pkey PRIMARY KEY (global_position),
  CONSTRAINT es_events_event_id_key UNIQUE (event_id),
  CONSTRAINT es_events_stream_version_key UNIQUE (stream_id, stream_version),
  CONSTRAINT es_events_version_positive CHECK (stream_version > 0)
);

CREATE INDEX es_events_type_idx ON es_events (event_type, global_position);
CREATE INDEX es_events_category_idx ON es_events (category, global_position);
CREATE INDEX es_events_correlation_idx
  ON es_events ((metadata->>'correlation_id'), global_position)
  WHERE (metadata->>'correlation_id') IS NOT NULL;
CREATE INDEX es_events_causation_idx
  ON es_events ((metadata->>'causation_id'), global_position)
  WHERE (metadata->>'causation_id') IS NOT NULL;
CREATE INDEX es_events_actor_idx
  ON es_events ((metadata->>'actor_id'), global_position)
  WHERE (metadata->>'actor_id') IS NOT NULL;
CREATE INDEX es_events_guild_idx
  ON es_events ((metadata->>'guild_id'), global_position)
  WHERE (metadata->>'guild_id') IS NOT NULL;

CREATE TABLE es_snapshots (
  stream_id       text        PRIMARY KEY,
  stream_version  bigint      NOT NULL,
  snapshot_type   text        NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Events are immutable: UPDATE and TRUNCATE always raise; DELETE raises
-- unless the transaction enabled a hard delete (es.hard_delete = on).
CREATE FUNCTION es_events_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('es.hard_delete', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'events are immutable: % on es_events is not allowed', TG_OP
    USING ERRCODE = 'ES423';
END $$;
CREATE TRIGGER es_events_immutable BEFORE UPDATE OR DELETE ON es_events
  FOR EACH ROW EXECUTE FUNCTION es_events_immutable();
CREATE TRIGGER es_events_no_truncate BEFORE TRUNCATE ON es_events
  FOR EACH STATEMENT EXECUTE FUNCTION es_events_immutable();

-- The expected-version rule. kind: 0 any, 1 no_stream, 2 stream_exists,
-- 3 exact. A soft-deleted stream counts as not existing.
CREATE FUNCTION es_check_version(p_stream text, p_kind int, p_expected bigint,
                                 p_actual bigint, p_deleted boolean)
RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  IF p_kind = 0
     OR (p_kind = 1 AND (p_actual = 0 OR p_deleted))
     OR (p_kind = 2 AND p_actual > 0 AND NOT p_deleted)
     OR (p_kind = 3 AND p_actual = p_expected) THEN
    RETURN p_actual;
  END IF;
  RAISE EXCEPTION USING ERRCODE = 'ES409', MESSAGE = format(
    'stream %s: expected version %s, actual version %s%s', p_stream,
    CASE p_kind WHEN 1 THEN 'no_stream' WHEN 2 THEN 'stream_exists'
                ELSE 'exact(' || p_expected || ')' END,
    p_actual, CASE WHEN p_deleted THEN ' (stream deleted)' ELSE '' END);
END $$;

-- The head of a stream for an append: checks the expected version, creates
-- the stream row on first append, recreates a soft-deleted stream when
-- allowed, and returns the current version.
CREATE FUNCTION es_append_head(p_stream text, p_kind int, p_expected bigint,
                               p_allow_recreate boolean)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_actual  bigint;
  v_deleted boolean;
BEGIN
  SELECT stream_version INTO v_actual FROM es_events
   WHERE stream_id = p_stream ORDER BY stream_version DESC LIMIT 1;
  v_actual := coalesce(v_actual, 0);
  SELECT deleted_at IS NOT NULL INTO v_deleted FROM es_streams
   WHERE stream_id = p_stream;
  PERFORM es_check_version(p_stream, p_kind, p_expected, v_actual,
                           coalesce(v_deleted, false));
  IF v_deleted IS NULL THEN
    INSERT INTO es_streams (stream_id) VALUES (p_stream)
      ON CONFLICT DO NOTHING;
  ELSIF v_deleted THEN
    IF NOT p_allow_recreate THEN
      RAISE EXCEPTION 'stream % was deleted and may not be recreated',
        p_stream USING ERRCODE = 'ES410';
    END IF;
    UPDATE es_streams SET deleted_at = NULL WHERE stream_id = p_stream;
  END IF;
  RETURN v_actual;
END $$;

-- Serializes appends to the same streams: an exclusive transaction-level
-- advisory lock per stream (two-int4 key: namespace, hash of the stream id),
-- taken in hash order so that multi-stream appends cannot deadlock. A racing
-- append waits for the one ahead and then checks its expectation against
-- the committed version, instead of failing on the unique index and
-- retrying. Streams whose hashes collide merely share a lock.
CREATE FUNCTION es_lock_streams(p_streams text[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  v_hash int;
BEGIN
  FOR v_hash IN SELECT DISTINCT hashtext(s) FROM unnest(p_streams) AS u(s)
                ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(1702063201, v_hash);
  END LOOP;
END $$;

-- Global log horizon: see the comment at the top of this migration.
CREATE FUNCTION es_position_floor() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
  SELECT coalesce(pg_sequence_last_value('es_events_global_position_seq'), 0)
$$;

CREATE FUNCTION es_log_horizon() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_last  bigint;
  v_floor bigint;
BEGIN
  -- Order matters: read the sequence first, then the reservations.
  v_last := es_position_floor();
  SELECT min(((l.classid::bigint << 32) | l.objid::bigint)
             & ((1::bigint << 62) - 1))
    INTO v_floor
    FROM pg_locks l
   WHERE l.locktype = 'advisory' AND l.objsubid = 1
     AND l.classid::bigint >= (1::bigint << 30)
     AND l.database = (SELECT oid FROM pg_database
                        WHERE datname = current_database());
  RETURN least(v_last, coalesce(v_floor, v_last));
END $$;
)sql";

#define ES_EVENT_COLUMNS                                                       \
  "e.global_position, e.event_id, e.stream_id, e.stream_version, "             \
  "e.event_type, e.event_version, e.data::text, e.metadata::text, "            \
  "(extract(epoch FROM e.created_at) * 1000000)::bigint"

#define ES_STREAM_INFO_COLUMNS                                                 \
  "s.stream_id, coalesce(h.stream_version, 0), "                               \
  "CASE WHEN s.deleted_at IS NULL "                                            \
  "THEN greatest(coalesce(h.stream_version, 0) - s.hidden_below, 0) "          \
  "ELSE 0 END, s.deleted_at IS NOT NULL, "                                     \
  "(extract(epoch FROM coalesce(f.created_at, s.created_at)) * 1000000)"       \
  "::bigint, "                                                                 \
  "(extract(epoch FROM coalesce(h.created_at, s.created_at)) * 1000000)"       \
  "::bigint "                                                                  \
  "FROM es_streams s LEFT JOIN LATERAL (SELECT e.stream_version, "             \
  "e.created_at FROM es_events e WHERE e.stream_id = s.stream_id "             \
  "ORDER BY e.stream_version DESC LIMIT 1) h ON true "                         \
  "LEFT JOIN LATERAL (SELECT e.created_at FROM es_events e "                   \
  "WHERE e.stream_id = s.stream_id ORDER BY e.stream_version LIMIT 1) f "      \
  "ON true "

} // namespace

// Appends by set-based statements (sql::lock_streams, sql::append_events):
// es_lock_streams ran one SPI statement per stream and es_append_head three,
// which cost the server more than the inserts themselves. The heads are now
// read by the append statement's own joins; es_settle_head only checks them
// (simple expressions, no SPI) and touches es_streams when a stream is new
// or revived.
constexpr char schema_v2[] = R"sql(
DROP FUNCTION es_lock_streams(text[]);
DROP FUNCTION es_append_head(text, int, bigint, boolean);

-- The head of a stream for an append, from what the caller read: checks the
-- expected version (es_check_version), creates the stream row on first
-- append, recreates a soft-deleted stream when allowed, and returns the
-- current version.
CREATE FUNCTION es_settle_head(p_stream text, p_kind int, p_expected bigint,
                               p_actual bigint, p_known boolean,
                               p_deleted boolean, p_allow_recreate boolean)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_actual bigint;
BEGIN
  v_actual := es_check_version(p_stream, p_kind, p_expected, p_actual,
                               p_deleted);
  IF NOT p_known THEN
    INSERT INTO es_streams (stream_id) VALUES (p_stream)
      ON CONFLICT DO NOTHING;
  ELSIF p_deleted THEN
    IF NOT p_allow_recreate THEN
      RAISE EXCEPTION 'stream % was deleted and may not be recreated',
        p_stream USING ERRCODE = 'ES410';
    END IF;
    UPDATE es_streams SET deleted_at = NULL WHERE stream_id = p_stream;
  END IF;
  RETURN v_actual;
END $$;
)sql";

// Persistent subscriptions: a named checkpoint each, and the events a
// subscription parked (gave up on for now) to be looked at or retried later.
// `position` is the global position up to which (inclusive) every event has
// been handled. Parked events refer to es_events by global position without
// a foreign key: events are immutable and only a hard delete removes them,
// which the parked-event listing then skips (it joins es_events).
constexpr char schema_v3[] = R"sql(
CREATE TABLE es_subscriptions (
  name            text        PRIMARY KEY,
  position        bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE es_parked_events (
  subscription    text        NOT NULL
    CONSTRAINT es_parked_events_subscription_fkey
    REFERENCES es_subscriptions(name) ON DELETE CASCADE,
  global_position bigint      NOT NULL,
  attempts        int         NOT NULL CHECK (attempts > 0),
  reason          text        NOT NULL,
  parked_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (subscription, global_position)
);
)sql";

// Wake-ups for other processes: every statement that inserts events sends
// a payload-less NOTIFY on `es_events`. PostgreSQL folds identical
// notifications of one transaction into one and delivers it after COMMIT
// (after the transaction's locks, including its position reservation, are
// released), so a listener that reads the log then sees the new events
// below the horizon. The notification carries nothing: it only says "read
// the log" (actors/session.hpp).
constexpr char schema_v4[] = R"sql(
CREATE FUNCTION es_events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NOTIFY es_events;
  RETURN NULL;
END $$;
CREATE TRIGGER es_events_notify AFTER INSERT ON es_events
  FOR EACH STATEMENT EXECUTE FUNCTION es_events_notify();
)sql";

// Migration 5: projections. One row per projection: the version of its
// code that built the active read model, the active generation and its
// position (every event of the log up to it, inclusive, is in the model),
// the snapshot of an in-memory model at that position, and a rebuild in
// progress (its generation, version and position). Read models kept in
// PostgreSQL key their rows by (projection, generation): a rebuild writes a
// new generation beside the active one, and the swap flips `generation`
// and deletes the old rows in one transaction (blue/green).
//
// es_leaderboard is the read model of the bot's per-guild leaderboard
// (actors/leaderboard_model.hpp says how it scores).
constexpr char schema_v5[] = R"sql(
CREATE TABLE es_projections (
  name               text        PRIMARY KEY,
  version            integer     NOT NULL,
  generation         bigint      NOT NULL DEFAULT 1,
  position           bigint      NOT NULL DEFAULT 0 CHECK (position >= 0),
  snapshot           jsonb,
  rebuild_generation bigint,
  rebuild_version    integer,
  rebuild_position   bigint      NOT NULL DEFAULT 0
                                 CHECK (rebuild_position >= 0),
  created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE es_leaderboard (
  projection   text   NOT NULL
    REFERENCES es_projections(name) ON DELETE CASCADE,
  generation   bigint NOT NULL,
  guild_id     text   NOT NULL,
  player_id    text   NOT NULL,
  display_name text   NOT NULL DEFAULT '',
  games        bigint NOT NULL DEFAULT 0,
  guesses      bigint NOT NULL DEFAULT 0,
  correct      bigint NOT NULL DEFAULT 0,
  points       bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (projection, generation, guild_id, player_id)
);
CREATE INDEX es_leaderboard_rank_idx ON es_leaderboard
  (projection, generation, guild_id, points DESC, correct DESC, player_id);
)sql";

const std::vector<migration>& migrations() {
  static const std::vector<migration> all{
      {1, "streams, events, snapshots, append functions", schema_v1},
      {2, "set-based appends", schema_v2},
      {3, "subscriptions and parked events", schema_v3},
      {4, "notify listeners of new events", schema_v4},
      {5, "projections and the leaderboard", schema_v5},
  };
  return all;
}

const char* const create_migrations_table = R"sql(
CREATE TABLE IF NOT EXISTS es_migrations (
  version    integer     PRIMARY KEY,
  name       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
))sql";

const char* const listen_events = "LISTEN " ES_EVENTS_CHANNEL;
const char* const unlisten_all = "UNLISTEN *";

// Ownership of exclusive subscriptions: a session-level advisory lock in
// the two-int4 key space (namespace 1702063203, hash of the name), so that
// it never looks like a position reservation (single bigint keys) nor
// collides with the stream locks (1702063201) or the migration lock
// (1702063202).
#define ES_OWNERSHIP_NAMESPACE "1702063203"
const pg::statement try_own_subscription{
    "es_try_own_subscription",
    "SELECT pg_try_advisory_lock(" ES_OWNERSHIP_NAMESPACE ", hashtext($1))",
    1};
const pg::statement disown_subscription{
    "es_disown_subscription",
    "SELECT pg_advisory_unlock(" ES_OWNERSHIP_NAMESPACE ", hashtext($1))", 1};
const pg::statement subscription_owner{
    "es_subscription_owner",
    "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' "
    "AND l.granted AND l.objsubid = 2 AND l.classid = " ES_OWNERSHIP_NAMESPACE
    " AND l.objid = hashtext($1)::oid AND l.database = (SELECT oid FROM "
    "pg_database WHERE datname = current_database())",
    1};

const char* const begin = "BEGIN";
const char* const commit = "COMMIT";
const char* const rollback = "ROLLBACK";

const pg::statement database_exists{
    "es_database_exists", "SELECT 1 FROM pg_database WHERE datname = $1", 1};

std::string create_database(const std::string& quoted_name) {
  return "CREATE DATABASE " + quoted_name;
}

const pg::statement lock_migrations{
    "es_lock_migrations", "SELECT pg_advisory_lock(1702063202, $1::int)", 1};
const pg::statement unlock_migrations{
    "es_unlock_migrations", "SELECT pg_advisory_unlock(1702063202, $1::int)",
    1};
const pg::statement applied_migrations{
    "es_applied_migrations", "SELECT version FROM es_migrations ORDER BY 1", 0};
const pg::statement record_migration{
    "es_record_migration",
    "INSERT INTO es_migrations (version, name) VALUES ($1::int, $2)", 2};

// Serializes appends to the same streams: an exclusive transaction-level
// advisory lock per stream (two-int4 key: namespace, hash of the stream id),
// taken in hash order so that multi-stream appends and groups cannot
// deadlock. A racing append waits for the one ahead and then checks its
// expectation against the committed version, instead of failing on the
// unique index and retrying. Streams whose hashes collide merely share a
// lock. The aggregate consumes the sorted subquery row by row, so the locks
// are taken in that order.
#define ES_STREAM_LOCK_NAMESPACE "1702063201"
const pg::statement lock_streams{
    "es_lock_streams",
    "SELECT count(pg_advisory_xact_lock(" ES_STREAM_LOCK_NAMESPACE ", h)) "
    "FROM (SELECT DISTINCT hashtext(s) AS h FROM unnest($1::text[]) AS u(s) "
    "ORDER BY 1) AS l",
    1};

const pg::statement reserve_positions{
    "es_reserve_positions",
    "SELECT pg_advisory_xact_lock_shared((1::bigint << 62) "
    "| es_position_floor())",
    0};

// The inserts of an append after a CTE `h` (ord, stream, v) holding each
// stream's settled head: parameters $5-$12 as in `append_events`. Shared by
// the store's append and the benchmark baseline, so that both insert alike.
#define ES_INSERT_AFTER_HEADS                                                  \
  "INSERT INTO es_events (event_id, stream_id, stream_version, event_type, "   \
  "event_version, data, metadata, created_at) "                                \
  "SELECT x.id, h.stream, h.v + x.off, x.type, x.ver, x.data, x.meta, "        \
  "'epoch'::timestamptz + x.us * interval '1 microsecond' "                    \
  "FROM unnest($5::int[], $6::int[], $7::uuid[], $8::text[], $9::int[], "      \
  "$10::jsonb[], $11::jsonb[], $12::bigint[]) "                                \
  "WITH ORDINALITY AS x(owner, off, id, type, ver, data, meta, us, ord) "      \
  "JOIN h ON h.ord = x.owner "                                                 \
  "ORDER BY x.ord "                                                            \
  "RETURNING global_position, stream_version"

// Each stream's head is read by joins of this one statement (after
// lock_streams, so no other append can move it), settled by es_settle_head,
// and then every event is inserted in the order given. The LIMITs keep both
// lookups parameterized index scans, also in the generic plan PostgreSQL
// switches to for a prepared statement (a plain join there hashes the
// whole es_streams table).
const pg::statement append_events{
    "es_append_events",
    "WITH h AS MATERIALIZED ("
    "SELECT a.ord, a.stream, es_settle_head(a.stream, a.kind, a.expected, "
    "coalesce(e.v, 0), coalesce(s.known, false), coalesce(s.deleted, false), "
    "$4::boolean) AS v "
    "FROM unnest($1::text[], $2::int[], $3::bigint[]) "
    "WITH ORDINALITY AS a(stream, kind, expected, ord) "
    "LEFT JOIN LATERAL (SELECT true AS known, "
    "t.deleted_at IS NOT NULL AS deleted FROM es_streams t "
    "WHERE t.stream_id = a.stream LIMIT 1) s ON true "
    "LEFT JOIN LATERAL (SELECT stream_version AS v FROM es_events "
    "WHERE stream_id = a.stream ORDER BY stream_version DESC LIMIT 1) e "
    "ON true) "
    ES_INSERT_AFTER_HEADS,
    12};

// Benchmark baseline only (tools/bench/baselines.cpp), never used by the
// store: an append to one stream as a single autocommit statement, i.e. one
// transaction and one commit per call, for comparison with the actor
// runtime's group commit. It does the same work as the store's append
// (lock_streams, reserve_positions, append_events), in the same order: each
// step is a subquery the next one refers to (OFFSET 0 keeps the planner
// from merging them; the LATERAL references keep it from reordering them),
// so the stream lock is taken first, then the position reservation, then
// the head is read and settled, all before the first row is inserted.
const pg::statement bench_baseline_insert{
    "es_bench_baseline_insert",
    "WITH h AS MATERIALIZED ("
    "SELECT 1::bigint AS ord, ($1::text[])[1] AS stream, "
    "es_settle_head(($1::text[])[1], ($2::int[])[1], ($3::bigint[])[1], "
    "coalesce(e.v, 0), coalesce(s.known, false), "
    "coalesce(s.deleted, false), $4::boolean) AS v "
    "FROM (SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock_shared("
    "(1::bigint << 62) | es_position_floor()) "
    "FROM (SELECT pg_advisory_xact_lock(" ES_STREAM_LOCK_NAMESPACE
    ", hashtext(($1::text[])[1])) OFFSET 0) AS l OFFSET 0) AS p OFFSET 0) AS r "
    "LEFT JOIN LATERAL (SELECT true AS known, "
    "t.deleted_at IS NOT NULL AS deleted FROM es_streams t "
    "WHERE t.stream_id = ($1::text[])[1] AND r.locked = 1 LIMIT 1) s ON true "
    "LEFT JOIN LATERAL (SELECT stream_version AS v FROM es_events "
    "WHERE stream_id = ($1::text[])[1] AND r.locked = 1 "
    "ORDER BY stream_version DESC LIMIT 1) e ON true) "
    ES_INSERT_AFTER_HEADS,
    12};

// -- Benchmark baselines --------------------------------------------------------
//
// commanded/eventstore's schema (its 1.x migrations, with jsonb payloads),
// in es_bench; and a copy of es_events for the physical limit.
const char* const bench_schema = R"sql(
BEGIN;
SELECT pg_advisory_xact_lock(1702063202, 2);
CREATE SCHEMA IF NOT EXISTS es_bench;
CREATE TABLE IF NOT EXISTS es_bench.cmd_streams (
  stream_id      bigserial   PRIMARY KEY,
  stream_uuid    text        NOT NULL UNIQUE,
  stream_version bigint      NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO es_bench.cmd_streams (stream_id, stream_uuid, stream_version)
  VALUES (0, '$all', 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS es_bench.cmd_events (
  event_id   uuid        PRIMARY KEY,
  event_type text        NOT NULL,
  data       jsonb       NOT NULL,
  metadata   jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS es_bench.cmd_stream_events (
  event_id                uuid   NOT NULL
                                 REFERENCES es_bench.cmd_events (event_id),
  stream_id               bigint NOT NULL
                                 REFERENCES es_bench.cmd_streams (stream_id),
  stream_version          bigint NOT NULL,
  original_stream_id      bigint REFERENCES es_bench.cmd_streams (stream_id),
  original_stream_version bigint,
  PRIMARY KEY (event_id, stream_id),
  UNIQUE (stream_id, stream_version)
);
CREATE TABLE IF NOT EXISTS es_bench.physical_events
  (LIKE es_events INCLUDING ALL);
COMMIT;
)sql";

// The data-modifying CTEs run in the order their results are needed: `a`
// (the $all row, locked) before `s` (the stream row), before the inserts,
// which join `s` so that a failed expectation inserts nothing. Foreign keys
// are checked at the end of the statement, as in commanded.
const pg::statement bench_commanded_append{
    "es_bench_commanded_append",
    "WITH a AS (UPDATE es_bench.cmd_streams "
    "SET stream_version = stream_version + cardinality($3::uuid[]) "
    "WHERE stream_id = 0 "
    "RETURNING stream_version - cardinality($3::uuid[]) AS base), "
    "s AS (INSERT INTO es_bench.cmd_streams AS t (stream_uuid, stream_version) "
    "SELECT $1, cardinality($3::uuid[]) FROM a "
    "ON CONFLICT (stream_uuid) DO UPDATE "
    "SET stream_version = t.stream_version + EXCLUDED.stream_version "
    "WHERE t.stream_version = $2::bigint "
    "RETURNING t.stream_id, t.stream_version - cardinality($3::uuid[]) "
    "AS base), "
    "x AS (SELECT * FROM unnest($3::uuid[], $4::text[], $5::jsonb[], "
    "$6::jsonb[], $7::bigint[]) WITH ORDINALITY "
    "AS x(id, type, data, meta, us, ord)), "
    "e AS (INSERT INTO es_bench.cmd_events (event_id, event_type, data, "
    "metadata, created_at) SELECT x.id, x.type, x.data, x.meta, "
    "'epoch'::timestamptz + x.us * interval '1 microsecond' FROM x, s "
    "RETURNING event_id), "
    "l AS (INSERT INTO es_bench.cmd_stream_events (event_id, stream_id, "
    "stream_version, original_stream_id, original_stream_version) "
    "SELECT x.id, 0, a.base + x.ord, s.stream_id, s.base + x.ord "
    "FROM x, a, s WHERE EXISTS (SELECT 1 FROM e) "
    "RETURNING 1) "
    "INSERT INTO es_bench.cmd_stream_events (event_id, stream_id, "
    "stream_version, original_stream_id, original_stream_version) "
    "SELECT x.id, s.stream_id, s.base + x.ord, s.stream_id, s.base + x.ord "
    "FROM x, s WHERE EXISTS (SELECT 1 FROM l) ORDER BY x.ord "
    "RETURNING stream_version",
    7};

const pg::statement bench_physical_insert{
    "es_bench_physical_insert",
    "INSERT INTO es_bench.physical_events (event_id, stream_id, "
    "stream_version, event_type, event_version, data, metadata, created_at) "
    "SELECT gen_random_uuid(), $1, $2::bigint + g, $4, 1, $5::jsonb, "
    "$6::jsonb, clock_timestamp() FROM generate_series(1, $3::bigint) AS g",
    6};

const pg::statement bench_plain_insert{
    "es_bench_plain_insert",
    "INSERT INTO es_bench.physical_events (event_id, stream_id, "
    "stream_version, event_type, event_version, data, metadata, created_at) "
    "SELECT x.id, $1, $2::bigint + x.ord, x.type, x.ver, x.data, x.meta, "
    "'epoch'::timestamptz + x.us * interval '1 microsecond' "
    "FROM unnest($3::uuid[], $4::text[], $5::int[], $6::jsonb[], "
    "$7::jsonb[], $8::bigint[]) WITH ORDINALITY "
    "AS x(id, type, ver, data, meta, us, ord) ORDER BY x.ord "
    "RETURNING stream_version",
    8};

std::vector<const pg::statement*> bench_statements() {
  return {&bench_commanded_append, &bench_physical_insert,
          &bench_plain_insert};
}

const pg::statement relaxed_commit{
    "es_relaxed_commit",
    "SELECT set_config('synchronous_commit', 'off', true)", 0};

const pg::statement health_check{"es_health_check", "SELECT 1", 0};

const pg::statement find_events{
    "es_find_events",
    "SELECT x.ord, s.stream_id, s.stream_version, s.global_position, "
    "coalesce(s.event_type = x.type AND s.event_version = x.ver "
    "AND s.data = x.data AND s.metadata = x.meta, false), "
    "coalesce((SELECT h.hidden_below FROM es_streams h "
    "WHERE h.stream_id = s.stream_id), 0) "
    "FROM unnest($1::uuid[], $2::text[], $3::int[], $4::jsonb[], $5::jsonb[]) "
    "WITH ORDINALITY AS x(id, type, ver, data, meta, ord) "
    "LEFT JOIN es_events s ON s.event_id = x.id ORDER BY x.ord",
    5};

const pg::statement stream_version{
    "es_stream_version",
    "SELECT coalesce(max(stream_version), 0) FROM es_events "
    "WHERE stream_id = $1",
    1};

const pg::statement stream_state{
    "es_stream_state",
    "SELECT true, deleted_at IS NOT NULL, hidden_below FROM es_streams "
    "WHERE stream_id = $1",
    1};

const pg::statement read_stream_forward{
    "es_read_stream_forward",
    "SELECT " ES_EVENT_COLUMNS " FROM es_events e "
    "WHERE e.stream_id = $1 AND e.stream_version >= $2::bigint "
    "AND e.stream_version > coalesce((SELECT s.hidden_below FROM es_streams s "
    "WHERE s.stream_id = $1), 0) "
    "ORDER BY e.stream_version LIMIT $3::bigint",
    3};

const pg::statement read_stream_backward{
    "es_read_stream_backward",
    "SELECT " ES_EVENT_COLUMNS " FROM es_events e "
    "WHERE e.stream_id = $1 AND e.stream_version <= $2::bigint "
    "AND e.stream_version > coalesce((SELECT s.hidden_below FROM es_streams s "
    "WHERE s.stream_id = $1), 0) "
    "ORDER BY e.stream_version DESC LIMIT $3::bigint",
    3};

const pg::statement log_horizon{"es_log_horizon", "SELECT es_log_horizon()", 0};

namespace {

#define ES_LOG_FWD(name, cond, n)                                              \
  pg::statement {                                                              \
    "es_read_log_fwd_" name,                                                   \
        "SELECT " ES_EVENT_COLUMNS " FROM es_events e "                        \
        "WHERE e.global_position >= $1::bigint "                               \
        "AND e.global_position <= $2::bigint " cond                            \
        " ORDER BY e.global_position LIMIT $" #n "::bigint",                   \
        n                                                                      \
  }

#define ES_LOG_BWD(name, cond, n)                                              \
  pg::statement {                                                              \
    "es_read_log_bwd_" name,                                                   \
        "SELECT " ES_EVENT_COLUMNS " FROM es_events e "                        \
        "WHERE e.global_position <= least($1::bigint, $2::bigint) " cond       \
        " ORDER BY e.global_position DESC LIMIT $" #n "::bigint",              \
        n                                                                      \
  }

#define ES_LOG_PAIR(name, cond, n)                                             \
  { ES_LOG_FWD(name, cond, n), ES_LOG_BWD(name, cond, n) }

const pg::statement read_log_statements[][2] = {
    ES_LOG_PAIR("all", "", 3),
    ES_LOG_PAIR("types", "AND e.event_type = ANY($3::text[])", 4),
    ES_LOG_PAIR("category", "AND e.category = $3", 4),
    ES_LOG_PAIR("correlation", "AND (e.metadata->>'correlation_id') = $3", 4),
    ES_LOG_PAIR("causation", "AND (e.metadata->>'causation_id') = $3", 4),
    ES_LOG_PAIR("actor", "AND (e.metadata->>'actor_id') = $3", 4),
    ES_LOG_PAIR("guild", "AND (e.metadata->>'guild_id') = $3", 4),
};

} // namespace

const pg::statement& read_log(log_filter_kind filter, bool forward) {
  return read_log_statements[static_cast<int>(filter)][forward ? 0 : 1];
}

std::vector<const pg::statement*> all_read_log_statements() {
  std::vector<const pg::statement*> out;
  for (auto& pair : read_log_statements)
    for (auto& stmt : pair)
      out.push_back(&stmt);
  return out;
}

const pg::statement stream_info{
    "es_stream_info", "SELECT " ES_STREAM_INFO_COLUMNS "WHERE s.stream_id = $1",
    1};

const pg::statement list_streams{
    "es_list_streams",
    "SELECT " ES_STREAM_INFO_COLUMNS
    "WHERE s.stream_id > $1 AND s.deleted_at IS NULL "
    "ORDER BY s.stream_id LIMIT $2::bigint",
    2};

const pg::statement check_version{
    "es_check_version",
    "SELECT es_check_version($1, $2::int, $3::bigint, "
    "coalesce((SELECT max(stream_version) FROM es_events WHERE stream_id = "
    "$1), "
    "0), coalesce((SELECT deleted_at IS NOT NULL FROM es_streams "
    "WHERE stream_id = $1), false))",
    3};

const pg::statement soft_delete_stream{
    "es_soft_delete_stream",
    "UPDATE es_streams SET deleted_at = clock_timestamp(), hidden_below = "
    "coalesce((SELECT max(stream_version) FROM es_events WHERE stream_id = "
    "$1), "
    "0) WHERE stream_id = $1 AND deleted_at IS NULL",
    1};

const pg::statement allow_hard_delete{
    "es_allow_hard_delete", "SELECT set_config('es.hard_delete', 'on', true)",
    0};

const pg::statement delete_stream_events{
    "es_delete_stream_events", "DELETE FROM es_events WHERE stream_id = $1", 1};

const pg::statement delete_stream_row{
    "es_delete_stream_row", "DELETE FROM es_streams WHERE stream_id = $1", 1};

const pg::statement delete_stream_snapshot{
    "es_delete_stream_snapshot",
    "DELETE FROM es_snapshots WHERE stream_id = $1", 1};

const pg::statement record_snapshot{
    "es_record_snapshot",
    "INSERT INTO es_snapshots (stream_id, stream_version, snapshot_type, data, "
    "metadata) VALUES ($1, $2::bigint, $3, $4::jsonb, $5::jsonb) "
    "ON CONFLICT (stream_id) DO UPDATE SET stream_version = "
    "EXCLUDED.stream_version, snapshot_type = EXCLUDED.snapshot_type, "
    "data = EXCLUDED.data, metadata = EXCLUDED.metadata, "
    "created_at = clock_timestamp()",
    5};

const pg::statement read_snapshot{
    "es_read_snapshot",
    "SELECT stream_version, snapshot_type, data::text, metadata::text, "
    "(extract(epoch FROM created_at) * 1000000)::bigint FROM es_snapshots "
    "WHERE stream_id = $1",
    1};

const pg::statement delete_snapshot{
    "es_delete_snapshot", "DELETE FROM es_snapshots WHERE stream_id = $1", 1};

// -- Persistent subscriptions -------------------------------------------------

#define ES_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

#define ES_SUBSCRIPTION_COLUMNS(t)                                             \
  t ".name, " t ".position, " ES_MICROS(t ".created_at") ", "                  \
      ES_MICROS(t ".updated_at")

// The inserted row when the name is new, else the existing one. The outer
// SELECT runs on the statement's snapshot, which does not see the CTE's
// insert (hence the UNION ALL) nor a row another transaction committed
// after the statement began (then no row comes back; see event_store.cpp).
const pg::statement open_subscription{
    "es_open_subscription",
    "WITH i AS (INSERT INTO es_subscriptions (name) VALUES ($1) "
    "ON CONFLICT (name) DO NOTHING RETURNING *) "
    "SELECT " ES_SUBSCRIPTION_COLUMNS("i") " FROM i "
    "UNION ALL "
    "SELECT " ES_SUBSCRIPTION_COLUMNS("s") " FROM es_subscriptions s "
    "WHERE s.name = $1 AND NOT EXISTS (SELECT 1 FROM i)",
    1};

const pg::statement read_subscription{
    "es_read_subscription",
    "SELECT " ES_SUBSCRIPTION_COLUMNS("s") " FROM es_subscriptions s "
    "WHERE s.name = $1",
    1};

const pg::statement save_checkpoint{
    "es_save_checkpoint",
    "UPDATE es_subscriptions SET position = greatest(position, $2::bigint), "
    "updated_at = clock_timestamp() WHERE name = $1 RETURNING position",
    2};

const pg::statement reset_checkpoint{
    "es_reset_checkpoint",
    "UPDATE es_subscriptions SET position = $2::bigint, "
    "updated_at = clock_timestamp() WHERE name = $1 RETURNING position",
    2};

const pg::statement delete_subscription{
    "es_delete_subscription", "DELETE FROM es_subscriptions WHERE name = $1",
    1};

const pg::statement list_subscriptions{
    "es_list_subscriptions",
    "SELECT " ES_SUBSCRIPTION_COLUMNS("s") ", "
    "(SELECT count(*) FROM es_parked_events p "
    "JOIN es_events e ON e.global_position = p.global_position "
    "WHERE p.subscription = s.name) "
    "FROM es_subscriptions s ORDER BY s.name",
    0};

// Both lookups run before the insert, on the statement's snapshot, and tell
// the caller which of the two is missing when nothing was parked.
const pg::statement park_event{
    "es_park_event",
    "WITH s AS (SELECT name FROM es_subscriptions WHERE name = $1), "
    "e AS (SELECT global_position FROM es_events "
    "WHERE global_position = $2::bigint), "
    "i AS (INSERT INTO es_parked_events (subscription, global_position, "
    "attempts, reason) SELECT s.name, e.global_position, $3::int, $4 "
    "FROM s, e ON CONFLICT (subscription, global_position) DO UPDATE SET "
    "attempts = EXCLUDED.attempts, reason = EXCLUDED.reason, "
    "parked_at = clock_timestamp() RETURNING 1) "
    "SELECT EXISTS (SELECT 1 FROM s), EXISTS (SELECT 1 FROM e), "
    "EXISTS (SELECT 1 FROM i)",
    4};

const pg::statement list_parked{
    "es_list_parked",
    "SELECT " ES_EVENT_COLUMNS ", p.attempts, p.reason, "
    ES_MICROS("p.parked_at") " FROM es_parked_events p "
    "JOIN es_events e ON e.global_position = p.global_position "
    "WHERE p.subscription = $1 AND p.global_position > $2::bigint "
    "ORDER BY p.global_position LIMIT $3::bigint",
    3};

const pg::statement unpark_event{
    "es_unpark_event",
    "DELETE FROM es_parked_events "
    "WHERE subscription = $1 AND global_position = $2::bigint",
    2};

// -- Projections ----------------------------------------------------------------

#define ES_PROJECTION_COLUMNS                                                  \
  "p.name, p.version, p.generation, p.position, p.snapshot::text, "           \
  "p.rebuild_generation, coalesce(p.rebuild_version, 0), "                     \
  "p.rebuild_position, " ES_MICROS("p.updated_at")

// As open_subscription: the inserted row when new, else the stored one.
const pg::statement open_projection{
    "es_open_projection",
    "WITH i AS (INSERT INTO es_projections (name, version) "
    "VALUES ($1, $2::int) ON CONFLICT (name) DO NOTHING RETURNING *) "
    "SELECT " ES_PROJECTION_COLUMNS " FROM i p "
    "UNION ALL "
    "SELECT " ES_PROJECTION_COLUMNS " FROM es_projections p "
    "WHERE p.name = $1 AND NOT EXISTS (SELECT 1 FROM i)",
    2};

const pg::statement save_projection_snapshot{
    "es_save_projection_snapshot",
    "UPDATE es_projections SET version = $2::int, position = $3::bigint, "
    "snapshot = $4::jsonb, updated_at = clock_timestamp() "
    "WHERE name = $1 AND position <= $3::bigint RETURNING position",
    4};

const pg::statement advance_projection{
    "es_advance_projection",
    "UPDATE es_projections SET "
    "position = CASE WHEN generation = $2::bigint THEN $4::bigint "
    "ELSE position END, "
    "rebuild_position = CASE WHEN generation = $2::bigint "
    "THEN rebuild_position ELSE $4::bigint END, "
    "updated_at = clock_timestamp() "
    "WHERE name = $1 AND ((generation = $2::bigint AND position = $3::bigint) "
    "OR (rebuild_generation = $2::bigint "
    "AND rebuild_position = $3::bigint)) RETURNING 1",
    4};

const pg::statement begin_projection_rebuild{
    "es_begin_projection_rebuild",
    "UPDATE es_projections SET rebuild_generation = "
    "greatest(generation, coalesce(rebuild_generation, 0)) + 1, "
    "rebuild_version = $2::int, rebuild_position = 0, "
    "updated_at = clock_timestamp() WHERE name = $1 "
    "RETURNING rebuild_generation, generation",
    2};

const pg::statement swap_projection{
    "es_swap_projection",
    "UPDATE es_projections SET generation = rebuild_generation, "
    "version = rebuild_version, position = rebuild_position, snapshot = NULL, "
    "rebuild_generation = NULL, rebuild_version = NULL, rebuild_position = 0, "
    "updated_at = clock_timestamp() "
    "WHERE name = $1 AND rebuild_generation = $2::bigint RETURNING position",
    2};

const pg::statement delete_projection{
    "es_delete_projection", "DELETE FROM es_projections WHERE name = $1", 1};

const pg::statement count_log_events{
    "es_count_log_events",
    "SELECT count(*), coalesce(max(global_position), 0) FROM es_events "
    "WHERE global_position <= $1::bigint "
    "AND ($2::text IS NULL OR category = $2)",
    2};

const pg::statement upsert_leaderboard{
    "es_upsert_leaderboard",
    "INSERT INTO es_leaderboard AS l (projection, generation, guild_id, "
    "player_id, display_name, games, guesses, correct, points) "
    "SELECT $1, $2::bigint, u.guild, u.player, u.name, u.games, u.guesses, "
    "u.correct, u.points FROM unnest($3::text[], $4::text[], $5::text[], "
    "$6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[]) "
    "AS u(guild, player, name, games, guesses, correct, points) "
    "ON CONFLICT (projection, generation, guild_id, player_id) DO UPDATE SET "
    "display_name = CASE WHEN EXCLUDED.display_name <> '' "
    "THEN EXCLUDED.display_name ELSE l.display_name END, "
    "games = l.games + EXCLUDED.games, guesses = l.guesses + EXCLUDED.guesses, "
    "correct = l.correct + EXCLUDED.correct, "
    "points = l.points + EXCLUDED.points",
    9};

const pg::statement drop_leaderboard_generations{
    "es_drop_leaderboard_generations",
    "DELETE FROM es_leaderboard "
    "WHERE projection = $1 AND generation <> $2::bigint",
    2};

#define ES_LEADERBOARD_COLUMNS                                                 \
  "l.guild_id, l.player_id, l.display_name, l.games, l.guesses, l.correct, "  \
  "l.points"
#define ES_LEADERBOARD_ACTIVE                                                  \
  "FROM es_leaderboard l JOIN es_projections p ON p.name = l.projection "     \
  "AND p.generation = l.generation WHERE l.projection = $1 "

const pg::statement leaderboard_top{
    "es_leaderboard_top",
    "SELECT " ES_LEADERBOARD_COLUMNS " " ES_LEADERBOARD_ACTIVE
    "AND l.guild_id = $2 "
    "ORDER BY l.points DESC, l.correct DESC, l.player_id LIMIT $3::bigint",
    3};

const pg::statement leaderboard_entry{
    "es_leaderboard_entry",
    "SELECT " ES_LEADERBOARD_COLUMNS " " ES_LEADERBOARD_ACTIVE
    "AND l.guild_id = $2 AND l.player_id = $3",
    3};

const pg::statement leaderboard_all{
    "es_leaderboard_all",
    "SELECT " ES_LEADERBOARD_COLUMNS " " ES_LEADERBOARD_ACTIVE
    "ORDER BY l.guild_id, l.player_id",
    1};

std::vector<const pg::statement*> all_statements() {
  std::vector<const pg::statement*> out{
      &lock_migrations,     &unlock_migrations,      &applied_migrations,
      &record_migration,    &reserve_positions,      &append_events,
      &find_events,         &stream_version,         &stream_state,
      &read_stream_forward, &read_stream_backward,   &log_horizon,
      &stream_info,         &list_streams,           &check_version,
      &soft_delete_stream,  &allow_hard_delete,      &delete_stream_events,
      &delete_stream_row,   &delete_stream_snapshot, &record_snapshot,
      &read_snapshot,       &delete_snapshot,        &relaxed_commit,
      &health_check,        &lock_streams,           &bench_baseline_insert,
      &open_subscription,   &read_subscription,      &save_checkpoint,
      &reset_checkpoint,    &delete_subscription,    &list_subscriptions,
      &park_event,          &list_parked,            &unpark_event,
      &try_own_subscription, &disown_subscription,   &subscription_owner};
  // Projections (migration 5).
  out.insert(out.end(),
             {&open_projection, &save_projection_snapshot,
              &advance_projection, &begin_projection_rebuild,
              &swap_projection, &delete_projection, &count_log_events,
              &upsert_leaderboard, &drop_leaderboard_generations,
              &leaderboard_top, &leaderboard_entry, &leaderboard_all});
  auto logs = all_read_log_statements();
  out.insert(out.end(), logs.begin(), logs.end());
  return out;
}

} // namespace es::sql
