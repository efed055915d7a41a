// A loopback TCP proxy for fault-injection tests.
//
// `tcp_proxy` listens on 127.0.0.1 on an ephemeral port and forwards every
// accepted connection to one upstream server: a unix socket (the test
// PostgreSQL) or a TCP host:port. A test points its client at the proxy and,
// while traffic flows, makes the network misbehave on command: hold all bytes
// (stall), look unreachable (refuse), drop every connection (cut_all), or drop
// a client right after its transaction reached the server (an ambiguous
// commit, cut_after_client_sync).
//
// The proxy runs its own thread: one poll() loop over the listening socket, a
// wake-up pipe and both sockets of every connection. Every control call is
// thread-safe and synchronous: when it returns, the event loop has applied it
// (so `set_mode(stall)` means no further byte moves, `cut_all()` means every
// socket is closed). Nothing here sleeps; waiting for the proxy to reach a
// state goes through `wait_for`. Should the event loop fail (a system call
// it cannot recover from), every later call but the destructor throws
// std::runtime_error saying why.
//
// To know where a PostgreSQL transaction ends, the proxy follows each
// client's frontend protocol (v3) stream: the untyped startup packets
// (SSLRequest / GSSENCRequest, which the server answers with one byte, then
// the startup message), then typed messages (1 type byte, then an int32
// length that counts itself). Messages may arrive split across reads in any
// way. If a connection negotiates encryption the stream becomes opaque and
// its Syncs are no longer seen, so clients should say
// `sslmode=disable gssencmode=disable` (as `proxied_dsn` does).
//
// Dependencies: POSIX sockets, libpq (only for the DSN helpers) and the
// standard library.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace es::test {

/// What the proxy does with traffic.
enum class proxy_mode {
  /// Forward bytes both ways as they come.
  pass,
  /// Keep every connection open but move no byte in either direction. Bytes
  /// already read stay buffered and are delivered once the mode is `pass`
  /// again. New connections are accepted (and stall as well).
  stall,
  /// Accept new connections and close them at once, so the server looks
  /// unreachable. Connections already open keep being forwarded.
  refuse,
};

/// A consistent snapshot of the proxy's counters.
///
/// Closes are counted before any peer can notice them: once a client sees
/// its connection end, `connections`, `upstreams` and `trap_cuts` already
/// say so; likewise `accepted` for a refused client. The counters are
/// otherwise published after each round of the event loop, so to await a
/// state that only the proxy observes use `tcp_proxy::wait_for`.
struct proxy_stats {
  /// Client connections currently open (see `tcp_proxy::connections`).
  size_t connections = 0;
  /// Server-side sockets currently open. After a `cut_after_client_sync`
  /// cut, the server side stays open (and its output is discarded) until the
  /// server closes it, so `upstreams` reaching 0 after a cut means the server
  /// has processed everything forwarded to it, the Sync included.
  size_t upstreams = 0;
  /// Connections accepted since construction, refused ones included.
  uint64_t accepted = 0;
  /// Frontend Sync messages forwarded to the server since construction.
  uint64_t syncs_forwarded = 0;
  /// Times a `cut_after_client_sync` trap went off.
  uint64_t trap_cuts = 0;
};

class tcp_proxy {
public:
  /// Starts listening on 127.0.0.1 (ephemeral port) and starts the event
  /// loop, in `pass` mode. `upstream` is either an absolute unix socket path
  /// ("/run/pg/.s.PGSQL.5432") or "host:port" ("127.0.0.1:5432",
  /// "[::1]:5432", "localhost:5432"; resolved here, once). The upstream is
  /// only connected to when a client arrives; if that fails, the client's
  /// connection is closed. Throws std::invalid_argument for a malformed
  /// upstream and std::system_error if the listening socket, the wake-up
  /// pipe or the thread cannot be set up.
  explicit tcp_proxy(const std::string& upstream);

  /// Stops the event loop, joins its thread and closes every socket.
  ~tcp_proxy();

  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  /// The port the proxy listens on (127.0.0.1).
  uint16_t port() const noexcept;

  /// Switches the mode (see `proxy_mode`); in effect when this returns.
  void set_mode(proxy_mode mode);

  /// The current mode.
  proxy_mode mode() const;

  /// Closes both sides of every current connection, including server sides
  /// still draining after a trap cut. Done when this returns: the next
  /// request on a cut client connection fails. New connections are served
  /// as usual (subject to the mode).
  void cut_all();

  /// Arms a one-shot trap, replacing any armed one: once the proxy has
  /// forwarded to the server the `n`-th frontend Sync message counted from
  /// now, from any client, it closes that client's connection at once. No
  /// server byte reaches that client any more, and no client byte after the
  /// Sync reaches the server. The server side is half-closed (so the server
  /// reads the Sync, runs it, then sees the end of the stream) and drained
  /// until the server closes it: the transaction commits, but the client
  /// never learns the outcome. `n == 0` disarms the trap.
  void cut_after_client_sync(size_t n);

  /// Client connections currently open: accepted, not refused, not yet
  /// closed by either peer or by a cut. A connection whose peers have both
  /// ended their streams is closed.
  size_t connections() const;

  /// Connections accepted since construction, refused ones included.
  uint64_t accepted() const;

  /// All counters at one instant.
  proxy_stats stats() const;

  /// Blocks until `pred(stats())` holds or `timeout` passes; returns whether
  /// it holds. `pred` runs on the calling thread whenever the counters
  /// change, with the proxy's lock held: it must not call the proxy.
  bool wait_for(const std::function<bool(const proxy_stats&)>& pred,
                std::chrono::milliseconds timeout) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// The upstream (`tcp_proxy` syntax) a libpq DSN connects to: for a host that
/// is a socket directory, "<host>/.s.PGSQL.<port>"; otherwise
/// "<hostaddr or host>:<port>". The port defaults to 5432. Throws
/// std::invalid_argument if `dsn` does not parse or names no host or
/// several.
std::string upstream_of(const std::string& dsn);

/// A DSN reaching the same database as `dsn`, but through a proxy on
/// 127.0.0.1:`port`: host, port, and dbname, user and password as set in
/// `dsn`, plus `sslmode=disable gssencmode=disable`. Throws
/// std::invalid_argument if `dsn` does not parse.
std::string proxied_dsn(const std::string& dsn, uint16_t port);

} // namespace es::test
