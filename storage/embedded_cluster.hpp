// Embedded PostgreSQL: a cluster run from the PostgreSQL 15 binaries, for
// tests, the demo and tools/es-pg.
//
// `embedded_cluster::start` creates a cluster in `data_dir` (initdb) unless
// one is there, starts the server unless it already runs, creates the
// database unless it exists, and returns a handle that carries a libpq DSN.
// The server listens on a unix socket only (listen_addresses = ''), in the
// data dir or, when that path is too long for a socket, in /tmp/es-pg-<hash>.
//
// Ownership: the handle is move-only and owns the server only if `start`
// started it. Its destructor (or `stop`) then stops the server and, for an
// ephemeral cluster, removes the data dir; `release` leaves the server running
// for someone else to stop (`stop_at`). A handle that found the server already
// running (`reused()`) never stops it and never removes its data: whoever
// started it stops it.
//
// Root: initdb and pg_ctl refuse to run as root, so when geteuid() == 0 they
// run as the `postgres` system user (runuser -u postgres --) and the data dir
// belongs to that user. The server needs every parent of the data dir to be
// searchable by `postgres`; when the requested dir is not (say, under /root,
// mode 700), the data lives in /var/tmp/gamebot-es/<name>-<hash of the path>
// instead, a warning says so, and every later call with the same requested
// path finds it there again (`resolve_data_dir`). The socket sits in a dir of
// mode 0700 owned by `postgres`, so clients must run as root or `postgres`.
//
// Files the component keeps in the data dir, next to PostgreSQL's own:
// es.conf (settings, rewritten on every start; included from postgresql.conf),
// es.port (the port, reused by later starts) and server.log.
//
// Concurrency: `start` and `stop` take an exclusive flock on the data dir, so
// two processes starting the same dir never both run initdb: the second one
// waits and then reuses the first one's server. Threading: every function
// blocks on subprocesses (up to `start_timeout`); call them from main or a
// detached actor, never from a CAF scheduler thread. A handle is used by one
// thread at a time. Errors are values, nothing throws: `ec::invalid_argument`
// for bad options, else `ec::cluster_failed` with the failing command's output
// (and the tail of server.log when the server does not start).
//
// A killed server's postmaster.pid is left to pg_ctl, which handles it, except
// where the dead postmaster stays a zombie (PID 1 of a container that reaps
// nothing): then `start` removes the lock files itself, once no process uses
// the old shared memory.
#pragma once

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace es::storage {

/// Where Debian installs the PostgreSQL 15 server binaries.
inline constexpr const char* default_bin_dir = "/usr/lib/postgresql/15/bin";

/// How `stop_at` stops the server: `fast` (clean: disconnect clients,
/// checkpoint) or `immediate` (as if it crashed: recovery runs on the next
/// start; fault-injection tests).
enum class stop_mode : uint8_t { fast, immediate };

struct cluster_options {
  /// PGDATA as requested: created (initdb) if missing, reused if present. As
  /// root it may live elsewhere; see the file comment.
  std::filesystem::path data_dir;
  /// Remove the data dir when the handle stops the server (tests).
  bool ephemeral = false;
  /// false: fsync = off and full_page_writes = off. Tests only: a crash may
  /// corrupt the cluster. synchronous_commit is left alone.
  bool fsync = true;
  /// 0: the port remembered in the data dir, else a free loopback port.
  uint16_t port = 0;
  std::filesystem::path bin_dir = default_bin_dir;
  /// Created if missing. The DSN names this database.
  std::string database = "gamebot";
  /// Bound on initdb, on the server start and on waiting for the lock.
  std::chrono::seconds start_timeout{60};
};

class embedded_cluster {
public:
  /// Creates and/or starts the cluster (see the file comment) and makes sure
  /// the database exists.
  static caf::expected<embedded_cluster> start(cluster_options opts);

  /// Stops the server that runs in `data_dir` (the requested path, as given
  /// to `start`), whoever started it; then removes the data dir if
  /// `remove_dir`. A server that does not run is not an error.
  static caf::error
  stop_at(const std::filesystem::path& data_dir, bool remove_dir,
          const std::filesystem::path& bin_dir = default_bin_dir,
          stop_mode mode = stop_mode::fast);

  /// Where the data of the requested `data_dir` lives: `data_dir` itself
  /// (made absolute), or its fallback under /var/tmp/gamebot-es when running
  /// as root and `postgres` cannot reach `data_dir`. Creates nothing.
  static caf::expected<std::filesystem::path>
  resolve_data_dir(const std::filesystem::path& data_dir);

  /// The DSN of the server running in (the resolved) `data_dir` for
  /// `database`, or `ec::unavailable` when none answers there.
  static caf::expected<std::string>
  running_dsn(const std::filesystem::path& data_dir,
              const std::string& database = "gamebot");

  embedded_cluster(embedded_cluster&& other) noexcept;
  embedded_cluster& operator=(embedded_cluster&& other) noexcept;
  embedded_cluster(const embedded_cluster&) = delete;
  embedded_cluster& operator=(const embedded_cluster&) = delete;

  /// Stops the server unless released, reused or already stopped; logs a
  /// failure instead of reporting it.
  ~embedded_cluster();

  /// libpq keyword/value DSN, e.g. "host=/path/data port=54321
  /// dbname=gamebot user=postgres".
  const std::string& dsn() const noexcept { return dsn_; }

  /// Where the data really lives (absolute; differs from the requested path
  /// only in the root fallback).
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }

  uint16_t port() const noexcept { return port_; }

  /// True if the server was already running: this handle does not own it.
  bool reused() const noexcept { return !owns_server_; }

  /// If this handle started the server: pg_ctl stop -m fast -w, then removes
  /// the data dir if ephemeral. Idempotent; a no-op for a reused or released
  /// handle.
  caf::error stop();

  /// Leaves the server running when the handle goes away (es-pg start).
  void release() noexcept { active_ = false; }

private:
  embedded_cluster() = default;

  std::string dsn_;
  std::filesystem::path data_dir_;
  std::filesystem::path socket_dir_;
  std::filesystem::path bin_dir_;
  std::chrono::seconds timeout_{60};
  uint16_t port_ = 0;
  bool ephemeral_ = false;
  bool owns_server_ = false;
  /// False once stopped, released or moved from.
  bool active_ = false;
};

} // namespace es::storage
