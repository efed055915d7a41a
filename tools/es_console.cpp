// es-console: the operator console of a running event store. It connects
// to the store's inspector (actors/inspector.hpp) with CAF's middleman and
// runs commands (actors/console_commands.hpp; `help` lists them).
//
//   es-console --port P                      interactive (line editing and
//                                            history in ~/.es_console_history)
//   es-console --port P [--json] COMMAND [ARGS]   one command, then exit
//
// Options: --host H (default 127.0.0.1), --port P (or ES_CONSOLE_PORT),
// --json (print the store's JSON replies as they come, for scripts),
// --timeout SECONDS (how long to wait for a reply; default 30).
//
// Exit status of one-shot mode: 0 done; 1 the store answered with an error
// (a stream that does not exist, ...); 2 usage (an unknown command, bad
// arguments); 3 no usable store (nothing listening on the port, a version
// mismatch between console and store, the connection lost, no reply).
//
// ES_CONSOLE_PROTOCOL (hidden, for tests): the protocol version announced
// in the handshake instead of this build's.
#include "actors/console_commands.hpp"
#include "config/defaults.hpp"
#include "messages/actors.hpp"
#include "tools/console/render.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <rapidjson/document.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <editline/readline.h>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_no_store = 3;

const char* usage_text =
    "usage: es-console --port P [--host H] [--json] [--timeout S] "
    "[COMMAND [ARGS...]]\n"
    "Without COMMAND: interactive. Type help (or es-console help) for the "
    "commands.\n"
    "Exit status: 0 done, 1 the store answered with an error, 2 usage, 3 no "
    "usable store\n"
    "(nothing listening, version mismatch, connection lost).\n";

std::atomic<bool> interrupted{false};

extern "C" void on_sigint(int) {
  interrupted = true;
}

struct options {
  std::string host = "127.0.0.1";
  uint16_t port = es::defaults::console_port;
  bool json = false;
  std::chrono::seconds timeout{30};
  std::vector<std::string> command;
};

std::optional<options> parse_options(int argc, char** argv) {
  options opts;
  if (auto* env = std::getenv("ES_CONSOLE_PORT"); env && *env)
    opts.port = static_cast<uint16_t>(std::atoi(env));
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc)
        return std::nullopt;
      return std::string{argv[++i]};
    };
    if (arg == "--json") {
      opts.json = true;
    } else if (arg == "--port" || arg == "--host" || arg == "--timeout") {
      auto v = value();
      if (!v) {
        std::cerr << "es-console: " << arg << " needs a value\n" << usage_text;
        return std::nullopt;
      }
      if (arg == "--host") {
        opts.host = *v;
        continue;
      }
      char* end = nullptr;
      auto n = std::strtol(v->c_str(), &end, 10);
      if (end == v->c_str() || *end != '\0' || n <= 0 ||
          (arg == "--port" && n > 65535)) {
        std::cerr << "es-console: bad value for " << arg << ": '" << *v
                  << "'\n";
        return std::nullopt;
      }
      if (arg == "--port")
        opts.port = static_cast<uint16_t>(n);
      else
        opts.timeout = std::chrono::seconds{n};
    } else if (arg == "--help" || arg == "-h") {
      std::cout << usage_text << "\n" << es::help_text();
      std::exit(exit_ok);
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "es-console: unknown option " << arg << "\n" << usage_text;
      return std::nullopt;
    } else {
      break;
    }
  }
  for (; i < argc; ++i)
    opts.command.emplace_back(argv[i]);
  return opts;
}

struct console_config : caf::actor_system_config {
  console_config() {
    load<caf::io::middleman>();
    set("scheduler.max-threads", 2);
  }
};

/// A connection to a store's inspector.
class session {
public:
  session(caf::actor_system& sys, options opts)
      : sys_(sys), opts_(std::move(opts)), self_(sys) {}

  /// Connects and shakes hands; prints why not and returns false.
  bool connect() {
    auto where = opts_.host + ":" + std::to_string(opts_.port);
    auto h = sys_.middleman().remote_actor<es::inspector_actor>(opts_.host,
                                                                opts_.port);
    if (!h) {
      auto& err = h.error();
      if (err == caf::sec::cannot_connect_to_node)
        std::cerr << "es-console: nothing is listening on " << where
                  << " (is the store running with its console enabled, on "
                     "this port?)\n";
      else if (err == caf::sec::unexpected_actor_messaging_interface)
        std::cerr << "es-console: version mismatch: the store at " << where
                  << " offers another console interface than this "
                     "es-console "
                  << es::store_version()
                  << " (use the es-console of the store's build)\n";
      else
        std::cerr << "es-console: cannot connect to " << where << ": "
                  << sys_.render(err) << "\n";
      return false;
    }
    inspector_ = *h;
    self_->monitor(inspector_);
    uint32_t mine = es::console_protocol_version;
    if (auto* env = std::getenv("ES_CONSOLE_PROTOCOL"); env && *env)
      mine = static_cast<uint32_t>(std::strtoul(env, nullptr, 10));
    bool ok = false;
    self_->request(inspector_, opts_.timeout, es::hello_atom_v, mine)
        .receive(
            [&](uint32_t theirs, std::string& version) {
              if (theirs != mine) {
                std::cerr << "es-console: version mismatch: this es-console "
                             "speaks console protocol "
                          << mine << " (es-console " << es::store_version()
                          << "), the store at " << where << " speaks protocol "
                          << theirs << " (store " << version
                          << "); use the es-console of the store's build\n";
                return;
              }
              ok = true;
            },
            [&](caf::error& err) {
              std::cerr << "es-console: no handshake with the store at "
                        << where << ": " << sys_.render(err) << "\n";
            });
    return ok;
  }

  /// Sends one command; the reply, or nothing (and a message printed) when
  /// no reply came.
  std::optional<std::string> ask(const std::vector<std::string>& words) {
    std::optional<std::string> out;
    self_
        ->request(inspector_, opts_.timeout, es::console_atom_v,
                  es::encode_words(words))
        .receive([&](std::string& reply) { out = std::move(reply); },
                 [&](caf::error& err) { lost(err); });
    return out;
  }

  /// Runs one command as the user typed it; the exit status.
  int run(const std::vector<std::string>& words) {
    auto cmd = es::parse_command(words);
    if (!cmd) {
      std::cerr << "es-console: " << describe_local(cmd.error()) << "\n";
      return exit_usage;
    }
    if (cmd->verb == es::console_verb::help) {
      std::cout << es::help_text();
      return exit_ok;
    }
    if (cmd->verb == es::console_verb::tail)
      return tail(words);
    if (cmd->verb == es::console_verb::rebuild)
      return rebuild(words, cmd->name);
    auto reply = ask(words);
    if (!reply)
      return exit_no_store;
    return print(*reply);
  }

  bool connected() const { return static_cast<bool>(inspector_); }

private:
  static std::string describe_local(const caf::error& err) {
    // The context of the store's errors is the message itself.
    auto ctx = err.context();
    if (ctx.match_elements<std::string>())
      return ctx.get_as<std::string>(0);
    return caf::to_string(err);
  }

  void lost(const caf::error& err) {
    if (err == caf::sec::request_timeout)
      std::cerr << "es-console: no reply from the store within "
                << opts_.timeout.count() << " s\n";
    else
      std::cerr << "es-console: the store did not answer: " << sys_.render(err)
                << "\n";
  }

  /// Prints a reply; the exit status it means.
  int print(const std::string& reply) {
    auto out = es::console::render(reply);
    if (opts_.json) {
      std::cout << reply << std::endl;
      if (!out.ok)
        std::cerr << "es-console: " << out.text << "\n";
    } else if (out.ok) {
      std::cout << out.text << std::flush;
    } else {
      std::cerr << "es-console: " << out.text << "\n";
    }
    return out.ok ? exit_ok : exit_failed;
  }

  int tail(const std::vector<std::string>& words) {
    std::vector<std::string> args(words.begin() + 1, words.end());
    std::optional<std::string> reply;
    interrupted = false;
    auto previous = std::signal(SIGINT, on_sigint);
    self_
        ->request(inspector_, opts_.timeout, es::tail_atom_v,
                  es::encode_words(args), caf::actor_cast<caf::actor>(self_))
        .receive([&](std::string& r) { reply = std::move(r); },
                 [&](caf::error& err) { lost(err); });
    if (!reply) {
      std::signal(SIGINT, previous);
      return exit_no_store;
    }
    if (auto status = print(*reply); status != exit_ok) {
      std::signal(SIGINT, previous);
      return status;
    }
    int status = exit_ok;
    bool running = true;
    while (running && !interrupted) {
      self_->receive(
          [&](es::tail_atom, std::string& ev) {
            if (opts_.json)
              std::cout << ev << std::endl;
            else
              std::cout << es::console::render_event(ev) << std::flush;
          },
          [&](caf::down_msg&) {
            std::cerr << "es-console: the connection to the store was lost\n";
            status = exit_no_store;
            running = false;
          },
          caf::after(std::chrono::milliseconds{100}) >> [] {});
    }
    std::signal(SIGINT, previous);
    return status;
  }

  int rebuild(const std::vector<std::string>& words, const std::string& name) {
    // The rebuilds finished before, to tell when this one has.
    auto before = projection(name);
    if (!before)
      return exit_failed;
    auto reply = ask(words);
    if (!reply)
      return exit_no_store;
    if (auto status = print(*reply); status != exit_ok)
      return status;
    auto done_before = before->rebuilds;
    // Ctrl-C stops the waiting, not the rebuild.
    interrupted = false;
    auto previous = std::signal(SIGINT, on_sigint);
    struct restore {
      void (*handler)(int);
      ~restore() { std::signal(SIGINT, handler); }
    } restore_sigint{previous};
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds{250});
      if (interrupted) {
        std::cout << "\nstopped waiting; the rebuild of " << name
                  << " goes on in the store (projections " << name
                  << " shows it)" << std::endl;
        return exit_ok;
      }
      auto now = projection(name);
      if (!now)
        return exit_no_store;
      if (!now->rebuilding && now->rebuilds > done_before) {
        if (opts_.json) {
          std::cout << now->json << std::endl;
        } else {
          std::cout << "\r" << es::console::progress_bar(now->total, now->total)
                    << "\nrebuild of " << name << " finished: generation "
                    << now->generation << ", position " << now->position
                    << std::endl;
        }
        return exit_ok;
      }
      if (!opts_.json && now->rebuilding)
        std::cout << "\r" << es::console::progress_bar(now->done, now->total)
                  << std::flush;
    }
  }

  struct projection_view {
    bool rebuilding = false;
    uint64_t rebuilds = 0;
    uint64_t done = 0;
    uint64_t total = 0;
    int64_t generation = 0;
    int64_t position = 0;
    std::string json;
  };

  /// The state of one projection (and its reply); prints why not.
  std::optional<projection_view> projection(const std::string& name) {
    auto reply = ask({"projections", name});
    if (!reply)
      return std::nullopt;
    rapidjson::Document doc;
    doc.Parse(reply->data(), reply->size());
    if (doc.HasParseError() || !doc.IsObject() || doc.HasMember("error")) {
      print(*reply);
      return std::nullopt;
    }
    auto& list = doc["result"]["projections"];
    if (!list.IsArray() || list.Empty()) {
      std::cerr << "es-console: projection " << name << " did not answer\n";
      return std::nullopt;
    }
    auto& p = list[0];
    projection_view out;
    out.rebuilding = p["rebuilding"].GetBool();
    out.rebuilds = p["rebuilds"].GetUint64();
    out.done = p["rebuild"]["events_done"].GetUint64();
    out.total = p["rebuild"]["events_total"].GetUint64();
    out.generation = p["generation"].GetInt64();
    out.position = p["position"].GetInt64();
    out.json = *reply;
    return out;
  }

  caf::actor_system& sys_;
  options opts_;
  caf::scoped_actor self_;
  es::inspector_actor inspector_;
};

std::string history_file() {
  auto* home = std::getenv("HOME");
  return std::string{home != nullptr ? home : "."} + "/.es_console_history";
}

int interactive(session& s) {
  auto path = history_file();
  using_history();
  read_history(path.c_str());
  std::cout << "es-console " << es::store_version()
            << ": connected. Type help for the commands, quit or Ctrl-D to "
               "leave.\n";
  for (;;) {
    char* raw = readline("es> ");
    if (raw == nullptr) {
      std::cout << "\n";
      break;
    }
    std::string line{raw};
    std::free(raw);
    auto words = es::split_words(line);
    if (words.empty())
      continue;
    add_history(line.c_str());
    write_history(path.c_str());
    if (words.front() == "quit" || words.front() == "exit")
      break;
    if (s.run(words) == exit_no_store && !s.connected())
      return exit_no_store;
  }
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  auto opts = parse_options(argc, argv);
  if (!opts)
    return exit_usage;
  // Commands are checked before connecting: an unknown one needs no store.
  if (!opts->command.empty()) {
    auto cmd = es::parse_command(opts->command);
    if (!cmd) {
      auto ctx = cmd.error().context();
      std::cerr << "es-console: "
                << (ctx.match_elements<std::string>()
                        ? ctx.get_as<std::string>(0)
                        : caf::to_string(cmd.error()))
                << "\n";
      return exit_usage;
    }
    if (cmd->verb == es::console_verb::help) {
      std::cout << es::help_text();
      return exit_ok;
    }
  }
  if (opts->port == 0) {
    std::cerr << "es-console: port 0: which port? (--port P or ES_CONSOLE_PORT)\n"
              << usage_text;
    return exit_usage;
  }
  console_config cfg;
  caf::actor_system sys{cfg};
  int status = exit_ok;
  {
    session s{sys, *opts};
    if (!s.connect())
      return exit_no_store;
    status = opts->command.empty() ? interactive(s) : s.run(opts->command);
  }
  return status;
}
