// es-pg: starts, stops and inspects an embedded PostgreSQL cluster
// (storage/embedded_cluster.hpp) from the command line or from CTest.
//
//   es-pg start  --dir DIR [--ephemeral] [--no-fsync] [--port PORT]
//                [--database NAME] [--bin-dir BIN]
//   es-pg stop   --dir DIR [--bin-dir BIN]
//   es-pg status --dir DIR [--database NAME]
//
// DIR is the requested data dir. As root the data may live elsewhere (see the
// header), but es-pg's own files are always in DIR:
//
//   DIR/dsn            One line: the libpq keyword/value DSN, e.g.
//                      "host=/x/DIR port=41234 dbname=gamebot user=postgres".
//                      Written by `start` once the server accepts connections
//                      and the database exists, atomically (a reader never
//                      sees a partial line), and removed by `stop`: while it
//                      exists the DSN is usable. `start` prints the same line
//                      on stdout. Readers should trim trailing whitespace.
//   DIR/es-pg.ephemeral  Present if `start --ephemeral` started the server:
//                      `stop` then removes the data.
//
// Exit status: 0 on success (status: running), 3 from `status` when no server
// runs, 1 with a message on stderr on failure or bad usage. Logs go to
// stderr; stdout carries only the DSN (start) or the state (status).
#include "messages/error.hpp"
#include "storage/embedded_cluster.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace {

namespace fs = std::filesystem;
using es::storage::embedded_cluster;

constexpr const char* usage =
    "usage: es-pg start  --dir DIR [--ephemeral] [--no-fsync] [--port PORT]\n"
    "                    [--database NAME] [--bin-dir BIN]\n"
    "       es-pg stop   --dir DIR [--bin-dir BIN]\n"
    "       es-pg status --dir DIR [--database NAME]\n"
    "\n"
    "start   starts (or reuses) the cluster in DIR, leaves it running, prints\n"
    "        its DSN and writes it to DIR/dsn\n"
    "stop    stops it; removes the data if it was started with --ephemeral\n"
    "status  prints 'running' and the DSN (exit 0) or 'stopped' (exit 3)\n";

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_stopped = 3;

struct args {
  std::string command;
  es::storage::cluster_options opts;
  bool has_dir = false;
};

int fail(const std::string& what) {
  std::cerr << "es-pg: " << what << '\n';
  return exit_failed;
}

int bad_usage(const std::string& what) {
  std::cerr << "es-pg: " << what << "\n\n" << usage;
  return exit_failed;
}

// Returns the parsed arguments, or the error to print.
std::optional<std::string> parse(int argc, char** argv, args& out) {
  if (argc < 2)
    return "missing command";
  out.command = argv[1];
  if (out.command != "start" && out.command != "stop" &&
      out.command != "status")
    return "unknown command '" + out.command + "'";
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    if (arg == "--ephemeral" && out.command == "start") {
      out.opts.ephemeral = true;
    } else if (arg == "--no-fsync" && out.command == "start") {
      out.opts.fsync = false;
    } else if (arg == "--dir") {
      auto dir = value();
      if (dir == nullptr || *dir == '\0')
        return "--dir needs a directory";
      out.opts.data_dir = dir;
      out.has_dir = true;
    } else if (arg == "--port" && out.command == "start") {
      auto given = value();
      auto text = std::string_view{given != nullptr ? given : ""};
      unsigned port = 0;
      auto [end, err] =
          std::from_chars(text.data(), text.data() + text.size(), port);
      if (err != std::errc{} || end != text.data() + text.size() || port == 0 ||
          port > 65535)
        return "--port needs a number from 1 to 65535";
      out.opts.port = static_cast<uint16_t>(port);
    } else if (arg == "--database" && out.command != "stop") {
      auto name = value();
      if (name == nullptr || *name == '\0')
        return "--database needs a name";
      out.opts.database = name;
    } else if (arg == "--bin-dir" && out.command != "status") {
      auto bin = value();
      if (bin == nullptr || *bin == '\0')
        return "--bin-dir needs a directory";
      out.opts.bin_dir = bin;
    } else {
      return "unexpected argument '" + std::string{arg} + "' for " +
             out.command;
    }
  }
  if (!out.has_dir)
    return "--dir is required";
  return std::nullopt;
}

// Writes `content` to `path` through a temporary file and a rename.
bool write_atomically(const fs::path& path, const std::string& content) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out << content;
    out.close();
    if (!out)
      return false;
  }
  std::error_code err;
  fs::rename(tmp, path, err);
  return !err;
}

std::optional<std::string> read_line(const fs::path& path) {
  std::ifstream in{path};
  std::string line;
  if (!in || !std::getline(in, line))
    return std::nullopt;
  return line;
}

int start(args& a) {
  auto dir = a.opts.data_dir;
  auto cluster = embedded_cluster::start(a.opts);
  if (!cluster)
    return fail(es::describe(cluster.error()));
  // Until release(), a failure below stops the server again.
  std::error_code err;
  fs::create_directories(dir, err);
  if (err)
    return fail("cannot create " + dir.string() + ": " + err.message());
  auto marker = dir / "es-pg.ephemeral";
  if (a.opts.ephemeral) {
    if (!write_atomically(marker, "started with --ephemeral\n"))
      return fail("cannot write " + marker.string());
  } else if (!cluster->reused()) {
    fs::remove(marker, err);
  }
  if (!write_atomically(dir / "dsn", cluster->dsn() + "\n"))
    return fail("cannot write " + (dir / "dsn").string());
  cluster->release();
  std::cout << cluster->dsn() << '\n';
  return exit_ok;
}

int stop(const args& a) {
  const auto& dir = a.opts.data_dir;
  std::error_code err;
  auto marker = dir / "es-pg.ephemeral";
  bool ephemeral = fs::exists(marker, err);
  if (auto failed = embedded_cluster::stop_at(dir, ephemeral, a.opts.bin_dir))
    return fail(es::describe(failed));
  fs::remove(dir / "dsn", err);
  if (ephemeral) {
    fs::remove(marker, err);
    fs::remove(dir, err); // Only if empty: the dir of a root fallback.
  }
  return exit_ok;
}

int status(const args& a) {
  auto dsn = embedded_cluster::running_dsn(a.opts.data_dir, a.opts.database);
  if (!dsn) {
    const auto& err = dsn.error();
    if (err.category() == caf::atom("es") &&
        err.code() == static_cast<uint8_t>(es::ec::unavailable)) {
      std::cout << "stopped\n";
      return exit_stopped;
    }
    return fail(es::describe(dsn.error()));
  }
  auto written = read_line(a.opts.data_dir / "dsn");
  std::cout << "running\n" << (written ? *written : *dsn) << '\n';
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "help") {
      std::cout << usage;
      return exit_ok;
    }
  }
  args a;
  if (auto problem = parse(argc, argv, a))
    return bad_usage(*problem);
  spdlog::set_default_logger(spdlog::stderr_color_mt("es-pg"));
  if (a.command == "start")
    return start(a);
  if (a.command == "stop")
    return stop(a);
  return status(a);
}
