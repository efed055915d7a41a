#include "storage/embedded_cluster.hpp"

#include "messages/error.hpp"
#include "storage/pg.hpp"
#include "storage/sql.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sstream>
#include <string_view>
#include <sys/file.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

extern char** environ;

namespace es::storage {

namespace {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

constexpr const char* fallback_root = "/var/tmp/gamebot-es";
// A socket path is dir + "/.s.PGSQL.NNNNN" and must fit in sun_path (108).
constexpr size_t max_socket_dir_length = 90;
constexpr size_t max_output_bytes = 4096;
constexpr size_t server_log_lines = 20;
constexpr int max_connections = 200;
constexpr auto stop_timeout = std::chrono::seconds{60};
// Extra time a subprocess gets beyond the timeout it was told to honour.
constexpr auto kill_margin = std::chrono::seconds{10};

caf::error fail(std::string what) {
  return make_error(ec::cluster_failed, std::move(what));
}

std::string errno_text(int err) {
  return std::generic_category().message(err);
}

// -- small RAII and string helpers --------------------------------------------

class unique_fd {
public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = -1;
  }

private:
  int fd_ = -1;
};

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string hex16(uint64_t value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4)
    out[static_cast<size_t>(i)] = digits[value & 0xf];
  return out;
}

std::string trim(std::string text) {
  auto is_space = [](unsigned char c) { return std::isspace(c) != 0; };
  while (!text.empty() && is_space(static_cast<unsigned char>(text.back())))
    text.pop_back();
  auto first = std::find_if_not(text.begin(), text.end(), is_space);
  text.erase(text.begin(), first);
  return text;
}

// The last `max_lines` lines of `text`.
std::string tail_lines(const std::string& text, size_t max_lines) {
  auto trimmed = trim(text);
  size_t pos = trimmed.size();
  for (size_t n = 0; n < max_lines && pos > 0; ++n) {
    auto nl = trimmed.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    pos = nl;
  }
  return pos == 0 ? trimmed : trimmed.substr(pos + 1);
}

std::string join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty())
      out += ' ';
    out += arg;
  }
  return out;
}

// A value for a libpq keyword/value connection string.
std::string dsn_value(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \t\n'\\") == std::string::npos)
    return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

// A string literal for postgresql.conf.
std::string conf_string(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'')
      out += '\'';
    else if (c == '\\')
      out += '\\';
    out += c;
  }
  return out + "'";
}

std::string make_dsn(const fs::path& host, uint16_t port,
                     const std::string& database) {
  return "host=" + dsn_value(host.string()) + " port=" + std::to_string(port) +
         " dbname=" + dsn_value(database) + " user=postgres";
}

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return std::nullopt;
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

caf::error write_file(const fs::path& path, const std::string& content,
                      std::ios::openmode mode = std::ios::trunc) {
  std::ofstream out{path, std::ios::binary | std::ios::out | mode};
  out << content;
  out.close();
  if (!out)
    return fail("cannot write " + path.string() + ": " + errno_text(errno));
  return {};
}

bool file_exists(const fs::path& path) {
  std::error_code err;
  return fs::exists(path, err);
}

// -- users and subprocesses ---------------------------------------------------

bool is_root() {
  return ::geteuid() == 0;
}

struct identity {
  uid_t uid;
  gid_t gid;
};

caf::expected<identity> postgres_user() {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r("postgres", &entry, buf.data(), buf.size(), &found) != 0 ||
      found == nullptr)
    return fail("running as root needs the 'postgres' system user to run "
                "initdb and pg_ctl, but there is none");
  return identity{entry.pw_uid, entry.pw_gid};
}

caf::error give_to_postgres(const fs::path& path) {
  if (!is_root())
    return {};
  auto user = postgres_user();
  if (!user)
    return user.error();
  if (::chown(path.c_str(), user->uid, user->gid) != 0)
    return fail("cannot chown " + path.string() +
                " to postgres: " + errno_text(errno));
  return {};
}

const std::string& runuser_path() {
  static const std::string path = [] {
    for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser"})
      if (::access(candidate, X_OK) == 0)
        return std::string{candidate};
    return std::string{"/usr/sbin/runuser"};
  }();
  return path;
}

// Prefixes `argv` with runuser when root: initdb and pg_ctl refuse root.
std::vector<std::string> as_server_user(std::vector<std::string> argv) {
  if (is_root())
    argv.insert(argv.begin(), {runuser_path(), "-u", "postgres", "--"});
  return argv;
}

struct spawn_actions {
  posix_spawn_file_actions_t actions;
  spawn_actions() { posix_spawn_file_actions_init(&actions); }
  ~spawn_actions() { posix_spawn_file_actions_destroy(&actions); }
  spawn_actions(const spawn_actions&) = delete;
  spawn_actions& operator=(const spawn_actions&) = delete;
};

struct run_result {
  /// The exit status, or -1 if the process died from a signal.
  int code = -1;
  /// The tail of stdout and stderr, interleaved.
  std::string output;
  bool timed_out = false;
};

// Runs argv[0] (an absolute path) with stdin from /dev/null, in "/", and
// collects stdout and stderr; kills it at `deadline`.
caf::expected<run_result> run(const std::vector<std::string>& argv,
                              steady::time_point deadline) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return fail("pipe: " + errno_text(errno));
  unique_fd rd{fds[0]};
  unique_fd wr{fds[1]};
  spawn_actions fa;
  posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa.actions, wr.get(), 1);
  posix_spawn_file_actions_adddup2(&fa.actions, wr.get(), 2);
  // The server user may not be able to enter our working directory.
  posix_spawn_file_actions_addchdir_np(&fa.actions, "/");
  std::vector<char*> args;
  for (const auto& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (auto rc = ::posix_spawn(&pid, args[0], &fa.actions, nullptr, args.data(),
                              environ);
      rc != 0)
    return fail("cannot run " + argv[0] + ": " + errno_text(rc));
  spdlog::debug("embedded_cluster: running {}", join(argv));
  wr.reset();
  run_result res;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - steady::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      res.timed_out = true;
      break;
    }
    pollfd pfd{rd.get(), POLLIN, 0};
    auto ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready == 0)
      continue; // The deadline check above kills it.
    auto n = ::read(rd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    res.output.append(buf, static_cast<size_t>(n));
    if (res.output.size() > 2 * max_output_bytes)
      res.output.erase(0, res.output.size() - max_output_bytes);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return fail("waitpid for " + argv[0] + ": " + errno_text(errno));
  }
  res.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (res.output.size() > max_output_bytes)
    res.output.erase(0, res.output.size() - max_output_bytes);
  res.output = trim(std::move(res.output));
  return res;
}

// "`cmd args` exited with 1: output" for an error message.
std::string describe_failure(const std::vector<std::string>& argv,
                             const run_result& res) {
  std::string out = "`" + join(argv) + "` ";
  if (res.timed_out)
    out += "timed out and was killed";
  else if (res.code < 0)
    out += "died from a signal";
  else
    out += "exited with " + std::to_string(res.code);
  if (!res.output.empty())
    out += ": " + res.output;
  return out;
}

// -- paths --------------------------------------------------------------------

// Absolute, without symlinks, "." or "..", nor a trailing slash.
fs::path normalize(const fs::path& path) {
  std::error_code err;
  auto abs = fs::absolute(path, err);
  if (err)
    abs = path;
  auto canonical = fs::weakly_canonical(abs, err);
  auto out = err ? abs.lexically_normal() : canonical;
  if (!out.has_filename() && out.has_relative_path())
    out = out.parent_path();
  return out;
}

// /var/tmp/gamebot-es/<last component>-<hash of the whole path>.
fs::path fallback_dir(const fs::path& requested) {
  std::string name;
  for (char c : requested.filename().string().substr(0, 40)) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    name += keep ? c : '_';
  }
  if (name.empty() || name[0] == '.')
    name.insert(0, "data");
  return fs::path{fallback_root} /
         (name + "-" + hex16(fnv1a(requested.string())));
}

// Whether `postgres` can search the nearest existing ancestor of `dir`, and
// with it every directory above.
caf::expected<bool> reachable_by_postgres(const fs::path& dir) {
  auto parent = dir.parent_path();
  while (!file_exists(parent) && parent.has_relative_path())
    parent = parent.parent_path();
  std::vector<std::string> argv{runuser_path(),  "-u", "postgres",     "--",
                                "/usr/bin/test", "-x", parent.string()};
  auto res = run(argv, steady::now() + std::chrono::seconds{10});
  if (!res)
    return res.error();
  return res->code == 0;
}

fs::path socket_dir_for(const fs::path& data_dir) {
  if (data_dir.string().size() <= max_socket_dir_length)
    return data_dir;
  return fs::path{"/tmp/es-pg-" + hex16(fnv1a(data_dir.string()))};
}

// Creates the missing parents of `dir`; as root, searchable by everyone.
caf::error make_parents(const fs::path& dir) {
  std::vector<fs::path> missing;
  for (auto p = dir.parent_path(); !file_exists(p) && p.has_relative_path();
       p = p.parent_path())
    missing.push_back(p);
  for (auto i = missing.rbegin(); i != missing.rend(); ++i) {
    if (::mkdir(i->c_str(), 0755) != 0 && errno != EEXIST)
      return fail("cannot create " + i->string() + ": " + errno_text(errno));
    if (is_root())
      ::chmod(i->c_str(), 0755);
  }
  return {};
}

// Opens `dir` and takes an exclusive flock on it, waiting until `deadline`.
// Creates the dir (mode 0700, owned by the server user) unless `create` is
// false. Retries when the dir was removed or replaced while waiting.
caf::expected<unique_fd> lock_dir(const fs::path& dir, bool create,
                                  steady::time_point deadline) {
  for (;;) {
    if (create) {
      if (auto err = make_parents(dir))
        return err;
      if (::mkdir(dir.c_str(), 0700) == 0) {
        if (auto err = give_to_postgres(dir))
          return err;
      } else if (errno != EEXIST) {
        return fail("cannot create data dir " + dir.string() + ": " +
                    errno_text(errno));
      }
    }
    unique_fd fd{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!fd) {
      if (!create && errno == ENOENT)
        return unique_fd{}; // Nothing to lock.
      if (errno == ENOTDIR)
        return fail("data dir " + dir.string() +
                    " exists but is not a directory");
      return fail("cannot open data dir " + dir.string() + ": " +
                  errno_text(errno));
    }
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR)
        return fail("cannot lock " + dir.string() + ": " + errno_text(errno));
      if (steady::now() >= deadline)
        return fail("timed out waiting for the lock on " + dir.string() +
                    ": another process is starting or stopping it");
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    struct stat locked {};
    struct stat now {};
    if (::fstat(fd.get(), &locked) == 0 && ::stat(dir.c_str(), &now) == 0 &&
        locked.st_dev == now.st_dev && locked.st_ino == now.st_ino)
      return fd;
    if (!create)
      return unique_fd{}; // Removed while we waited: nothing left to lock.
  }
}

// -- the server ---------------------------------------------------------------

struct pid_file {
  long pid = 0;
  uint16_t port = 0;
  fs::path socket_dir;
};

std::optional<pid_file> read_pid_file(const fs::path& data_dir) {
  auto text = read_file(data_dir / "postmaster.pid");
  if (!text)
    return std::nullopt;
  std::istringstream in{*text};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  if (lines.size() < 5)
    return std::nullopt; // Not (yet) written completely.
  pid_file out;
  const auto& pid = lines[0];
  const auto& port = lines[3];
  if (std::from_chars(pid.data(), pid.data() + pid.size(), out.pid).ec !=
          std::errc{} ||
      std::from_chars(port.data(), port.data() + port.size(), out.port).ec !=
          std::errc{})
    return std::nullopt;
  out.socket_dir = lines[4];
  return out;
}

bool answers(const fs::path& socket_dir, uint16_t port) {
  auto port_text = std::to_string(port);
  const char* keys[] = {"host", "port", "dbname", "user", "connect_timeout",
                        nullptr};
  const char* vals[] = {socket_dir.c_str(),
                        port_text.c_str(),
                        "postgres",
                        "postgres",
                        "5",
                        nullptr};
  return PQpingParams(keys, vals, 0) == PQPING_OK;
}

// The server running in `data_dir` if it answers.
std::optional<pid_file> running_server(const fs::path& data_dir) {
  auto info = read_pid_file(data_dir);
  if (!info || info->socket_dir.empty() ||
      !answers(info->socket_dir, info->port))
    return std::nullopt;
  return info;
}

caf::error check_binaries(const fs::path& bin_dir) {
  for (const char* name : {"initdb", "pg_ctl"}) {
    auto path = bin_dir / name;
    if (::access(path.c_str(), X_OK) != 0)
      return fail("PostgreSQL binaries not found: " + path.string() + ": " +
                  errno_text(errno) + " (check cluster_options.bin_dir " +
                  bin_dir.string() + ")");
  }
  return {};
}

// The data dir must be empty (we run initdb) or hold a cluster.
caf::error check_contents(const fs::path& dir) {
  if (file_exists(dir / "PG_VERSION"))
    return {};
  std::error_code err;
  if (fs::is_empty(dir, err) && !err) {
    if (!is_root())
      return {};
    return give_to_postgres(dir); // The dir may predate us (mkdtemp).
  }
  return fail("data dir " + dir.string() +
              " is neither empty nor a PostgreSQL data directory (it has no "
              "PG_VERSION)");
}

caf::error initdb(const fs::path& bin_dir, const fs::path& dir, bool fsync,
                  steady::time_point deadline) {
  spdlog::info("embedded_cluster: initdb {}", dir.string());
  std::vector<std::string> argv{(bin_dir / "initdb").string(), "-D",
                                dir.string()};
  for (const char* arg :
       {"-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"})
    argv.emplace_back(arg);
  if (!fsync)
    argv.push_back("--no-sync");
  argv = as_server_user(std::move(argv));
  auto res = run(argv, deadline + kill_margin);
  if (!res)
    return res.error();
  if (res->code != 0)
    return fail("initdb failed: " + describe_failure(argv, *res));
  // Our settings live in es.conf, rewritten on every start.
  return write_file(dir / "postgresql.conf",
                    "\n# Added by es::storage::embedded_cluster.\n"
                    "include_if_exists = 'es.conf'\n",
                    std::ios::app);
}

caf::expected<uint16_t> pick_free_port() {
  unique_fd sock{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (!sock)
    return fail("socket: " + errno_text(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0 ||
      ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return fail("cannot find a free loopback port: " + errno_text(errno));
  return ntohs(addr.sin_port);
}

// opts.port, else the port in es.port, else a free one.
caf::expected<uint16_t> choose_port(const fs::path& dir, uint16_t wanted) {
  if (wanted != 0)
    return wanted;
  if (auto text = read_file(dir / "es.port")) {
    auto value = trim(*text);
    uint16_t port = 0;
    auto [end, err] =
        std::from_chars(value.data(), value.data() + value.size(), port);
    if (err == std::errc{} && end == value.data() + value.size() && port != 0)
      return port;
  }
  return pick_free_port();
}

// A socket dir of our own under /tmp: must not be someone else's.
caf::error prepare_socket_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail("cannot create socket dir " + dir.string() + ": " +
                errno_text(errno));
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail("socket dir " + dir.string() + " is not a directory");
  auto expected_uid = ::geteuid();
  if (is_root()) {
    auto user = postgres_user();
    if (!user)
      return user.error();
    if (st.st_uid == 0 || st.st_uid == user->uid)
      return give_to_postgres(dir);
    expected_uid = user->uid;
  }
  if (st.st_uid != expected_uid)
    return fail("socket dir " + dir.string() + " belongs to uid " +
                std::to_string(st.st_uid) + ", not to us");
  return {};
}

caf::error write_settings(const fs::path& dir, uint16_t port,
                          const fs::path& socket_dir, bool fsync) {
  const std::string sync = fsync ? "on" : "off";
  const std::pair<const char*, std::string> settings[] = {
      {"port", std::to_string(port)},
      {"listen_addresses", "''"},
      {"unix_socket_directories", conf_string(socket_dir.string())},
      {"max_connections", std::to_string(max_connections)},
      {"timezone", "'UTC'"},
      {"log_timezone", "'UTC'"},
      {"fsync", sync},
      {"full_page_writes", sync},
  };
  std::string conf = "# Written by es::storage::embedded_cluster on every "
                     "start; edits are lost.\n";
  for (const auto& [name, value] : settings)
    conf += std::string{name} + " = " + value + "\n";
  const std::pair<const char*, std::string> files[] = {
      {"es.conf", conf}, {"es.port", std::to_string(port) + "\n"}};
  for (const auto& [name, content] : files) {
    if (auto err = write_file(dir / name, content))
      return err;
    if (auto err = give_to_postgres(dir / name))
      return err;
  }
  return {};
}

std::string server_log_tail(const fs::path& dir) {
  auto text = read_file(dir / "server.log");
  if (!text || trim(*text).empty())
    return "";
  return "; server.log ends with:\n" + tail_lines(*text, server_log_lines);
}

caf::error start_server(const fs::path& bin_dir, const fs::path& dir,
                        steady::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline -
                                                               steady::now());
  std::vector<std::string> argv = as_server_user(
      {(bin_dir / "pg_ctl").string(), "-D", dir.string(), "-l",
       (dir / "server.log").string(), "-w", "-t",
       std::to_string(std::max<long>(1, left.count())), "-s", "start"});
  auto res = run(argv, deadline + kill_margin);
  if (!res)
    return res.error();
  if (res->code != 0)
    return fail("cannot start the server in " + dir.string() + ": " +
                describe_failure(argv, *res) + server_log_tail(dir));
  return {};
}

// False for a zombie: a killed postmaster stays one when PID 1 does not reap
// orphans (containers), and kill(pid, 0) still succeeds for it.
bool process_alive(long pid) {
  if (pid <= 0)
    return false;
  if (auto stat = read_file("/proc/" + std::to_string(pid) + "/stat")) {
    auto close = stat->rfind(')');
    return close == std::string::npos || close + 2 >= stat->size() ||
           (stat->at(close + 2) != 'Z' && stat->at(close + 2) != 'X');
  }
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Removes the lock files (postmaster.pid, the socket's) of a killed server
// whose postmaster is a zombie and whose shared memory nobody uses any more:
// the server would refuse them ("lock file already exists") because the
// zombie's pid still exists. In all
// other cases the file stays and pg_ctl / the server decide, as usual.
void remove_zombie_pid_file(const fs::path& dir) {
  auto text = read_file(dir / "postmaster.pid");
  auto info = read_pid_file(dir);
  if (!text || !info || process_alive(info->pid) ||
      ::kill(static_cast<pid_t>(info->pid), 0) != 0)
    return; // No file, or a live server, or a pid the server sees as gone.
  std::istringstream in{*text};
  std::string line;
  for (int i = 0; i < 7 && std::getline(in, line); ++i)
    ; // Line 7: shared memory key and id.
  std::istringstream shm{line};
  long key = 0;
  int id = -1;
  if (!(shm >> key >> id))
    return;
  shmid_ds ds{};
  bool unused = ::shmctl(id, IPC_STAT, &ds) == 0
                    ? ds.shm_nattch == 0
                    : (errno == EINVAL || errno == EIDRM);
  if (!unused)
    return;
  spdlog::warn("embedded_cluster: removing the postmaster.pid of killed "
               "server {} in {} (a zombie nobody reaped)",
               info->pid, dir.string());
  std::error_code err;
  fs::remove(dir / "postmaster.pid", err);
  // The socket's lock file names the zombie too.
  auto socket_lock =
      info->socket_dir / (".s.PGSQL." + std::to_string(info->port) + ".lock");
  if (auto lock = read_file(socket_lock);
      lock && lock->rfind(std::to_string(info->pid) + "\n", 0) == 0)
    fs::remove(socket_lock, err);
}

// pg_ctl stop -m fast|immediate -w; a server that does not run is not an
// error.
caf::error stop_server(const fs::path& bin_dir, const fs::path& dir,
                       stop_mode mode = stop_mode::fast) {
  if (!file_exists(dir / "postmaster.pid"))
    return {};
  std::vector<std::string> argv = as_server_user(
      {(bin_dir / "pg_ctl").string(), "-D", dir.string(), "-m",
       mode == stop_mode::fast ? "fast" : "immediate", "-w",
       "-t", std::to_string(stop_timeout.count()), "-s", "stop"});
  auto res = run(argv, steady::now() + stop_timeout + kill_margin);
  if (!res)
    return res.error();
  if (res->code != 0) {
    // Gone meanwhile, or a stale postmaster.pid of a killed server.
    auto info = read_pid_file(dir);
    if (!file_exists(dir / "postmaster.pid") ||
        (info && !process_alive(info->pid)))
      return {};
    return fail("cannot stop the server in " + dir.string() + ": " +
                describe_failure(argv, *res));
  }
  spdlog::info("embedded_cluster: stopped {}", dir.string());
  return {};
}

caf::error ensure_database(const fs::path& socket_dir, uint16_t port,
                           const std::string& database) {
  auto dsn = "host=" + dsn_value(socket_dir.string()) +
             " port=" + std::to_string(port) +
             " dbname=postgres user=postgres connect_timeout=10";
  auto conn = pg::connection::open(dsn);
  if (!conn)
    return fail(describe(conn.error()));
  auto exists = [&]() -> caf::expected<bool> {
    auto found = conn->exec(sql::database_exists, pg::params{}.add(database));
    if (!found)
      return std::move(found.error());
    return found->rows() > 0;
  };
  auto there = exists();
  if (!there)
    return fail("cannot look up database " + database + ": " +
                describe(there.error()));
  if (*there)
    return {};
  auto quoted = conn->quote_identifier(database);
  if (!quoted)
    return fail(describe(quoted.error()));
  if (auto created = conn->exec_sql(sql::create_database(*quoted).c_str());
      !created) {
    // Another process may have created it meanwhile.
    if (auto again = exists(); again && *again)
      return {};
    return fail("cannot create database " + database + ": " +
                describe(created.error()));
  }
  spdlog::info("embedded_cluster: created database {}", database);
  return {};
}

} // namespace

// -- embedded_cluster ---------------------------------------------------------

caf::expected<fs::path>
embedded_cluster::resolve_data_dir(const fs::path& data_dir) {
  if (data_dir.empty())
    return make_error(ec::invalid_argument, "the data dir is empty");
  auto requested = normalize(data_dir);
  if (!is_root() || file_exists(requested / "PG_VERSION"))
    return requested;
  auto fallback = fallback_dir(requested);
  if (file_exists(fallback / "PG_VERSION"))
    return fallback;
  auto reachable = reachable_by_postgres(requested);
  if (!reachable)
    return reachable.error();
  return *reachable ? requested : fallback;
}

caf::expected<embedded_cluster> embedded_cluster::start(cluster_options opts) {
  auto deadline = steady::now() + opts.start_timeout;
  if (opts.database.empty() || opts.database.size() > 63)
    return make_error(ec::invalid_argument,
                      "database name must have 1 to 63 bytes, got '" +
                          opts.database + "'");
  if (auto err = check_binaries(opts.bin_dir))
    return err;
  if (is_root())
    if (auto user = postgres_user(); !user)
      return user.error();
  auto dir = resolve_data_dir(opts.data_dir);
  if (!dir)
    return dir.error();
  if (*dir != normalize(opts.data_dir))
    spdlog::warn("embedded_cluster: user postgres cannot reach {}, so the "
                 "data lives in {}",
                 opts.data_dir.string(), dir->string());
  std::error_code err;
  if (auto st = fs::status(*dir, err); fs::exists(st) && !fs::is_directory(st))
    return fail("data dir " + dir->string() + " exists but is not a directory");
  // Declared before the lock: on failure the lock goes first, then `result`
  // stops what it started (which takes the lock again).
  embedded_cluster result;
  result.data_dir_ = *dir;
  result.bin_dir_ = opts.bin_dir;
  result.timeout_ = opts.start_timeout;
  result.ephemeral_ = opts.ephemeral;
  auto lock = lock_dir(*dir, true, deadline);
  if (!lock)
    return lock.error();
  if (auto failed = check_contents(*dir))
    return failed;
  if (!file_exists(*dir / "PG_VERSION")) {
    if (opts.ephemeral) {
      result.owns_server_ = true; // Clean up after ourselves on failure.
      result.active_ = true;
    }
    if (auto failed = initdb(opts.bin_dir, *dir, opts.fsync, deadline))
      return failed;
  }
  if (auto info = running_server(*dir)) {
    spdlog::info("embedded_cluster: reusing the server already running in {} "
                 "(pid {})",
                 dir->string(), info->pid);
    result.owns_server_ = false;
    result.active_ = false;
    result.port_ = info->port;
    result.socket_dir_ = info->socket_dir;
  } else {
    auto port = choose_port(*dir, opts.port);
    if (!port)
      return port.error();
    result.port_ = *port;
    result.socket_dir_ = socket_dir_for(*dir);
    if (result.socket_dir_ != *dir)
      if (auto failed = prepare_socket_dir(result.socket_dir_))
        return failed;
    if (auto failed =
            write_settings(*dir, *port, result.socket_dir_, opts.fsync))
      return failed;
    remove_zombie_pid_file(*dir);
    if (auto failed = start_server(opts.bin_dir, *dir, deadline))
      return failed;
    result.owns_server_ = true;
    result.active_ = true;
    spdlog::info("embedded_cluster: started {} (socket dir {}, port {}{})",
                 dir->string(), result.socket_dir_.string(), *port,
                 opts.fsync ? "" : ", fsync off");
  }
  if (auto failed =
          ensure_database(result.socket_dir_, result.port_, opts.database))
    return failed;
  result.dsn_ = make_dsn(result.socket_dir_, result.port_, opts.database);
  return result;
}

caf::error embedded_cluster::stop_at(const fs::path& data_dir, bool remove_dir,
                                     const fs::path& bin_dir, stop_mode mode) {
  auto dir = resolve_data_dir(data_dir);
  if (!dir)
    return dir.error();
  if (!file_exists(*dir))
    return {};
  if (auto err = check_binaries(bin_dir))
    return err;
  auto lock = lock_dir(*dir, false, steady::now() + stop_timeout);
  if (!lock)
    return lock.error();
  if (!*lock)
    return {}; // Removed while we waited.
  if (auto err = stop_server(bin_dir, *dir, mode))
    return err;
  if (auto socket_dir = socket_dir_for(*dir); socket_dir != *dir)
    ::rmdir(socket_dir.c_str());
  if (remove_dir) {
    std::error_code err;
    fs::remove_all(*dir, err);
    if (err)
      return fail("cannot remove " + dir->string() + ": " + err.message());
    spdlog::info("embedded_cluster: removed {}", dir->string());
  }
  return {};
}

caf::expected<std::string>
embedded_cluster::running_dsn(const fs::path& data_dir,
                              const std::string& database) {
  auto dir = resolve_data_dir(data_dir);
  if (!dir)
    return dir.error();
  auto info = running_server(*dir);
  if (!info)
    return make_error(ec::unavailable, "no server answers in " + dir->string());
  return make_dsn(info->socket_dir, info->port, database);
}

embedded_cluster::embedded_cluster(embedded_cluster&& other) noexcept
    : dsn_(std::move(other.dsn_)),
      data_dir_(std::move(other.data_dir_)),
      socket_dir_(std::move(other.socket_dir_)),
      bin_dir_(std::move(other.bin_dir_)),
      timeout_(other.timeout_),
      port_(other.port_),
      ephemeral_(other.ephemeral_),
      owns_server_(other.owns_server_),
      active_(std::exchange(other.active_, false)) {
  // nop
}

embedded_cluster&
embedded_cluster::operator=(embedded_cluster&& other) noexcept {
  if (this == &other)
    return *this;
  if (auto err = stop())
    spdlog::error("embedded_cluster: {}", describe(err));
  dsn_ = std::move(other.dsn_);
  data_dir_ = std::move(other.data_dir_);
  socket_dir_ = std::move(other.socket_dir_);
  bin_dir_ = std::move(other.bin_dir_);
  timeout_ = other.timeout_;
  port_ = other.port_;
  ephemeral_ = other.ephemeral_;
  owns_server_ = other.owns_server_;
  active_ = std::exchange(other.active_, false);
  return *this;
}

embedded_cluster::~embedded_cluster() {
  if (auto err = stop())
    spdlog::error("embedded_cluster: {}", describe(err));
}

caf::error embedded_cluster::stop() {
  if (!active_ || !owns_server_)
    return {};
  auto lock = lock_dir(data_dir_, false, steady::now() + timeout_);
  if (!lock)
    return lock.error();
  if (!*lock) {
    active_ = false; // Someone removed the dir: nothing left to stop.
    return {};
  }
  if (auto err = stop_server(bin_dir_, data_dir_))
    return err;
  if (socket_dir_ != data_dir_ && !socket_dir_.empty())
    ::rmdir(socket_dir_.c_str());
  if (ephemeral_) {
    std::error_code err;
    fs::remove_all(data_dir_, err);
    if (err)
      return fail("cannot remove " + data_dir_.string() + ": " + err.message());
    spdlog::info("embedded_cluster: removed {}", data_dir_.string());
  }
  active_ = false;
  return {};
}

} // namespace es::storage
