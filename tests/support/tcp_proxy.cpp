#include "tests/support/tcp_proxy.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace es::test {

namespace {

// -- file descriptors ---------------------------------------------------------

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error{errno, std::generic_category(), "tcp_proxy: " + what};
}

/// Owns one file descriptor.
class unique_fd {
public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_{fd} {}
  unique_fd(unique_fd&& other) noexcept : fd_{other.release()} {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }

  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

/// Makes `fd` non-blocking and close-on-exec (portable: no accept4/pipe2).
void make_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    throw_errno("fcntl(O_NONBLOCK)");
  int fd_flags = ::fcntl(fd, F_GETFD);
  if (fd_flags < 0 || ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) < 0)
    throw_errno("fcntl(FD_CLOEXEC)");
}

unique_fd nonblocking_socket(int family) {
  unique_fd fd{::socket(family, SOCK_STREAM, 0)};
  if (!fd)
    throw_errno("socket");
  make_nonblocking(fd.get());
  return fd;
}

/// Small PostgreSQL messages should not wait for Nagle.
void set_nodelay(int fd) {
  int one = 1;
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

// -- the upstream address -----------------------------------------------------

struct socket_address {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* get() const {
    return reinterpret_cast<const sockaddr*>(&storage);
  }
};

socket_address unix_address(const std::string& path) {
  socket_address out;
  sockaddr_un un{};
  if (path.size() >= sizeof un.sun_path)
    throw std::invalid_argument{"tcp_proxy: unix socket path too long: " +
                                path};
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
  std::memcpy(&out.storage, &un, sizeof un);
  out.length = static_cast<socklen_t>(sizeof un);
  return out;
}

socket_address tcp_address(const std::string& upstream) {
  auto colon = upstream.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == upstream.size())
    throw std::invalid_argument{
        "tcp_proxy: upstream is neither an absolute unix socket path nor "
        "host:port: " +
        upstream};
  auto host = upstream.substr(0, colon);
  auto port = upstream.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
      rc != 0)
    throw std::invalid_argument{"tcp_proxy: cannot resolve " + upstream + ": " +
                                ::gai_strerror(rc)};
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard{found,
                                                             &::freeaddrinfo};
  socket_address out;
  std::memcpy(&out.storage, found->ai_addr, found->ai_addrlen);
  out.length = found->ai_addrlen;
  return out;
}

socket_address resolve_upstream(const std::string& upstream) {
  if (!upstream.empty() && upstream.front() == '/')
    return unix_address(upstream);
  return tcp_address(upstream);
}

// -- the frontend protocol ----------------------------------------------------

/// Follows one client's PostgreSQL frontend stream (protocol v3), fed in
/// arbitrary pieces, and records where each Sync message ends.
///
/// The stream starts with untyped packets (int32 length, int32 code, body).
/// SSLRequest and GSSENCRequest get a one-byte answer from the server: 'N'
/// means "no", and another startup packet follows; anything else starts an
/// encrypted stream, which this class cannot read (it goes `opaque`). Any
/// other startup packet is the startup message proper; typed messages (type
/// byte, int32 length counting itself, body) follow it.
class frontend_tracker {
public:
  /// Feeds the next bytes the client sent.
  void on_client_bytes(const char* data, size_t size) {
    size_t i = 0;
    while (i < size) {
      if (phase_ == phase::opaque || phase_ == phase::awaiting_answer) {
        // A client that talks before the server answered its encryption
        // request is not one we understand.
        phase_ = phase::opaque;
        offset_ += size - i;
        return;
      }
      if (body_left_ > 0) {
        auto take =
            static_cast<size_t>(std::min<uint64_t>(body_left_, size - i));
        body_left_ -= take;
        offset_ += take;
        i += take;
        if (body_left_ == 0)
          end_message();
        continue;
      }
      header_[header_size_++] = static_cast<unsigned char>(data[i++]);
      ++offset_;
      if (header_size_ == header_length())
        begin_message();
    }
  }

  /// Feeds the next bytes the server sent (only the answer to an encryption
  /// request matters).
  void on_server_bytes(const char* data, size_t size) {
    if (phase_ == phase::awaiting_answer && size > 0)
      phase_ = data[0] == 'N' ? phase::startup : phase::opaque;
  }

  /// Client stream offsets just past each Sync seen and not yet popped, in
  /// stream order.
  std::deque<uint64_t>& sync_ends() noexcept { return sync_ends_; }

private:
  enum class phase { startup, awaiting_answer, messages, opaque };

  static constexpr uint32_t ssl_request_code = 80877103;
  static constexpr uint32_t gssenc_request_code = 80877104;
  static constexpr uint32_t max_startup_length = 10000; // as the server's

  size_t header_length() const { return phase_ == phase::startup ? 8 : 5; }

  uint32_t int32_at(size_t pos) const {
    return uint32_t{header_[pos]} << 24 | uint32_t{header_[pos + 1]} << 16 |
           uint32_t{header_[pos + 2]} << 8 | uint32_t{header_[pos + 3]};
  }

  void begin_message() {
    if (phase_ == phase::startup) {
      auto length = int32_at(0);
      if (length < 8 || length > max_startup_length) {
        phase_ = phase::opaque;
        return;
      }
      body_left_ = length - 8;
    } else {
      auto length = int32_at(1);
      if (length < 4) {
        phase_ = phase::opaque;
        return;
      }
      body_left_ = length - 4;
    }
    if (body_left_ == 0)
      end_message();
  }

  void end_message() {
    header_size_ = 0;
    if (phase_ == phase::startup) {
      auto code = int32_at(4);
      bool encryption = code == ssl_request_code || code == gssenc_request_code;
      phase_ = encryption ? phase::awaiting_answer : phase::messages;
    } else if (header_[0] == 'S') {
      sync_ends_.push_back(offset_);
    }
  }

  phase phase_ = phase::startup;
  std::array<unsigned char, 8> header_{};
  size_t header_size_ = 0;
  uint64_t body_left_ = 0;
  uint64_t offset_ = 0; // client bytes seen so far
  std::deque<uint64_t> sync_ends_;
};

// -- connections --------------------------------------------------------------

constexpr size_t buffer_capacity = 64 * 1024;

/// One direction of a connection: bytes read from one socket and not yet
/// written to the other.
struct half {
  std::string bytes;
  bool eof = false;  // the source has sent its last byte
  bool shut = false; // we have shut down writing to the sink

  size_t room() const { return buffer_capacity - bytes.size(); }
  bool finished() const { return eof && bytes.empty(); }
};

/// One proxied client connection and its server side.
struct connection {
  unique_fd client;
  unique_fd server;
  bool connecting = true; // the upstream connect() is in progress
  bool draining = false;  // cut by the trap: the server side is emptied
  half to_server;
  half to_client;
  uint64_t forwarded_to_server = 0; // client bytes written to the server
  frontend_tracker frontend;
  // What the last poll() reported for each socket.
  short client_revents = 0;
  short server_revents = 0;

  bool closed() const { return !client && !server; }
};

constexpr short readable = POLLIN | POLLHUP | POLLERR;

enum class io_result { progress, would_block, eof, failed };

/// Reads what fits into `into` from `fd`.
io_result read_some(int fd, half& into, size_t& got) {
  got = 0;
  auto old_size = into.bytes.size();
  auto room = into.room();
  into.bytes.resize(old_size + room);
  auto n = ::recv(fd, into.bytes.data() + old_size, room, 0);
  int err = errno;
  into.bytes.resize(old_size + static_cast<size_t>(std::max<ssize_t>(n, 0)));
  if (n > 0) {
    got = static_cast<size_t>(n);
    return io_result::progress;
  }
  if (n == 0)
    return io_result::eof;
  return would_block(err) ? io_result::would_block : io_result::failed;
}

/// Writes up to `limit` bytes of `from` to `fd`.
io_result write_some(int fd, half& from, size_t limit, size_t& sent) {
  sent = 0;
  auto n = ::send(fd, from.bytes.data(), std::min(limit, from.bytes.size()),
                  MSG_NOSIGNAL);
  if (n < 0)
    return would_block(errno) ? io_result::would_block : io_result::failed;
  sent = static_cast<size_t>(n);
  from.bytes.erase(0, sent);
  return io_result::progress;
}

} // namespace

// -- the proxy ----------------------------------------------------------------

struct tcp_proxy::impl {
  // -- set up once, then read-only ----------------------------------------
  socket_address upstream;
  unique_fd listener;
  uint16_t port = 0;
  unique_fd wake_read;
  unique_fd wake_write;

  // -- shared with the control API, guarded by `mutex` --------------------
  std::mutex mutex;
  std::condition_variable changed; // `applied` or `stats` moved
  struct {
    proxy_mode mode = proxy_mode::pass;
    bool cut_all = false;
    std::optional<size_t> arm_trap;
    bool stop = false;
    uint64_t requested = 0; // control requests made
    uint64_t applied = 0;   // control requests the loop has applied
    bool running = true;    // false once the loop has ended
    std::string failure;    // why the loop ended early, if it did
    proxy_stats stats;
  } shared;

  // -- owned by the event loop thread -------------------------------------
  proxy_mode mode = proxy_mode::pass;
  size_t trap_countdown = 0; // 0: disarmed
  std::vector<std::unique_ptr<connection>> connections;
  bool listener_ready = false; // the last poll() saw a connection waiting
  proxy_stats counters;

  std::thread loop; // last: starts once everything above exists

  explicit impl(const std::string& upstream_spec)
      : upstream{resolve_upstream(upstream_spec)} {
    listen_on_loopback();
    int fds[2];
    if (::pipe(fds) != 0)
      throw_errno("pipe");
    wake_read.reset(fds[0]);
    wake_write.reset(fds[1]);
    make_nonblocking(wake_read.get());
    make_nonblocking(wake_write.get());
    loop = std::thread{[this] { run(); }};
  }

  ~impl() {
    {
      std::lock_guard lock{mutex};
      shared.stop = true;
      ++shared.requested;
    }
    wake();
    loop.join();
  }

  void listen_on_loopback() {
    listener = nonblocking_socket(AF_INET);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr),
               sizeof addr) != 0)
      throw_errno("bind 127.0.0.1:0");
    if (::listen(listener.get(), SOMAXCONN) != 0)
      throw_errno("listen");
    socklen_t length = sizeof addr;
    if (::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr),
                      &length) != 0)
      throw_errno("getsockname");
    port = ntohs(addr.sin_port);
  }

  // -- control side -------------------------------------------------------

  void wake() {
    char byte = 1;
    // A full pipe already holds a wake-up: nothing to do then.
    (void)!::write(wake_write.get(), &byte, 1);
  }

  void throw_if_failed() const {
    if (!shared.running && !shared.failure.empty())
      throw std::runtime_error{"tcp_proxy: event loop failed: " +
                               shared.failure};
  }

  /// Applies `change` to the shared state and waits until the loop took it.
  template<class Change>
  void request(Change change) {
    std::unique_lock lock{mutex};
    throw_if_failed();
    change(shared);
    auto ticket = ++shared.requested;
    wake();
    changed.wait(lock,
                 [&] { return shared.applied >= ticket || !shared.running; });
    throw_if_failed();
  }

  // -- event loop ---------------------------------------------------------

  /// Makes `counters` what the control API reports.
  void publish() {
    {
      std::lock_guard lock{mutex};
      shared.stats = counters;
    }
    changed.notify_all();
  }

  // Closing goes through these: the counters change, and are published,
  // before any peer can notice the close.

  void close_client(connection& c) {
    if (!c.client)
      return;
    --counters.connections;
    publish();
    c.client.reset();
  }

  void close_server(connection& c) {
    if (!c.server)
      return;
    --counters.upstreams;
    publish();
    c.server.reset();
  }

  void close(connection& c) {
    close_client(c);
    close_server(c);
  }

  void run() {
    try {
      // Requests are taken right after each poll(), so that the events it
      // reports are handled in the mode the caller has just been promised,
      // and after handling them, so that the counters are current before
      // the loop blocks again.
      while (take_requests()) {
        wait_for_events();
        if (!take_requests())
          break;
        handle_events();
      }
    } catch (const std::exception& e) {
      std::lock_guard lock{mutex};
      shared.failure = e.what();
    }
    connections.clear();
    {
      std::lock_guard lock{mutex};
      shared.running = false;
      shared.stats = counters;
      shared.stats.connections = shared.stats.upstreams = 0;
    }
    changed.notify_all();
  }

  /// Applies pending control requests, publishes the counters and
  /// acknowledges the requests. Returns false when asked to stop.
  bool take_requests() {
    std::unique_lock lock{mutex};
    mode = shared.mode;
    if (std::exchange(shared.cut_all, false)) {
      connections.clear();
      counters.connections = counters.upstreams = 0;
    }
    if (auto n = std::exchange(shared.arm_trap, std::nullopt))
      trap_countdown = *n;
    shared.stats = counters;
    shared.applied = shared.requested;
    bool stop = shared.stop;
    lock.unlock();
    changed.notify_all();
    return !stop;
  }

  /// Blocks in poll() until something happens; leaves the outcome in each
  /// connection and in `listener_ready`.
  void wait_for_events() {
    std::vector<pollfd> fds;
    fds.push_back({wake_read.get(), POLLIN, 0});
    fds.push_back({listener.get(), POLLIN, 0});
    for (auto& c : connections) {
      auto [client_events, server_events] = wanted_events(*c);
      fds.push_back({client_events ? c->client.get() : -1, client_events, 0});
      fds.push_back({server_events ? c->server.get() : -1, server_events, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR)
      throw_errno("poll");
    if (fds[0].revents != 0)
      drain_wake_pipe();
    listener_ready = fds[1].revents != 0;
    for (size_t i = 0; i < connections.size(); ++i) {
      connections[i]->client_revents = fds[2 + 2 * i].revents;
      connections[i]->server_revents = fds[3 + 2 * i].revents;
    }
  }

  void handle_events() {
    for (auto& c : connections)
      service(*c);
    connections.erase(std::remove_if(connections.begin(), connections.end(),
                                     [](auto& c) { return c->closed(); }),
                      connections.end());
    if (std::exchange(listener_ready, false))
      accept_clients();
  }

  void drain_wake_pipe() {
    char bytes[64];
    while (::read(wake_read.get(), bytes, sizeof bytes) > 0) {
    }
  }

  /// The poll() events for a connection's client and server sockets.
  std::pair<short, short> wanted_events(const connection& c) const {
    if (c.connecting)
      return {0, POLLOUT};
    if (c.draining)
      return {0, POLLIN};
    if (mode == proxy_mode::stall)
      return {0, 0};
    short client = 0;
    short server = 0;
    if (c.client && !c.to_server.eof && c.to_server.room() > 0)
      client |= POLLIN;
    if (c.client && !c.to_client.bytes.empty())
      client |= POLLOUT;
    if (c.server && !c.to_client.eof && c.to_client.room() > 0)
      server |= POLLIN;
    if (c.server && !c.to_server.bytes.empty())
      server |= POLLOUT;
    return {client, server};
  }

  void accept_clients() {
    for (;;) {
      unique_fd client{::accept(listener.get(), nullptr, nullptr)};
      if (!client) {
        if (would_block(errno) || errno == ECONNABORTED)
          return;
        throw_errno("accept");
      }
      ++counters.accepted;
      if (mode == proxy_mode::refuse) {
        publish();
        continue; // closed right here: the server looks unreachable
      }
      make_nonblocking(client.get());
      set_nodelay(client.get());
      auto c = std::make_unique<connection>();
      c->client = std::move(client);
      if (!connect_upstream(*c)) {
        publish();
        continue; // closed right here: the upstream is unreachable
      }
      ++counters.connections;
      ++counters.upstreams;
      connections.push_back(std::move(c));
    }
  }

  /// Starts connecting `c` to the upstream; false if that failed already.
  bool connect_upstream(connection& c) {
    c.server = nonblocking_socket(upstream.family());
    if (upstream.family() != AF_UNIX)
      set_nodelay(c.server.get());
    if (::connect(c.server.get(), upstream.get(), upstream.length) == 0) {
      c.connecting = false;
      return true;
    }
    // A unix socket with a full backlog says EAGAIN and does not retry:
    // only EINPROGRESS means "in progress".
    return errno == EINPROGRESS || errno == EINTR;
  }

  void finish_connect(connection& c) {
    int err = 0;
    socklen_t length = sizeof err;
    if (::getsockopt(c.server.get(), SOL_SOCKET, SO_ERROR, &err, &length) !=
            0 ||
        err != 0) {
      close(c);
      return;
    }
    c.connecting = false;
  }

  void service(connection& c) {
    if (c.connecting) {
      if (c.server_revents != 0)
        finish_connect(c);
      return;
    }
    if (c.draining) {
      if (c.server_revents != 0)
        drain(c);
      return;
    }
    if (mode == proxy_mode::stall)
      return;
    if (c.client_revents & readable)
      read_client(c);
    if (!c.closed() && (c.server_revents & readable))
      read_server(c);
    if (!c.closed())
      flush_to_server(c);
    if (!c.closed() && !c.draining)
      flush_to_client(c);
    if (!c.closed() && !c.draining)
      finish_halves(c);
  }

  /// Reads what socket `from` has into `into` and shows the new bytes to
  /// `seen` (the frontend parser); end of stream marks `into`, a failure
  /// closes the connection.
  template<class Seen>
  void read_half(connection& c, int from, half& into, Seen seen) {
    if (into.eof || into.room() == 0)
      return;
    size_t got = 0;
    switch (read_some(from, into, got)) {
    case io_result::progress:
      seen(into.bytes.data() + into.bytes.size() - got, got);
      break;
    case io_result::eof:
      into.eof = true;
      break;
    case io_result::failed:
      close(c);
      break;
    case io_result::would_block:
      break;
    }
  }

  void read_client(connection& c) {
    read_half(c, c.client.get(), c.to_server,
              [&](const char* data, size_t size) {
                c.frontend.on_client_bytes(data, size);
              });
  }

  void read_server(connection& c) {
    read_half(c, c.server.get(), c.to_client,
              [&](const char* data, size_t size) {
                c.frontend.on_server_bytes(data, size);
              });
  }

  /// Writes client bytes to the server, stopping at each Sync while a trap
  /// is armed so that nothing after the trap's Sync is forwarded.
  void flush_to_server(connection& c) {
    auto& syncs = c.frontend.sync_ends();
    while (!c.to_server.bytes.empty()) {
      size_t limit = c.to_server.bytes.size();
      if (trap_countdown > 0 && !syncs.empty())
        limit = static_cast<size_t>(syncs.front() - c.forwarded_to_server);
      size_t sent = 0;
      auto result = write_some(c.server.get(), c.to_server, limit, sent);
      if (result == io_result::failed)
        close(c);
      if (result != io_result::progress)
        return;
      c.forwarded_to_server += sent;
      while (!syncs.empty() && syncs.front() <= c.forwarded_to_server) {
        syncs.pop_front();
        ++counters.syncs_forwarded;
        if (trap_countdown > 0 && --trap_countdown == 0) {
          spring_trap(c);
          return;
        }
      }
    }
  }

  void flush_to_client(connection& c) {
    while (!c.to_client.bytes.empty()) {
      size_t sent = 0;
      auto result = write_some(c.client.get(), c.to_client,
                               c.to_client.bytes.size(), sent);
      if (result == io_result::failed)
        close(c);
      if (result != io_result::progress)
        return;
    }
  }

  /// Passes each end of stream on once its bytes are through; closes the
  /// connection when both directions have ended.
  void finish_halves(connection& c) {
    if (c.to_server.finished() && !c.to_server.shut) {
      ::shutdown(c.server.get(), SHUT_WR);
      c.to_server.shut = true;
    }
    if (c.to_client.finished() && !c.to_client.shut) {
      ::shutdown(c.client.get(), SHUT_WR);
      c.to_client.shut = true;
    }
    if (c.to_server.shut && c.to_client.shut)
      close(c);
  }

  /// The client leaves without a word; the server gets the end of the
  /// stream right after the Sync and is drained until it hangs up.
  void spring_trap(connection& c) {
    ++counters.trap_cuts;
    close_client(c);
    c.to_client.bytes.clear();
    c.to_server.bytes.clear();
    ::shutdown(c.server.get(), SHUT_WR);
    c.draining = true;
  }

  void drain(connection& c) {
    char discard[16 * 1024];
    auto n = ::recv(c.server.get(), discard, sizeof discard, 0);
    if (n == 0 || (n < 0 && !would_block(errno)))
      close_server(c);
  }
};

tcp_proxy::tcp_proxy(const std::string& upstream)
    : impl_{std::make_unique<impl>(upstream)} {}

tcp_proxy::~tcp_proxy() = default;

uint16_t tcp_proxy::port() const noexcept {
  return impl_->port;
}

void tcp_proxy::set_mode(proxy_mode mode) {
  impl_->request([mode](auto& shared) { shared.mode = mode; });
}

proxy_mode tcp_proxy::mode() const {
  std::lock_guard lock{impl_->mutex};
  return impl_->shared.mode;
}

void tcp_proxy::cut_all() {
  impl_->request([](auto& shared) { shared.cut_all = true; });
}

void tcp_proxy::cut_after_client_sync(size_t n) {
  impl_->request([n](auto& shared) { shared.arm_trap = n; });
}

size_t tcp_proxy::connections() const {
  return stats().connections;
}

uint64_t tcp_proxy::accepted() const {
  return stats().accepted;
}

proxy_stats tcp_proxy::stats() const {
  std::lock_guard lock{impl_->mutex};
  impl_->throw_if_failed();
  return impl_->shared.stats;
}

bool tcp_proxy::wait_for(const std::function<bool(const proxy_stats&)>& pred,
                         std::chrono::milliseconds timeout) const {
  std::unique_lock lock{impl_->mutex};
  bool reached = impl_->changed.wait_for(lock, timeout, [&] {
    return pred(impl_->shared.stats) || !impl_->shared.running;
  });
  impl_->throw_if_failed();
  return reached && pred(impl_->shared.stats);
}

// -- DSN helpers --------------------------------------------------------------

namespace {

/// The keywords `dsn` sets, with their values.
std::map<std::string, std::string> parse_dsn(const std::string& dsn) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options{
      PQconninfoParse(dsn.c_str(), &error), &PQconninfoFree};
  if (!options) {
    std::string why = error ? error : "out of memory";
    PQfreemem(error);
    throw std::invalid_argument{"invalid DSN: " + why};
  }
  std::map<std::string, std::string> out;
  for (auto* opt = options.get(); opt->keyword; ++opt)
    if (opt->val && *opt->val)
      out.emplace(opt->keyword, opt->val);
  return out;
}

std::string value_or(const std::map<std::string, std::string>& dsn,
                     const std::string& key, std::string fallback) {
  auto i = dsn.find(key);
  return i == dsn.end() ? std::move(fallback) : i->second;
}

/// `value` quoted for a keyword/value connection string.
std::string dsn_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

} // namespace

std::string upstream_of(const std::string& dsn) {
  auto keys = parse_dsn(dsn);
  auto host = value_or(keys, "hostaddr", value_or(keys, "host", ""));
  auto port = value_or(keys, "port", "5432");
  if (host.empty())
    throw std::invalid_argument{"DSN names no host: " + dsn};
  if (host.find(',') != std::string::npos ||
      port.find(',') != std::string::npos)
    throw std::invalid_argument{"DSN names several hosts: " + dsn};
  if (host.front() == '/')
    return host + "/.s.PGSQL." + port;
  if (host.find(':') != std::string::npos) // an IPv6 address
    return "[" + host + "]:" + port;
  return host + ":" + port;
}

std::string proxied_dsn(const std::string& dsn, uint16_t port) {
  auto keys = parse_dsn(dsn);
  std::string out = "host=127.0.0.1 port=" + std::to_string(port);
  for (const char* key : {"dbname", "user", "password"})
    if (auto i = keys.find(key); i != keys.end())
      out += std::string{" "} + key + "=" + dsn_value(i->second);
  return out + " sslmode=disable gssencmode=disable";
}

} // namespace es::test
