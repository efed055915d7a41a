// The session connection (actors/session.hpp) and exclusive subscriptions
// (actors/exclusive_subscription.hpp) against PostgreSQL, with a second
// process (tests/support/es_test_peer.cpp) on the same database:
// - events another process appends reach a subscription through NOTIFY
//   alone (the dispatcher's poll is set to an hour);
// - after the listener's backend is terminated, events committed while no
//   one listened arrive without any further append (the catch-up read
//   after re-arming), and later ones arrive too (LISTEN re-armed);
// - an exclusive subscription owned by the peer stays on standby here, and
//   takes over from the stored checkpoint after the peer is killed;
// - an owner that loses its session connection stops delivering and
//   resumes once it owns the subscription again.
#include "actors/subscriber.hpp"
#include "messages/error.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <mutex>
#include <set>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;

namespace {

/// What a test subscriber saw, shared with the test thread.
struct collector {
  std::mutex mtx;
  std::vector<int64_t> positions;

  void add(int64_t pos) {
    std::lock_guard<std::mutex> guard{mtx};
    positions.push_back(pos);
  }
  std::vector<int64_t> seen() {
    std::lock_guard<std::mutex> guard{mtx};
    return positions;
  }
  std::set<int64_t> distinct() {
    auto all = seen();
    return {all.begin(), all.end()};
  }
};

/// A child process running es-test-peer; killed and reaped when dropped.
class peer_process {
public:
  explicit peer_process(std::vector<std::string> args) {
    args.insert(args.begin(), ES_TEST_PEER);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, ES_TEST_PEER, nullptr, nullptr, argv.data(),
                           environ);
    BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " ES_TEST_PEER);
  }
  peer_process(const peer_process&) = delete;
  peer_process& operator=(const peer_process&) = delete;
  ~peer_process() {
    if (pid_ > 0)
      kill9();
  }

  /// Waits for it to exit; its exit status (-1 when it did not exit).
  int wait() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  void kill9() {
    ::kill(pid_, SIGKILL);
    wait();
  }

private:
  pid_t pid_ = -1;
};

/// The positions the peer recorded in its progress file.
std::set<int64_t> read_progress(const std::string& path) {
  std::ifstream in{path};
  std::set<int64_t> out;
  for (long long pos; in >> pos;)
    out.insert(pos);
  return out;
}

node_options session_options() {
  node_options opts;
  opts.dsn = test_database();
  opts.pool_size = 2;
  opts.request_timeout = 20s;
  // Only NOTIFY (or the node's own commits) can wake the dispatcher.
  opts.dispatcher_poll_interval = std::chrono::hours{1};
  return opts;
}

struct session_fixture {
  test_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<const registry::catalog> cat =
      std::make_shared<const registry::catalog>(registry::game_catalog());
  std::optional<store> es;
  std::string category = "sess" + std::to_string(::getpid()) + "x" +
                         std::to_string(std::rand() % 100000);

  explicit session_fixture(node_options opts = session_options()) {
    auto s = start(sys, std::move(opts), cat);
    BOOST_REQUIRE_MESSAGE(s, error_of(s));
    es.emplace(std::move(*s));
  }
  ~session_fixture() {
    if (es)
      es->stop();
  }

  /// Appends `n` events through the node (one per call).
  void append(size_t n) {
    for (size_t k = 0; k < n; ++k) {
      auto r = es->append(category + "-" + std::to_string(k % 3),
                          expected_version::any(), {joined_event(*cat)});
      BOOST_REQUIRE_MESSAGE(r, error_of(r));
    }
  }

  /// Appends `n` events on a connection of its own, which the node knows
  /// nothing about (as another process would).
  void append_elsewhere(size_t n) {
    auto direct = open_store();
    for (size_t k = 0; k < n; ++k) {
      stream_append part{
          category + "-x", expected_version::any(), {joined_event(*cat)}};
      auto r = direct.append(std::move(part));
      BOOST_REQUIRE_MESSAGE(r, error_of(r));
    }
  }

  /// The positions of our category in the database.
  std::set<int64_t> stored() {
    auto all = stored_positions(category);
    return {all.begin(), all.end()};
  }


  subscription_spec spec_for(std::shared_ptr<collector> out) {
    subscription_spec spec;
    spec.name = category;
    spec.filter = log_filter::category(category);
    spec.subscriber = spawn_subscriber(sys, [out](const recorded_event& ev) {
      out->add(ev.global_position);
      return true;
    });
    return spec;
  }

  subscription_status status(const subscription_actor& sub) {
    auto st = es->status_of(sub);
    BOOST_REQUIRE_MESSAGE(st, error_of(st));
    return *st;
  }

  /// The session's backend pid (0 while it is disconnected).
  int32_t session_pid() {
    caf::scoped_actor self{sys};
    caf::actor which;
    self->request(es->node(), 10s, status_atom_v, component::session)
        .receive([&](caf::actor& a) { which = std::move(a); },
                 [&](caf::error&) {});
    BOOST_REQUIRE(which);
    int32_t pid = -1;
    self->request(caf::actor_cast<session_actor>(which), 10s, status_atom_v)
        .receive([&](int32_t p) { pid = p; }, [&](caf::error&) {});
    return pid;
  }

  /// Terminates the session's backend from a connection of the test.
  void terminate_session(int32_t pid) {
    auto direct = open_store();
    auto sql = "SELECT count(pg_terminate_backend(pid)) FROM "
               "pg_stat_activity WHERE pid = " +
               std::to_string(pid) + " AND application_name = 'es-session'";
    auto res = direct.connection().exec_sql(sql.c_str());
    BOOST_REQUIRE_MESSAGE(res, error_of(res));
    BOOST_REQUIRE_EQUAL(res->int64(0, 0), 1);
  }
};

/// Options whose session reconnects exactly 3 s after losing its
/// connection: a window in which no one listens.
node_options slow_reconnect_options() {
  auto opts = session_options();
  opts.backoff.initial = 3s;
  opts.backoff.max = 3s;
  opts.backoff.jitter = 0;
  return opts;
}

} // namespace

BOOST_AUTO_TEST_SUITE(session)

BOOST_AUTO_TEST_CASE(options_are_checked) {
  auto opts = session_options();
  opts.dispatcher_poll_interval = 0ms;
  BOOST_TEST(validate(opts) == ec::invalid_argument);
  session_fixture f;
  auto spec = f.spec_for(std::make_shared<collector>());
  spec.exclusive = true; // but not persistent
  auto sub = f.es->subscribe(spec);
  BOOST_REQUIRE(!sub);
  BOOST_TEST(sub.error() == ec::invalid_argument);
  BOOST_TEST(describe(sub.error()).find("persistent") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(events_of_another_process_arrive_through_notify) {
  session_fixture f;
  auto seen = std::make_shared<collector>();
  auto sub = f.es->subscribe(f.spec_for(seen));
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return f.status(*sub).live; }));
  peer_process peer{{"append", test_database(), f.category, "20"}};
  BOOST_REQUIRE_EQUAL(peer.wait(), 0);
  BOOST_TEST(eventually([&] { return seen->distinct().size() >= 20; }));
  BOOST_TEST(seen->distinct() == f.stored());
  BOOST_TEST(seen->seen().size() == 20u);
}

BOOST_AUTO_TEST_CASE(listen_is_rearmed_with_a_catch_up_read) {
  session_fixture f{slow_reconnect_options()};
  auto seen = std::make_shared<collector>();
  auto sub = f.es->subscribe(f.spec_for(seen));
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return f.status(*sub).live; }));
  int32_t before = 0;
  BOOST_REQUIRE(eventually([&] { return (before = f.session_pid()) > 0; }));
  f.terminate_session(before);
  BOOST_REQUIRE(eventually([&] { return f.session_pid() == 0; }));
  // Committed while no one listens: their notifications are lost for good.
  f.append_elsewhere(5);
  BOOST_REQUIRE_MESSAGE(f.session_pid() == 0,
                        "the session reconnected before the appends "
                        "finished; the test proves nothing");
  // No further append: the read after re-arming finds them.
  BOOST_TEST(eventually([&] { return seen->distinct().size() >= 5; }));
  int32_t after = 0;
  BOOST_REQUIRE(eventually([&] { return (after = f.session_pid()) > 0; }));
  BOOST_TEST(after != before);
  // Listening again: later commits notify the new connection.
  f.append_elsewhere(5);
  BOOST_TEST(eventually([&] { return seen->distinct().size() >= 10; }));
  BOOST_TEST(seen->distinct() == f.stored());
}

BOOST_AUTO_TEST_CASE(a_dead_session_is_restarted_and_listens_again) {
  session_fixture f;
  auto seen = std::make_shared<collector>();
  auto sub = f.es->subscribe(f.spec_for(seen));
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  BOOST_REQUIRE(eventually([&] { return f.status(*sub).live; }));
  caf::actor old;
  {
    caf::scoped_actor self{f.sys};
    self->request(f.es->node(), 10s, status_atom_v, component::session)
        .receive([&](caf::actor& a) { old = std::move(a); },
                 [&](caf::error&) {});
    BOOST_REQUIRE(old);
    self->send_exit(old, caf::exit_reason::kill);
  }
  BOOST_REQUIRE(eventually([&] {
    caf::scoped_actor self{f.sys};
    caf::actor now;
    self->request(f.es->node(), 10s, status_atom_v, component::session)
        .receive([&](caf::actor& a) { now = std::move(a); },
                 [&](caf::error&) {});
    return now && now != old && f.session_pid() > 0;
  }));
  // The new session knows the dispatcher: another writer's events arrive.
  f.append_elsewhere(3);
  BOOST_TEST(eventually([&] { return seen->distinct().size() >= 3; }));
  auto st = f.es->status();
  BOOST_REQUIRE_MESSAGE(st, error_of(st));
  BOOST_TEST(st->restarts == 1u);
}

BOOST_AUTO_TEST_CASE(ownership_fails_over_to_another_process) {
  session_fixture f;
  auto progress = "/tmp/es-peer-progress-" + f.category;
  std::remove(progress.c_str());
  std::optional<peer_process> peer;
  peer.emplace(std::vector<std::string>{"own", test_database(), f.category,
                                        f.category, progress});
  f.append(10);
  BOOST_REQUIRE_MESSAGE(
      eventually([&] { return read_progress(progress).size() >= 10; }),
      "the peer did not take and run the subscription");
  // Here: standby while the peer owns it.
  auto seen = std::make_shared<collector>();
  auto spec = f.spec_for(seen);
  spec.persistent = true;
  spec.exclusive = true;
  spec.start = start_from::origin;
  auto sub = f.es->subscribe(spec);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  f.append(10);
  BOOST_REQUIRE(
      eventually([&] { return read_progress(progress).size() >= 20; }));
  // The peer checkpoints after every event: wait until all 20 are stored.
  auto direct = open_store();
  auto all20 = f.stored();
  BOOST_REQUIRE(eventually([&] {
    auto rec = direct.open_subscription(f.category);
    return rec && rec->position >= *all20.rbegin();
  }));
  BOOST_TEST(seen->seen().empty());
  BOOST_TEST(f.status(*sub).standby);
  // The owner dies.
  auto killed_at = std::chrono::steady_clock::now();
  peer->kill9();
  auto checkpoint = direct.open_subscription(f.category);
  BOOST_REQUIRE_MESSAGE(checkpoint, error_of(checkpoint));
  f.append(10);
  BOOST_REQUIRE(eventually([&] { return !f.status(*sub).standby; }));
  auto owned_at = std::chrono::steady_clock::now();
  BOOST_REQUIRE(eventually([&] {
    auto got = seen->distinct();
    auto all = f.stored();
    return std::includes(got.begin(), got.end(),
                         all.upper_bound(checkpoint->position), all.end());
  }));
  auto delivered_at = std::chrono::steady_clock::now();
  using ms = std::chrono::milliseconds;
  BOOST_TEST_MESSAGE(
      "failover: owned "
      << std::chrono::duration_cast<ms>(owned_at - killed_at).count()
      << " ms after kill -9, all events delivered after "
      << std::chrono::duration_cast<ms>(delivered_at - killed_at).count()
      << " ms");
  // Resumed after the stored checkpoint: nothing at or below it again.
  auto got = seen->distinct();
  BOOST_REQUIRE(!got.empty());
  BOOST_TEST(*got.begin() > checkpoint->position);
  // Together the two processes handled every event.
  auto handled = read_progress(progress);
  handled.insert(got.begin(), got.end());
  BOOST_TEST(handled == f.stored());
  std::remove(progress.c_str());
}

BOOST_AUTO_TEST_CASE(an_owner_that_loses_its_session_stops_and_resumes) {
  session_fixture f{slow_reconnect_options()};
  auto seen = std::make_shared<collector>();
  auto spec = f.spec_for(seen);
  spec.persistent = true;
  spec.exclusive = true;
  spec.start = start_from::origin;
  auto sub = f.es->subscribe(spec);
  BOOST_REQUIRE_MESSAGE(sub, error_of(sub));
  f.append(5);
  BOOST_REQUIRE(eventually([&] { return seen->distinct().size() >= 5; }));
  BOOST_TEST(!f.status(*sub).standby);
  int32_t pid = 0;
  BOOST_REQUIRE(eventually([&] { return (pid = f.session_pid()) > 0; }));
  f.terminate_session(pid);
  // The lock went with the connection: it stops delivering.
  BOOST_REQUIRE(eventually([&] { return f.status(*sub).standby; }));
  auto before = seen->distinct().size();
  f.append(5);
  auto during = seen->distinct().size();
  if (f.status(*sub).standby)
    BOOST_TEST(during == before);
  // Reconnected, it owns the subscription again and catches up.
  BOOST_TEST(eventually([&] { return !f.status(*sub).standby; }));
  BOOST_TEST(eventually([&] { return seen->distinct().size() >= 10; }));
  BOOST_TEST(seen->distinct() == f.stored());
}

BOOST_AUTO_TEST_SUITE_END()
