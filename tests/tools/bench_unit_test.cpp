// es-bench's pure parts: the command line (every bad value is named, the
// scenario defaults, Google Benchmark's arguments passed through) and the
// report (ratios, the one JSON line, the table, runs that failed).
#define BOOST_TEST_MODULE bench_unit
#include "tools/bench/options.hpp"
#include "tools/bench/reporter.hpp"

#include <boost/test/unit_test.hpp>
#include <rapidjson/document.h>

#include <cmath>
#include <limits>
#include <sstream>

using namespace es::bench;

namespace {

/// Parses `args`; the error message, or "" when it succeeded.
std::string parse_error(std::vector<std::string> args, options& out,
                        const char* env_dsn = nullptr) {
  auto err = parse(args, env_dsn, out);
  return err ? *err : std::string{};
}

std::string parse_error(std::vector<std::string> args) {
  options ignored;
  return parse_error(std::move(args), ignored);
}

path_figures figures(const std::string& path,
                     std::vector<std::pair<std::string, double>> counters,
                     std::string error = {}) {
  path_figures out;
  out.path = path;
  out.counters = std::move(counters);
  out.error = std::move(error);
  return out;
}

report_spec append_spec() {
  report_spec spec;
  spec.scenario = "append";
  spec.title = "es-bench: scenario append";
  spec.params = {{"batch", 10.0},
                 {"callers", std::string{"actors"}},
                 {"embedded_cluster", false}};
  spec.flat_path = "store";
  spec.prefixed = {{"raw", "baseline_"}};
  spec.ratios = {{"store/raw", "store", "raw"},
                 {"store/physical", "store", "physical"},
                 {"commanded/raw", "commanded", "raw"}};
  spec.flat_ratios = {{"ratio", "store/raw"}};
  spec.columns = {{"events_per_s", "events/s", 1}, {"p99_ms", "p99 ms", 2}};
  return spec;
}

rapidjson::Document parse_json(const std::string& line) {
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError() && doc.IsObject(),
                        "not a JSON object: " << line);
  return doc;
}

benchmark::BenchmarkReporter::Run make_run(const std::string& name) {
  benchmark::BenchmarkReporter::Run run;
  run.run_name.function_name = name;
  run.run_name.iterations = "iterations:1";
  run.run_name.time_type = "manual_time";
  return run;
}

} // namespace

BOOST_AUTO_TEST_SUITE(command_line)

BOOST_AUTO_TEST_CASE(append_takes_its_options_in_both_forms) {
  options o;
  BOOST_TEST(parse_error({"--scenario", "append", "--batch=10", "--streams",
                          "8", "--events", "400", "--json"},
                         o) == "");
  BOOST_TEST(o.scenario == "append");
  BOOST_TEST(o.batch == 10u);
  BOOST_TEST(o.streams == 8u);
  BOOST_TEST(o.events == 400u);
  BOOST_TEST(o.json);
  BOOST_TEST(o.pool_size == 4u);
  BOOST_TEST(o.scheduler == "sharing");
  BOOST_TEST(o.callers == "actors");
}

BOOST_AUTO_TEST_CASE(bad_values_name_the_option) {
  BOOST_TEST(parse_error({"--scenario", "append", "--batch", "10", "--streams",
                          "x", "--events", "400"}) ==
             "--streams: expected an integer in 1-100000, got 'x'");
  BOOST_TEST(parse_error({"--scenario", "append", "--batch", "10", "--streams",
                          "5000", "--events", "40000"}) ==
             "--streams: expected an integer in 1-4096, got '5000'");
  BOOST_TEST(parse_error({"--scenario", "catchup", "--events", "0"}) ==
             "--events: expected an integer in 1-100000000, got '0'");
  BOOST_TEST(parse_error({"--scenario", "read-all", "--page=20000"}) ==
             "--page: expected an integer in 1-10000, got '20000'");
  BOOST_TEST(parse_error({"--scenario", "fanout", "--rate", "-1"}) ==
             "--rate: expected an integer in 1-1000000, got '-1'");
  BOOST_TEST(parse_error({"--scenario", "sideways"}) ==
             "--scenario: unknown scenario 'sideways' (known: append, "
             "append-multi, read-stream, read-all, catchup, fanout, outage, "
             "memory)");
  BOOST_TEST(parse_error({"--scenario", "append", "--scheduler", "fifo"}) ==
             "--scheduler: unknown policy 'fifo' (known: stealing, "
             "sharing)");
  BOOST_TEST(parse_error({"--scenario", "append", "--callers", "fibers"}) ==
             "--callers: unknown kind 'fibers' (known: actors, threads)");
  BOOST_TEST(parse_error({"--scenario", "append", "--dsn="}) ==
             "--dsn: empty connection string");
  BOOST_TEST(parse_error({"--scenario", "append", "--batch"}) ==
             "--batch: missing value");
  BOOST_TEST(parse_error({"--scenario", "append", "--fast"}) ==
             "unknown argument '--fast'");
}

BOOST_AUTO_TEST_CASE(missing_options_are_named) {
  BOOST_TEST(parse_error({}) == "missing --scenario");
  BOOST_TEST(parse_error({"--scenario", "append", "--streams", "8", "--events",
                          "400"}) == "missing --batch");
  BOOST_TEST(parse_error({"--scenario", "append", "--batch", "1", "--events",
                          "400"}) == "missing --streams");
  BOOST_TEST(parse_error({"--scenario", "catchup"}) == "missing --events");
  BOOST_TEST(parse_error({"--scenario", "fanout", "--events", "10", "--rate",
                          "5"}) == "missing --subscribers");
  BOOST_TEST(parse_error({"--scenario", "fanout", "--events", "10",
                          "--subscribers", "5"}) == "missing --rate");
  BOOST_TEST(parse_error({"--scenario", "append", "--batch", "1", "--streams",
                          "8", "--events", "4"}) ==
             "--events: 4 is fewer than --streams 8 (every stream needs "
             "at least one event)");
  BOOST_TEST(parse_error({"--scenario", "append-multi", "--events", "100",
                          "--streams", "4"}) ==
             "--streams: append-multi needs at least 5 streams, got 4");
}

BOOST_AUTO_TEST_CASE(scenario_defaults) {
  options rs;
  BOOST_TEST(parse_error({"--scenario", "read-stream"}, rs) == "");
  BOOST_TEST(rs.events == 10'000u);
  BOOST_TEST(rs.page == 1000u);
  options ra;
  BOOST_TEST(parse_error({"--scenario", "read-all", "--page", "500"}, ra) ==
             "");
  BOOST_TEST(ra.events == 1'000'000u);
  BOOST_TEST(ra.page == 500u);
  options ra2;
  BOOST_TEST(parse_error({"--scenario", "read-all", "--events", "2000"}, ra2) ==
             "");
  BOOST_TEST(ra2.events == 2000u);
  options multi;
  BOOST_TEST(parse_error({"--scenario", "append-multi", "--events", "100"},
                         multi) == "");
  BOOST_TEST(multi.batch == 1u);
  BOOST_TEST(multi.streams == 20u);
  options fan;
  BOOST_TEST(parse_error({"--scenario", "fanout", "--events", "10",
                          "--subscribers", "5", "--rate", "100"},
                         fan) == "");
  BOOST_TEST(fan.scheduler == "stealing");
  options out;
  BOOST_TEST(parse_error({"--scenario", "outage"}, out) == "");
  BOOST_TEST(out.events == 3000u);
  BOOST_TEST(out.rate == 200u);
  BOOST_TEST(out.outage_ms == 5000u);
  BOOST_TEST(parse_error({"--scenario", "outage", "--outage-ms", "0"}) ==
             "--outage-ms: expected an integer in 1-60000, got '0'");
  options mem;
  BOOST_TEST(parse_error({"--scenario", "memory"}, mem) == "");
  BOOST_TEST(mem.streams == 10'000u);
  BOOST_TEST(mem.subscribers == 1000u);
  BOOST_TEST(mem.events == 100u);
  options mem2;
  BOOST_TEST(parse_error({"--scenario", "memory", "--streams", "20000",
                          "--subscribers", "10", "--events", "5"},
                         mem2) == "");
  BOOST_TEST(mem2.streams == 20'000u);
  BOOST_TEST(mem2.subscribers == 10u);
}

BOOST_AUTO_TEST_CASE(dsn_from_the_environment_unless_given) {
  options env;
  BOOST_TEST(parse_error({"--scenario", "read-stream"}, env, "host=/a") == "");
  BOOST_TEST(env.dsn == "host=/a");
  options given;
  BOOST_TEST(parse_error({"--scenario", "read-stream", "--dsn", "host=/b"},
                         given, "host=/a") == "");
  BOOST_TEST(given.dsn == "host=/b");
}

BOOST_AUTO_TEST_CASE(benchmark_arguments_pass_through_in_order) {
  options o;
  BOOST_TEST(parse_error({"--benchmark_filter=append/raw", "--scenario",
                          "read-stream", "--benchmark_out=x.json"},
                         o) == "");
  BOOST_TEST(o.benchmark_args ==
                 (std::vector<std::string>{"--benchmark_filter=append/raw",
                                           "--benchmark_out=x.json"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(help_stops_parsing) {
  options o;
  BOOST_TEST(parse_error({"--help", "--bogus"}, o) == "");
  BOOST_TEST(o.help);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(report)

BOOST_AUTO_TEST_CASE(numbers_print_as_json_numbers) {
  BOOST_TEST(json_number(400) == "400");
  BOOST_TEST(json_number(-3) == "-3");
  BOOST_TEST(json_number(0.5) == "0.5");
  BOOST_TEST(json_number(1.0 / 3) == "0.333333");
  BOOST_TEST(json_number(12345.678901234) == "12345.678901");
  BOOST_TEST(json_number(std::nan("")) == "0");
  BOOST_TEST(json_number(std::numeric_limits<double>::infinity()) == "0");
  BOOST_TEST(json_number(-0.0000001) == "0");
}

BOOST_AUTO_TEST_CASE(ratios_need_both_paths_and_success) {
  auto spec = append_spec();
  std::vector<path_figures> paths{
      figures("store", {{"events_per_s", 3000}}),
      figures("raw", {{"events_per_s", 1500}}),
      figures("commanded", {{"events_per_s", 500}}, "conflict"),
  };
  auto ratios = compute_ratios(spec, paths);
  // store/physical: no physical path; commanded/raw: commanded failed.
  BOOST_REQUIRE_EQUAL(ratios.size(), 1u);
  BOOST_TEST(ratios[0].first == "store/raw");
  BOOST_TEST(ratios[0].second == 2.0);
  paths[1].counters = {{"events_per_s", 0}};
  BOOST_TEST(compute_ratios(spec, paths)[0].second == 0.0);
  BOOST_TEST(any_failed(paths));
  paths.pop_back();
  BOOST_TEST(!any_failed(paths));
}

BOOST_AUTO_TEST_CASE(one_json_line_with_every_path_and_ratio) {
  auto spec = append_spec();
  std::vector<path_figures> paths{
      figures("store", {{"events_per_s", 3000}, {"calls", 40}}),
      figures("raw", {{"events_per_s", 1500}, {"connections", 4}}),
      figures("commanded", {{"events_per_s", 300}}),
      figures("physical", {{"events_per_s", 12000}}),
  };
  auto line = to_json(spec, paths);
  BOOST_TEST(line.find('\n') == std::string::npos);
  auto doc = parse_json(line);
  BOOST_TEST(doc["scenario"].GetString() == std::string{"append"});
  BOOST_TEST(doc["batch"].GetInt() == 10);
  BOOST_TEST(doc["callers"].GetString() == std::string{"actors"});
  BOOST_TEST(doc["embedded_cluster"].GetBool() == false);
  // The store's figures flat, the raw baseline's as baseline_*, as before.
  BOOST_TEST(doc["events_per_s"].GetInt() == 3000);
  BOOST_TEST(doc["calls"].GetInt() == 40);
  BOOST_TEST(doc["baseline_events_per_s"].GetInt() == 1500);
  BOOST_TEST(doc["baseline_connections"].GetInt() == 4);
  BOOST_TEST(doc["ratio"].GetDouble() == 2.0);
  BOOST_TEST(doc["paths"].MemberCount() == 4u);
  BOOST_TEST(doc["paths"]["physical"]["events_per_s"].GetInt() == 12000);
  BOOST_TEST(doc["ratios"]["store/raw"].GetDouble() == 2.0);
  BOOST_TEST(doc["ratios"]["store/physical"].GetDouble() == 0.25);
  BOOST_TEST(doc["ratios"]["commanded/raw"].GetDouble() == 0.2);
  BOOST_TEST(!doc.HasMember("errors"));
}

BOOST_AUTO_TEST_CASE(csv_rows_are_long_form_with_the_config) {
  auto spec = append_spec();
  std::vector<path_figures> paths{
      figures("store", {{"events_per_s", 3000}, {"p99_ms", 2.5}}),
      figures("raw", {{"events_per_s", 1500}}, "broke, badly"),
  };
  auto rows = to_csv_rows(spec, paths);
  BOOST_TEST(std::string{csv_header} == "scenario,config,path,figure,value");
  std::istringstream in{rows};
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  BOOST_REQUIRE_EQUAL(lines.size(), 4u);
  auto config = lines[0].substr(7, lines[0].find(",store,") - 7);
  BOOST_TEST(lines[0].rfind("append,", 0) == 0u);
  BOOST_TEST(config.find("batch=10") != std::string::npos);
  BOOST_TEST(config.find("callers=actors") != std::string::npos);
  BOOST_TEST(config.find(',') == std::string::npos);
  BOOST_TEST(lines[0] == "append," + config + ",store,events_per_s,3000");
  BOOST_TEST(lines[1] == "append," + config + ",store,p99_ms,2.5");
  BOOST_TEST(lines[2] == "append," + config + ",raw,events_per_s,1500");
  BOOST_TEST(lines[3] == "append," + config + ",raw,error,1");
  // Ratios of successful paths only: raw failed, so none.
  paths[1].error.clear();
  auto with_ratio = to_csv_rows(spec, paths);
  BOOST_TEST(with_ratio.find(",ratio,store/raw,2\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(failed_paths_are_listed_with_their_error) {
  auto spec = append_spec();
  std::vector<path_figures> paths{
      figures("store", {{"delivered", 90}, {"expected", 100}},
              "delivered 90 of 100 \"expected\" deliveries"),
      figures("raw", {{"events_per_s", 1500}}),
  };
  auto doc = parse_json(to_json(spec, paths));
  BOOST_TEST(doc["delivered"].GetInt() == 90);
  BOOST_TEST(doc["errors"]["store"].GetString() ==
             std::string{"delivered 90 of 100 \"expected\" deliveries"});
  BOOST_TEST(!doc.HasMember("ratio"));
  BOOST_TEST(doc["ratios"].MemberCount() == 0u);
  auto table = to_table(spec, paths);
  BOOST_TEST(table.find("store         FAILED: delivered 90 of 100") !=
                 std::string::npos,
             table);
}

BOOST_AUTO_TEST_CASE(the_table_has_a_row_per_path_and_the_ratios) {
  auto spec = append_spec();
  spec.notes = {"raw: one INSERT per call"};
  std::vector<path_figures> paths{
      figures("store", {{"events_per_s", 3000}, {"p99_ms", 1.5}}),
      figures("raw", {{"events_per_s", 1500}}),
  };
  auto table = to_table(spec, paths);
  BOOST_TEST(table.rfind("es-bench: scenario append\n\n", 0) == 0u, table);
  BOOST_TEST(table.find("path           events/s     p99 ms\n") !=
                 std::string::npos,
             table);
  BOOST_TEST(table.find("store            3000.0       1.50\n") !=
                 std::string::npos,
             table);
  BOOST_TEST(table.find("raw              1500.0          -\n") !=
                 std::string::npos,
             table);
  BOOST_TEST(table.find("ratios: store/raw 2.00\n") != std::string::npos,
             table);
  BOOST_TEST(table.find("\nraw: one INSERT per call\n") != std::string::npos,
             table);
}

BOOST_AUTO_TEST_CASE(runs_give_their_counters_or_the_logged_figures) {
  figures_log log;
  auto ok = make_run("append/raw");
  ok.counters["events_per_s"] = benchmark::Counter(1500);
  ok.real_accumulated_time = 0.25;
  auto got = figures_of(ok, log);
  BOOST_TEST(got.path == "raw");
  BOOST_TEST(got.error == "");
  BOOST_TEST(got.seconds == 0.25);
  BOOST_REQUIRE(got.find("events_per_s") != nullptr);
  BOOST_TEST(*got.find("events_per_s") == 1500.0);
  // Google Benchmark drops the counters of a failed run: the figures come
  // from the log, the error from the run.
  log["store"] = figures("store", {{"delivered", 90}}, "logged");
  auto bad = make_run("fanout/store");
  bad.error_occurred = true;
  bad.error_message = "delivered 90 of 100";
  auto failed = figures_of(bad, log);
  BOOST_TEST(failed.path == "store");
  BOOST_TEST(failed.error == "delivered 90 of 100");
  BOOST_REQUIRE(failed.find("delivered") != nullptr);
  BOOST_TEST(*failed.find("delivered") == 90.0);
}

BOOST_AUTO_TEST_CASE(the_reporter_prints_once_and_knows_failures) {
  figures_log log;
  std::ostringstream out, err;
  collecting_reporter rep{append_spec(), log, true, out, err};
  auto store = make_run("append/store");
  store.counters["events_per_s"] = benchmark::Counter(3000);
  auto raw = make_run("append/raw");
  raw.counters["events_per_s"] = benchmark::Counter(1000);
  rep.ReportRuns({store});
  rep.ReportRuns({raw});
  BOOST_TEST(out.str() == "");
  BOOST_TEST(!rep.failed());
  rep.Finalize();
  auto text = out.str();
  BOOST_REQUIRE(!text.empty());
  BOOST_TEST(text.find('\n') == text.size() - 1); // exactly one line
  auto doc = parse_json(text);
  BOOST_TEST(doc["ratio"].GetDouble() == 3.0);
  // A failed run: reported on stderr, remembered even when a repetition of
  // the same path succeeds afterwards.
  auto bad = make_run("append/raw");
  bad.error_occurred = true;
  bad.error_message = "stored 399 events, wrote 400 (events lost)";
  rep.ReportRuns({bad});
  rep.ReportRuns({raw});
  BOOST_TEST(rep.failed());
  BOOST_TEST(err.str() ==
             "es-bench: append/raw: stored 399 events, wrote 400 (events "
             "lost)\n");
  BOOST_TEST(rep.paths().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
