// Every default of the event store's configuration, as a documented
// constant, in one place. config/store_options.hpp uses them; the example
// .ini files in config/ list them with the same values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace es::defaults {

/// Largest encoded event payload (data or metadata), in bytes: 1 MiB.
inline constexpr size_t max_event_bytes = 1024 * 1024;

/// Longest stream id, in bytes. Stream ids are also keys of two indexes;
/// PostgreSQL's btree tuples are limited to about 2.7 kB.
inline constexpr size_t max_stream_id_bytes = 256;

/// Longest event type name, in bytes.
inline constexpr size_t max_event_type_bytes = 128;

/// Most events in one append call (one transaction).
inline constexpr size_t max_events_per_append = 10'000;

/// Largest page a read may ask for.
inline constexpr size_t max_page_size = 10'000;

/// A soft-deleted stream may be appended to again ("recreated"); its old
/// events stay hidden from stream reads.
inline constexpr bool allow_stream_recreate = true;

/// Hard deletes physically remove a stream's events. Off by default, as in
/// commanded/eventstore: an event store that forgets is the exception.
inline constexpr bool enable_hard_deletes = false;

// -- Connection resilience (storage/backoff.hpp, storage/breaker.hpp,
//    storage/group_commit.hpp) ------------------------------------------------

/// Most events in one group-commit transaction. A single append larger than
/// this still commits, alone.
inline constexpr size_t group_commit_max_events = 1000;

/// Most encoded bytes (payloads) in one group-commit transaction: 4 MiB. A
/// single append larger than this still commits, alone.
inline constexpr size_t group_commit_max_bytes = 4 * 1024 * 1024;

/// While a group-commit transaction is in flight, another connection starts
/// the next group only once this many appends wait; fewer wait for the
/// transaction in flight to finish. Larger groups cost the server less per
/// event than more concurrent transactions (es-bench, README), and with no
/// transaction in flight an append never waits for this.
inline constexpr size_t group_commit_min_parallel = 32;

/// ...or once this many events wait, in however few appends: appends of a
/// hundred events fill a transaction on their own, and waiting for 32 of
/// them left three of four connections idle (es-bench append, batch 100,
/// 8 streams: 0.46 of raw libpq; README, "Speed").
inline constexpr size_t group_commit_min_parallel_events = 256;

/// Most appends waiting for a transaction (in normal operation and while
/// PostgreSQL is unreachable); past it appends fail at once with
/// `ec::unavailable`.
inline constexpr size_t outage_queue_max_items = 10'000;

/// Most encoded bytes of appends waiting for a transaction: 64 MiB.
inline constexpr size_t outage_queue_max_bytes = 64 * 1024 * 1024;

/// The circuit breaker's sliding window over recent connection outcomes.
inline constexpr std::chrono::milliseconds breaker_window{10'000};

/// Connection failures within the window that open the breaker.
inline constexpr size_t breaker_failure_threshold = 5;

/// Share of failed calls within the window that opens the breaker...
inline constexpr double breaker_failure_rate = 0.5;

/// ...once the window holds at least this many calls.
inline constexpr size_t breaker_min_calls = 10;

/// How long an open breaker fails calls fast before it lets probes through.
inline constexpr std::chrono::milliseconds breaker_open_duration{5'000};

/// Probe calls a half-open breaker admits; all must succeed to close it.
inline constexpr size_t breaker_half_open_probes = 1;

/// First reconnect delay.
inline constexpr std::chrono::milliseconds backoff_initial{50};

/// Factor by which each reconnect delay grows.
inline constexpr double backoff_multiplier = 2.0;

/// Largest reconnect delay.
inline constexpr std::chrono::milliseconds backoff_max{5'000};

/// Randomized share of each reconnect delay (0: none, 1: full jitter), so
/// that many processes do not reconnect in lockstep.
inline constexpr double backoff_jitter = 0.2;

// -- The actor runtime (config/node_options.hpp) -----------------------------

/// Data directory of the embedded PostgreSQL cluster, used when no DSN is
/// given (relative paths: to the working directory).
inline constexpr const char* data_dir = "var/pg";

/// Connection workers in the pool (one PGconn and one thread each).
inline constexpr size_t pool_size = 4;

/// How long a caller waits for an append or read, including time spent in
/// the outage queue while PostgreSQL is unreachable.
inline constexpr std::chrono::milliseconds request_timeout{5'000};

/// A connection whose server has not answered a request for this long is
/// broken by the watchdog (and its request retried or failed), so a stalled
/// network or a hung server cannot hold a worker forever.
inline constexpr std::chrono::milliseconds query_timeout{30'000};

/// How often the connection supervisor checks each idle connection.
inline constexpr std::chrono::milliseconds health_interval{2'000};

/// A stream actor without appends for this long is passivated (stopped);
/// the next append to its stream spawns a new one.
inline constexpr std::chrono::milliseconds stream_idle_timeout{60'000};

/// The node restarts a crashed component at most this many times within
/// `restart_window`; one more crash and the node stops (escalates).
inline constexpr size_t max_restarts = 5;
inline constexpr std::chrono::milliseconds restart_window{60'000};

// -- Subscriptions (actors/delivery_window.hpp) --------------------------------

/// Events a subscription holds in memory (queued and in flight); past it a
/// slow subscriber's events are read from the database again later.
inline constexpr size_t subscription_max_buffered = 10'000;

/// Events at most in flight at one subscriber (buffer_size).
inline constexpr size_t subscription_buffer_size = 100;

/// Events per message to a subscriber (batch_size): half the buffer, so a
/// second batch is on its way while the subscriber handles the first.
inline constexpr size_t subscription_batch_size = 50;

/// Events per catch-up read of a subscription.
inline constexpr size_t subscription_page_size = 1'000;

/// Catch-up reads of one subscription in flight at once, where the log is
/// dense in its events (ranges of page_size positions on several pool
/// connections).
inline constexpr size_t subscription_parallel_reads = 3;

/// How often the dispatcher reads the log when nothing woke it (a safety
/// net: commits of this process and, through LISTEN/NOTIFY, of other
/// processes wake it at once).
inline constexpr std::chrono::milliseconds dispatcher_poll_interval{100};

/// The least time between two reads of the dispatcher when commits wake it
/// faster: events committed meanwhile go out in one batch, which spares
/// every live subscription and subscriber a message per commit (and adds at
/// most this much latency). It grows with the live subscriptions
/// (`dispatcher_read_interval_per_subscription` each) from
/// `dispatcher_read_interval_min` to `dispatcher_read_interval`: a few
/// projections hear of a commit within a few milliseconds, while a
/// thousand subscribers get fewer, larger batches. es-bench fanout, 1,000
/// subscribers at 1,000 events/s, CAF's stealing scheduler, quiet machine:
/// p99 37-51 ms with 25 ms, 32-46 ms with 20 ms (two outliers in 21 runs),
/// 27-59 ms with 15 ms, which costs a quarter more CPU than 25 ms (README,
/// "Speed"). Options `store.dispatcher-read-interval`, `-min` and
/// `-per-subscription`.
inline constexpr std::chrono::milliseconds dispatcher_read_interval{20};
inline constexpr std::chrono::milliseconds dispatcher_read_interval_min{5};
inline constexpr std::chrono::microseconds
    dispatcher_read_interval_per_subscription{20};

/// Longest wait of the session connection on its socket before it looks at
/// its mailbox again (lock requests wait at most this long).
inline constexpr std::chrono::milliseconds session_tick{20};

/// How often a standby exclusive subscription tries to take ownership.
inline constexpr std::chrono::milliseconds ownership_retry{500};

/// Recent events the dispatcher keeps for subscriptions that go live.
inline constexpr size_t dispatcher_backlog = 10'000;

/// Deliveries of one event before it is parked.
inline constexpr uint32_t subscription_max_attempts = 5;

/// How long a subscriber has to acknowledge an event.
inline constexpr std::chrono::milliseconds subscription_ack_timeout{30'000};

/// The delay before the first redelivery; doubles per attempt up to the max.
inline constexpr std::chrono::milliseconds subscription_retry_delay{100};
inline constexpr std::chrono::milliseconds subscription_retry_delay_max{10'000};

/// A persistent subscription writes its checkpoint after this many settled
/// events or this much time, whichever comes first.
inline constexpr size_t subscription_checkpoint_every = 100;
inline constexpr std::chrono::milliseconds subscription_checkpoint_interval{
    1'000};

// -- The operator console and the monitoring endpoint (config/es_config.hpp) --

/// Address the inspector actor is published on for es-console. Loopback:
/// CAF's remote protocol has no authentication, so anything else needs
/// `console.allow-remote`.
inline constexpr const char* console_bind = "127.0.0.1";

/// TCP port of the console (0: the system picks a free one).
inline constexpr uint16_t console_port = 47'017;

/// Binding the console to a non-loopback address is refused unless this is
/// set (and then only warned about).
inline constexpr bool console_allow_remote = false;

/// The HTTP monitoring endpoint (/metrics, /healthz, /readyz) is off unless
/// configured.
inline constexpr bool http_enabled = false;

/// Address of the HTTP monitoring endpoint. Loopback; anything else needs
/// `http.allow-remote` (the endpoint has no authentication either).
inline constexpr const char* http_bind = "127.0.0.1";

/// TCP port of the HTTP monitoring endpoint (0: a free one).
inline constexpr uint16_t http_port = 47'018;

/// Binding the HTTP endpoint to a non-loopback address (e.g. 0.0.0.0 for a
/// container's probes) is refused unless this is set.
inline constexpr bool http_allow_remote = false;

/// How long the HTTP endpoint waits for the node (and for each
/// subscription) to answer a status request before /healthz says 503.
inline constexpr std::chrono::milliseconds http_status_timeout{1'000};

} // namespace es::defaults
