// es-demo end to end, as CI and an operator run it: a short run against the
// test database is consistent and says so on its last line; runs add to
// the same store; a tampered read model is caught ("consistent: no", exit
// 1); SIGINT during the games stops them early and SIGTERM ends --linger
// (which serves es-console meanwhile), both with a clean shutdown; --reset empties the embedded cluster; bad
// arguments are named.
#define BOOST_TEST_MODULE demo_run
#include "tests/pg_fixture.hpp"
#include "tests/support/child_process.hpp"

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <regex>
#include <thread>

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;

namespace {

const std::string consistent = "projections consistent: yes";

std::vector<std::string> with(std::vector<std::string> args,
                              const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::vector<std::string> on_test_db(std::vector<std::string> args) {
  return with({"--dsn", test_database(), "--console-port", "0"}, args);
}

/// The number of games the summary says the store holds.
long stored_games(const std::string& out) {
  std::smatch m;
  BOOST_REQUIRE_MESSAGE(std::regex_search(out, m,
                                          std::regex{"store holds +([0-9]+) games"}),
                        "no store line in: " << out);
  return std::stol(m[1]);
}

} // namespace

BOOST_AUTO_TEST_CASE(short_runs_are_consistent_and_add_to_the_store) {
  child_process first{ES_DEMO, on_test_db({"--games", "24", "--guilds", "3",
                                           "--duration", "1s", "--seed", "7"})};
  BOOST_TEST_REQUIRE(first.wait(300s) == 0, first.out() << first.err());
  BOOST_TEST(first.last_line() == consistent);
  BOOST_TEST(first.out().find("games played        24 of 24 in 3 guilds")
             != std::string::npos);
  auto before = stored_games(first.out());
  BOOST_TEST(before >= 24);
  child_process second{ES_DEMO, on_test_db({"--games=8", "--duration=0s"})};
  BOOST_TEST_REQUIRE(second.wait(300s) == 0, second.out() << second.err());
  BOOST_TEST(second.last_line() == consistent);
  BOOST_TEST(stored_games(second.out()) == before + 8);
}

BOOST_AUTO_TEST_CASE(a_tampered_read_model_is_not_consistent) {
  child_process first{ES_DEMO, on_test_db({"--games", "8", "--duration", "0s"})};
  BOOST_TEST_REQUIRE(first.wait(300s) == 0, first.out() << first.err());
  // Someone edits the leaderboard's rows behind the projection's back.
  auto direct = open_store();
  auto res = direct.connection().exec_sql(
      "UPDATE es_leaderboard SET points = points + 1000 "
      "WHERE projection = 'leaderboard' AND player_id = "
      "(SELECT min(player_id) FROM es_leaderboard "
      " WHERE projection = 'leaderboard')");
  BOOST_REQUIRE(static_cast<bool>(res));
  child_process second{ES_DEMO, on_test_db({"--games", "4", "--duration", "0s"})};
  BOOST_TEST(second.wait(300s) == 1);
  BOOST_TEST(second.last_line() == "projections consistent: no");
  BOOST_TEST(second.out().find("leaderboard projection:") != std::string::npos);
  // Put it back for the other cases.
  BOOST_REQUIRE(static_cast<bool>(direct.connection().exec_sql(
      "UPDATE es_leaderboard SET points = points - 1000 "
      "WHERE projection = 'leaderboard' AND points >= 1000 AND player_id = "
      "(SELECT min(player_id) FROM es_leaderboard "
      " WHERE projection = 'leaderboard')")));
}

BOOST_AUTO_TEST_CASE(sigint_stops_the_games_early_and_still_checks) {
  child_process demo{ES_DEMO, on_test_db({"--games", "40", "--duration", "2min"})};
  // Wait (with a deadline) until the progress line, on stderr, shows that
  // turns landed, so that the interruption cuts games in the middle.
  const std::regex landed{"games, [1-9][0-9]* events"};
  auto until = std::chrono::steady_clock::now() + 120s;
  while (!std::regex_search(demo.err(), landed)
         && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(100ms);
  BOOST_TEST_REQUIRE(std::regex_search(demo.err(), landed), demo.err());
  demo.signal(SIGINT);
  BOOST_TEST_REQUIRE(demo.wait(120s) == 0, demo.out() << demo.err());
  BOOST_TEST(demo.out().find("(interrupted)") != std::string::npos);
  BOOST_TEST(demo.last_line() == consistent);
}

BOOST_AUTO_TEST_CASE(a_lingering_demo_serves_the_console_until_sigterm) {
  child_process demo{ES_DEMO, on_test_db({"--games", "4", "--duration", "0s",
                                          "--linger", "--http.enabled",
                                          "--http.port", "0"})};
  BOOST_TEST_REQUIRE(demo.wait_for_output(consistent, 120s), demo.err());
  BOOST_TEST(demo.err().find("metrics: http://127.0.0.1:") != std::string::npos);
  std::smatch m;
  auto err = demo.err();
  BOOST_REQUIRE_MESSAGE(std::regex_search(err, m,
                                          std::regex{"es-console --port ([0-9]+)"}),
                        err);
  // The operator attaches: the projections are there, the games too.
  child_process projections{ES_CONSOLE, {"--port", m[1], "projections"}};
  BOOST_TEST_REQUIRE(projections.wait(60s) == 0, projections.out()
                                                     << projections.err());
  BOOST_TEST(projections.out().find("game-state") != std::string::npos);
  BOOST_TEST(projections.out().find("leaderboard") != std::string::npos);
  child_process streams{ES_CONSOLE, {"--port", m[1], "--json", "streams"}};
  BOOST_TEST_REQUIRE(streams.wait(60s) == 0, streams.err());
  BOOST_TEST(streams.out().find("\"game-") != std::string::npos);
  // A second demo cannot take the same console port, and says so.
  child_process second{ES_DEMO, with({"--dsn", test_database(),
                                      "--console-port", m[1], "--games", "1"},
                                     {})};
  BOOST_TEST(second.wait(120s) == 1);
  BOOST_TEST(second.err().find("cannot publish the console on 127.0.0.1:"
                               + std::string{m[1]})
                 != std::string::npos,
             second.err());
  BOOST_TEST(second.err().find("--console-port") != std::string::npos);
  demo.signal(SIGTERM);
  BOOST_TEST(demo.wait(60s) == 0);
  BOOST_TEST(demo.err().find("lingering") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reset_empties_the_embedded_cluster) {
  auto dir = "/tmp/es-demo-reset-" + std::to_string(::getpid());
  auto run = [&](std::vector<std::string> more) {
    child_process demo{ES_DEMO, with({"--data-dir", dir, "--console-port", "0",
                                      "--games", "4",
                                      "--duration", "0s"},
                                     more)};
    BOOST_TEST_REQUIRE(demo.wait(300s) == 0, demo.out() << demo.err());
    BOOST_TEST(demo.last_line() == consistent);
    return stored_games(demo.out());
  };
  BOOST_TEST(run({"--reset"}) == 4);
  BOOST_TEST(run({}) == 8);
  BOOST_TEST(run({"--reset"}) == 4);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(bad_arguments_are_named) {
  auto refused = [](std::vector<std::string> args, const std::string& named) {
    child_process demo{ES_DEMO, args};
    BOOST_TEST(demo.wait(60s) == 2);
    BOOST_TEST(demo.err().find(named) != std::string::npos, demo.err());
  };
  refused({"--games", "0"}, "--games: expected 1-100000, found 0");
  refused({"--games"}, "option games: needs a value");
  refused({"--duration", "soon"}, "option duration: invalid value 'soon'");
  refused({"--frobnicate"}, "unknown option --frobnicate");
  refused({"--dsn", "host=x", "--reset"}, "--reset");
  refused({"--console.bind", "0.0.0.0"}, "option console.bind");
  refused({"--store.pool-size", "0"}, "pool-size");
}
