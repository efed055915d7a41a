// es-test-peer: a second bot process for the cross-process tests
// (tests/actors/session_test.cpp). It embeds its own actor system and
// es::store on the same database as the test.
//
//   es-test-peer append DSN CATEGORY N
//       appends N PlayerJoined events, one per call, to CATEGORY-0..3, then
//       exits 0 (1 on any error).
//   es-test-peer own DSN NAME CATEGORY PROGRESS_FILE
//       runs the exclusive persistent subscription NAME over CATEGORY from
//       the origin, checkpointing after every event, and appends the global
//       position of every event it handles to PROGRESS_FILE (one per line,
//       flushed before acknowledging); runs until it is killed.
//   es-test-peer console DSN CATEGORY PORT_FILE
//       the node of tests/tools/console_test.cpp: appends 3 PlayerJoined
//       events to CATEGORY-1 and one to CATEGORY-bad, runs the persistent
//       subscription CATEGORY-sub over CATEGORY from the origin, whose
//       subscriber declines every event of CATEGORY-bad (parked after one
//       attempt), spawns the game-state projection CATEGORY-state over
//       CATEGORY and registers it with the inspector, publishes the
//       inspector on 127.0.0.1 (a free port), writes the port to PORT_FILE
//       (complete when it appears), and runs until it is killed.
#include "actors/game_projections.hpp"
#include "actors/inspector.hpp"
#include "actors/store.hpp"
#include "actors/subscriber.hpp"
#include "tests/actors/runtime_support.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>

namespace {

es::node_options peer_options(const std::string& dsn) {
  es::node_options opts;
  opts.dsn = dsn;
  opts.pool_size = 1;
  return opts;
}

int append(caf::actor_system& sys, const std::string& dsn,
           const std::string& category, size_t n) {
  auto store = es::start(sys, peer_options(dsn));
  if (!store) {
    std::cerr << "es-test-peer: " << es::describe(store.error()) << '\n';
    return 1;
  }
  auto cat = store->catalog();
  for (size_t i = 0; i < n; ++i) {
    auto r = store->append(category + "-" + std::to_string(i % 4),
                           es::expected_version::any(),
                           {es::test::joined_event(*cat)});
    if (!r) {
      std::cerr << "es-test-peer: " << es::describe(r.error()) << '\n';
      return 1;
    }
  }
  return 0;
}

int own(caf::actor_system& sys, const std::string& dsn, const std::string& name,
        const std::string& category, const std::string& progress) {
  std::shared_ptr<std::FILE> out{std::fopen(progress.c_str(), "a"),
                                 [](std::FILE* f) {
                                   if (f != nullptr)
                                     std::fclose(f);
                                 }};
  if (!out) {
    std::cerr << "es-test-peer: cannot open " << progress << '\n';
    return 1;
  }
  auto store = es::start(sys, peer_options(dsn));
  if (!store) {
    std::cerr << "es-test-peer: " << es::describe(store.error()) << '\n';
    return 1;
  }
  es::subscription_spec spec;
  spec.name = name;
  spec.persistent = true;
  spec.exclusive = true;
  spec.start = es::start_from::origin;
  spec.filter = es::log_filter::category(category);
  spec.delivery.checkpoint_every = 1;
  spec.subscriber =
      es::spawn_subscriber(sys, [out](const es::recorded_event& ev) {
        std::fprintf(out.get(), "%lld\n",
                     static_cast<long long>(ev.global_position));
        std::fflush(out.get());
        return true;
      });
  auto sub = store->subscribe(std::move(spec));
  if (!sub) {
    std::cerr << "es-test-peer: " << es::describe(sub.error()) << '\n';
    return 1;
  }
  for (;;)
    ::pause(); // holds the subscription until the test kills it
}

int console(caf::actor_system& sys, const std::string& dsn,
            const std::string& category, const std::string& port_file) {
  // Dies with the test, even when the test itself crashes.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  auto store = es::start(sys, peer_options(dsn));
  if (!store) {
    std::cerr << "es-test-peer: " << es::describe(store.error()) << '\n';
    return 1;
  }
  auto cat = store->catalog();
  auto append = [&](const std::string& stream, const std::string& name) {
    auto r = store->append(stream, es::expected_version::any(),
                           {es::test::joined_event(*cat, name)});
    if (!r)
      std::cerr << "es-test-peer: " << es::describe(r.error()) << '\n';
    return static_cast<bool>(r);
  };
  for (auto name : {"Ann", "Bob", "Cid"})
    if (!append(category + "-1", name))
      return 1;
  if (!append(category + "-bad", "Dee"))
    return 1;
  es::subscription_spec spec;
  spec.name = category + "-sub";
  spec.persistent = true;
  spec.start = es::start_from::origin;
  spec.filter = es::log_filter::category(category);
  spec.delivery.max_attempts = 1;
  auto bad = category + "-bad";
  spec.subscriber = es::spawn_subscriber(
      sys, [bad](const es::recorded_event& ev) { return ev.stream != bad; });
  if (auto sub = store->subscribe(std::move(spec)); !sub) {
    std::cerr << "es-test-peer: " << es::describe(sub.error()) << '\n';
    return 1;
  }
  auto projection = es::spawn_projection(
      sys, store->node(),
      es::game_state_projection(category + "-state", 1, category));
  es::inspector_actor inspector;
  auto port = es::publish_inspector(sys, store->node(), {}, &inspector);
  if (!port) {
    std::cerr << "es-test-peer: " << es::describe(port.error()) << '\n';
    return 1;
  }
  es::register_projection(inspector, category + "-state", projection);
  {
    std::ofstream out{port_file + ".tmp"};
    out << *port << '\n';
  }
  std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  for (;;)
    ::pause(); // serves the console until the test kills it
}

/// The runtime's test config, with the middleman for `console`.
struct peer_config : es::test::test_system_config {
  explicit peer_config(bool remote) {
    if (remote)
      load<caf::io::middleman>();
  }
};

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  peer_config cfg{!args.empty() && args[0] == "console"};
  caf::actor_system sys{cfg};
  if (args.size() == 4 && args[0] == "append")
    return append(sys, args[1], args[2], std::stoul(args[3]));
  if (args.size() == 5 && args[0] == "own")
    return own(sys, args[1], args[2], args[3], args[4]);
  if (args.size() == 4 && args[0] == "console")
    return console(sys, args[1], args[2], args[3]);
  std::cerr << "usage: es-test-peer append DSN CATEGORY N\n"
               "       es-test-peer own DSN NAME CATEGORY PROGRESS_FILE\n"
               "       es-test-peer console DSN CATEGORY PORT_FILE\n";
  return 2;
}
