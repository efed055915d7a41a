// es::config: the event store's configuration, as a CAF actor system
// configuration that applications derive from.
//
// Every option, its default (config/defaults.hpp) and a comment are listed
// in config/gamebot-es.ini. Names, as written on the command line (a file
// uses the part after the dot as key in a section of the part before it;
// global options sit before any section or in [global]):
//
//   --dsn, --data-dir                                 where the data is
//   --store.pool-size, --store.request-timeout, ...   node_options
//   --store.group-commit-*, --store.outage-queue-*,
//   --store.breaker-*, --store.backoff-*              resilience
//   --subscription.buffer-size, ...                   subscription_defaults
//   --console.bind, --console.port, --console.allow-remote
//   --http.enabled, --http.bind, --http.port, --http.allow-remote
//   --config-file F                                   read F first
//
// Values: durations with a unit (`250ms`, `5s`, `1min`), booleans `true` /
// `false`, strings quoted in a file ("127.0.0.1") and bare on the command
// line. Both `--name value` and `--name=value` work; a boolean alone
// (`--http.enabled`) means true. `--help` prints every option.
//
// Precedence: command line > file > environment > defaults. The
// environment: `ES_DSN` sets the DSN. libpq reads its own PG* variables
// (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE...) for whatever the DSN
// leaves out, but only when there is a DSN: an empty DSN always means the
// embedded cluster in `--data-dir`. There is no implicit file (CAF's
// caf-application.ini is not read); only `--config-file` loads one.
//
// Unlike CAF's own parser, a file with an unknown key or a value of the
// wrong type is an error, not silently ignored. Every error is an
// `ec::invalid_argument` naming the option (or the file and line).
//
// An application adds its own options in its constructor and gets them
// parsed with the store's:
//
//   struct demo_config : es::config {
//     int games = 3;
//     caf::timespan duration = std::chrono::seconds{10};
//     bool reset = false;
//     demo_config() {
//       opt_group{custom_options_, "global"}   // --games 5 / --games=5
//         .add(games, "games", "games to play")
//         .add(duration, "duration", "how long to play (e.g. 30s)")
//         .add(reset, "reset", "start from an empty store")
//         // A short name for a store option: binds the same member.
//         .add(console.port, "console-port", "same as --console.port");
//     }
//   };
//   int main(int argc, char** argv) {
//     demo_config cfg;
//     if (auto err = cfg.parse(argc, argv)) {
//       std::cerr << "es-demo: " << es::describe(err) << '\n';
//       return 2;
//     }
//     if (cfg.cli_helptext_printed)
//       return 0;
//     for (auto& w : cfg.warnings())
//       std::cerr << "es-demo: warning: " << w << '\n';
//     caf::actor_system sys{cfg};
//     auto store = es::start(sys, cfg.node);          // node_options
//     ... cfg.console.port, cfg.http, cfg.subscription.apply(spec) ...
//   }
//
// (Options in an application's own group, e.g. "demo", are written
// `--demo.games 5`; the global group gives the short `--games 5`.)
#pragma once

#include "actors/delivery_window.hpp"
#include "config/defaults.hpp"
#include "config/node_options.hpp"
#include "config/redact.hpp"
#include "messages/actors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace es {

/// Where es-console finds the running system (the inspector actor,
/// published with CAF's middleman).
struct console_options {
  std::string bind = defaults::console_bind;
  /// 0: a free port, chosen when published.
  uint16_t port = defaults::console_port;
  /// Required to bind anything but a loopback address.
  bool allow_remote = defaults::console_allow_remote;
};

/// The HTTP monitoring endpoint (/metrics, /healthz, /readyz).
struct http_options {
  bool enabled = defaults::http_enabled;
  std::string bind = defaults::http_bind;
  /// 0: a free port, chosen when the endpoint starts.
  uint16_t port = defaults::http_port;
  /// Required to bind anything but a loopback address.
  bool allow_remote = defaults::http_allow_remote;
};

/// Defaults for the subscriptions an application starts. A
/// `subscription_spec` takes its own defaults from config/defaults.hpp; the
/// application copies these into each spec it makes (`apply`) so that the
/// configured values hold.
struct subscription_defaults {
  delivery_options delivery;
  size_t buffer_size = defaults::subscription_buffer_size;
  size_t batch_size = defaults::subscription_batch_size;
  size_t page_size = defaults::subscription_page_size;

  /// Copies every field above into `spec`.
  void apply(subscription_spec& spec) const;
};

/// Names the first option of `opts` out of range (an `ec::invalid_argument`
/// error), or an empty error.
caf::error validate(const subscription_defaults& opts);

/// Whether `address` is a loopback address (127.0.0.0/8, ::1, localhost).
bool is_loopback(std::string_view address);

/// Validates a listening address and port named `group` ("console",
/// "http"): a non-loopback `bind` without `allow_remote` is an error naming
/// `group.bind`; with it, `warning` says why that is dangerous.
caf::error validate_listener(const char* group, const std::string& bind,
                             bool allow_remote, std::string* warning);

class config : public caf::actor_system_config {
public:
  config();

  // The options point into this object: it stays where it was made.
  config(const config&) = delete;
  config& operator=(const config&) = delete;

  /// The node's options (es::start takes them), the console's, the HTTP
  /// endpoint's, and the subscription defaults. Read them after `parse`;
  /// set them before it to change a default (the environment, a file and
  /// the command line still override).
  node_options node;
  console_options console;
  http_options http;
  subscription_defaults subscription;

  /// Applies the environment, then the file named by `--config-file` (if
  /// any), then the command line, to every option declared on this
  /// configuration (the store's and the application's); then validates the
  /// result. Arguments that are not options (and everything after `--`)
  /// go to `remainder`. `--help` prints the options to stdout and sets
  /// `cli_helptext_printed`; `--dump-config` prints every option's value
  /// (the DSN redacted) and sets it too. Returns an `ec::invalid_argument`
  /// error naming the option (or file) at fault; the values are then
  /// unspecified.
  caf::error parse(int argc, char** argv);

  /// As above, with the arguments after the program name.
  caf::error parse(std::vector<std::string> args);

  /// Warnings for the caller to print after a successful `parse` (e.g. a
  /// console bound to a non-loopback address).
  const std::vector<std::string>& warnings() const noexcept {
    return warnings_;
  }

  /// Full names ("store.pool-size", "dsn" for global ones) of the options
  /// this class declares: the store's, not CAF's or the application's.
  std::vector<std::string> store_option_names() const;

  /// Every declared option (CAF's, the store's, the application's).
  const caf::config_option_set& options() const noexcept {
    return custom_options_;
  }

  /// The file `parse` read (empty: none).
  const std::string& loaded_file() const noexcept { return loaded_file_; }

private:
  caf::error apply_file(const std::string& path);
  caf::error apply_cli(std::vector<std::string>& args);
  caf::error store(const caf::config_option& opt, caf::config_value value,
                   const std::string& where);
  void sync_staging_from_node();
  void sync_node_from_staging();
  std::string dump() const;

  // The node's durations in milliseconds, staged as CAF timespans (the
  // types CAF's options can bind).
  caf::timespan request_timeout_;
  caf::timespan query_timeout_;
  caf::timespan health_interval_;
  caf::timespan stream_idle_timeout_;
  caf::timespan dispatcher_poll_interval_;
  caf::timespan dispatcher_read_interval_;
  caf::timespan dispatcher_read_interval_min_;
  caf::timespan dispatcher_read_interval_per_subscription_;
  caf::timespan restart_window_;

  size_t own_begin_ = 0;
  size_t own_end_ = 0;
  std::vector<std::string> warnings_;
  std::string loaded_file_;
};

} // namespace es
