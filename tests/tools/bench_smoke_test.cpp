// es-bench end to end, short, against the test database (each scenario as a
// child process with --json), as CI runs it. Checks only what must hold
// whatever the machine's speed: exit status 0, exactly one JSON line, every
// path present and without error, and the correctness counts (events
// stored = written, delivered = expected, no duplicates, every event read
// back and decoded, nothing lost or duplicated across an outage). Never a
// timing.
#define BOOST_TEST_MODULE bench_smoke
#include "tests/pg_fixture.hpp"
#include "tests/support/child_process.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <string>
#include <vector>

using namespace es;
using namespace es::test;

namespace {

/// Runs es-bench with `args` on the test database and returns its JSON
/// line, parsed; requires exit status 0 and one line of JSON.
/// With `embedded`, es-bench starts a cluster of its own instead.
rapidjson::Document run_bench(std::vector<std::string> args,
                              bool embedded = false) {
  if (!embedded)
    args.insert(args.end(), {"--dsn", test_database()});
  args.push_back("--json");
  std::vector<std::string> env;
  if (embedded)
    env.push_back("ES_DSN="); // es-bench then starts its own cluster
  child_process bench{ES_BENCH, args, env};
  auto status = bench.wait(std::chrono::seconds{300});
  BOOST_REQUIRE_MESSAGE(status == 0, "es-bench exited with "
                                         << status
                                         << "\nstdout: " << bench.out()
                                         << "\nstderr: " << bench.err());
  auto out = bench.out();
  BOOST_REQUIRE_MESSAGE(!out.empty() && out.find('\n') == out.size() - 1,
                        "not exactly one line: " << out);
  rapidjson::Document doc;
  doc.Parse(out.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                        "not a JSON object: " << out);
  BOOST_TEST(!doc.HasMember("errors"), out);
  return doc;
}

/// The figure `key` of path `path`; requires it.
double figure(const rapidjson::Document& doc, const char* path,
              const char* key) {
  BOOST_REQUIRE_MESSAGE(doc["paths"].HasMember(path), "no path " << path);
  const auto& p = doc["paths"][path];
  BOOST_REQUIRE_MESSAGE(p.HasMember(key), path << " has no " << key);
  return p[key].GetDouble();
}

} // namespace

BOOST_AUTO_TEST_CASE(append_stores_every_event_once_on_every_path) {
  auto doc = run_bench({"--scenario", "append", "--batch", "10", "--streams",
                        "8", "--events", "400"});
  BOOST_TEST(doc["scenario"].GetString() == std::string{"append"});
  BOOST_TEST(figure(doc, "store", "stored") == 400);
  BOOST_TEST(figure(doc, "raw", "stored") == 400);
  // Every call was checked (versions, rows) by es-bench itself.
  BOOST_TEST(figure(doc, "store", "calls") == 40);
  BOOST_TEST(figure(doc, "raw", "calls") == 40);
  BOOST_TEST(figure(doc, "commanded", "calls") == 40);
  BOOST_TEST(figure(doc, "plain", "calls") == 40);
  BOOST_TEST(figure(doc, "physical", "calls") == 1);
  // The fields older readers use are still there.
  for (auto* key : {"events_per_s", "p50_ms", "p99_ms", "baseline_events_per_s",
                    "ratio", "transactions", "appends_per_transaction"})
    BOOST_TEST(doc.HasMember(key), key);
  for (auto* ratio : {"store/raw", "store/physical", "commanded/raw"})
    BOOST_TEST(doc["ratios"].HasMember(ratio), ratio);
}

BOOST_AUTO_TEST_CASE(append_multi_stores_every_event_once) {
  auto doc = run_bench({"--scenario", "append-multi", "--events", "300",
                        "--streams", "10", "--pool-size", "2"});
  BOOST_TEST(figure(doc, "store", "stored") == 300);
  BOOST_TEST(figure(doc, "raw", "stored") == 300);
  BOOST_TEST(doc["ratios"].HasMember("store/raw"));
}

BOOST_AUTO_TEST_CASE(read_stream_reads_and_decodes_every_event) {
  auto doc = run_bench(
      {"--scenario", "read-stream", "--events", "1500", "--page", "200"});
  BOOST_TEST(figure(doc, "store", "events") == 1500);
  BOOST_TEST(figure(doc, "store", "decoded") == 1500);
  BOOST_TEST(figure(doc, "raw", "events") == 1500);
}

BOOST_AUTO_TEST_CASE(read_all_reads_and_decodes_every_event) {
  auto doc = run_bench(
      {"--scenario", "read-all", "--events", "3000", "--pool-size", "2"});
  // Other writers' events in the range would count in `events`, never in
  // `decoded` (only this run's are decoded and checked).
  BOOST_TEST(figure(doc, "store", "decoded") == 3000);
  BOOST_TEST(figure(doc, "store", "events") == figure(doc, "raw", "events"));
}

BOOST_AUTO_TEST_CASE(catchup_delivers_everything) {
  // es-bench waits until all 2,000 arrived, so exit 0 says they did.
  auto doc = run_bench({"--scenario", "catchup", "--events", "2000"});
  BOOST_TEST(doc["events"].GetInt() == 2000);
  BOOST_TEST(doc.HasMember("events_per_s"));
  BOOST_TEST(figure(doc, "raw", "events") == 2000);
  BOOST_TEST(doc["ratios"].HasMember("store/raw"));
}

BOOST_AUTO_TEST_CASE(fanout_delivers_every_event_to_every_subscriber_once) {
  auto doc = run_bench({"--scenario", "fanout", "--subscribers", "20",
                        "--events", "200", "--rate", "500"});
  BOOST_TEST(doc["expected"].GetInt() == 4000);
  BOOST_TEST(doc["delivered"].GetInt() == 4000);
  BOOST_TEST(doc["duplicates"].GetInt() == 0);
  BOOST_TEST(doc["append_failures"].GetInt() == 0);
  for (auto* key : {"p50_ms", "p99_ms", "max_ms", "commit_p50_ms",
                    "commit_p99_ms"})
    BOOST_TEST(doc.HasMember(key), key);
}

BOOST_AUTO_TEST_CASE(outage_loses_and_duplicates_nothing) {
  // PostgreSQL stopped for 1 s and started again: es-bench's own embedded
  // cluster (fsync on), the only one it may stop.
  auto doc = run_bench({"--scenario", "outage", "--events", "300", "--rate",
                        "100", "--outage-ms", "1000"},
                       true);
  BOOST_TEST(doc["sent"].GetInt() == 300);
  // Appends wait out the outage, the breaker's open time included (DESIGN,
  // guarantee 8): each had a minute.
  BOOST_TEST(doc["acknowledged"].GetInt() == 300);
  BOOST_TEST(doc["failed"].GetInt() == 0);
  BOOST_TEST(doc["lost"].GetInt() == 0);
  BOOST_TEST(doc["duplicated"].GetInt() == 0);
  BOOST_TEST(doc["recovery_ms"].GetDouble() >= 0.0);
}

BOOST_AUTO_TEST_CASE(memory_sees_streams_passivated_and_subscribers_served) {
  auto doc = run_bench({"--scenario", "memory", "--streams", "200",
                        "--subscribers", "10", "--events", "20"});
  BOOST_TEST(doc["active_streams"].GetInt() == 0);
  BOOST_TEST(doc["expected"].GetInt() == 200);
  BOOST_TEST(doc["delivered"].GetInt() == 200);
  for (auto* key : {"start_mib", "streams_peak_mib", "streams_idle_mib",
                    "subscribers_mib"})
    BOOST_TEST(doc[key].GetDouble() > 0.0, key);
}

BOOST_AUTO_TEST_CASE(bad_arguments_exit_2_naming_the_option) {
  child_process bench{ES_BENCH, {"--scenario", "append", "--batch", "0"}};
  BOOST_TEST(bench.wait(std::chrono::seconds{60}) == 2);
  BOOST_TEST(bench.err().find("--batch: expected an integer in 1-10000, got "
                              "'0'") != std::string::npos,
             bench.err());
  child_process unknown{ES_BENCH,
                        {"--scenario", "read-stream", "--benchmark_bogus=1"}};
  BOOST_TEST(unknown.wait(std::chrono::seconds{60}) == 2);
}
