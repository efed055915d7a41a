// messages/metrics.hpp: the fixed-bucket histogram and the Prometheus text
// writer.
#include "messages/metrics.hpp"

#include <boost/test/unit_test.hpp>

#include <sstream>
#include <string>
#include <vector>

using namespace es;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(a_value_on_a_bound_counts_in_that_bucket) {
  histogram h{{1, 2, 4}};
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.0, 4.5, 100.0})
    h.record(v);
  BOOST_TEST((h.counts() == std::vector<uint64_t>{2, 2, 1, 2}));
  BOOST_TEST(h.count() == 7u);
  BOOST_TEST(h.sum() == 113.5);
}

BOOST_AUTO_TEST_CASE(quantiles_interpolate_within_a_bucket) {
  histogram h{{1, 2, 4}};
  BOOST_TEST(h.quantile(0.5) == 0.0);
  for (int i = 0; i < 10; ++i)
    h.record(1.5); // all in (1, 2]
  BOOST_TEST(h.quantile(0.5) == 1.5);
  BOOST_TEST(h.quantile(1.0) == 2.0);
  h.record(50); // +Inf
  BOOST_TEST(h.quantile(1.0) == 4.0);
  auto lat = histogram::latency_seconds();
  for (int i = 0; i < 99; ++i)
    lat.record(0.003);
  lat.record(3);
  BOOST_TEST(lat.quantile(0.5) > 0.0025);
  BOOST_TEST(lat.quantile(0.5) <= 0.005);
  BOOST_TEST(lat.quantile(0.999) > 2.5);
}

BOOST_AUTO_TEST_CASE(families_get_help_and_type_once) {
  prometheus_writer w;
  w.gauge("es_x", "an x", 1, {{"state", "a"}});
  w.gauge("es_x", "an x", 2, {{"state", "b"}});
  w.counter("es_y_total", "ys\nand \\ more", 3);
  auto lines = lines_of(w.text());
  BOOST_TEST_REQUIRE(lines.size() == 7u);
  BOOST_TEST(lines[0] == "# HELP es_x an x");
  BOOST_TEST(lines[1] == "# TYPE es_x gauge");
  BOOST_TEST(lines[2] == "es_x{state=\"a\"} 1");
  BOOST_TEST(lines[3] == "es_x{state=\"b\"} 2");
  BOOST_TEST(lines[4] == "# HELP es_y_total ys\\nand \\\\ more");
  BOOST_TEST(lines[5] == "# TYPE es_y_total counter");
  BOOST_TEST(lines[6] == "es_y_total 3");
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped) {
  BOOST_TEST(prometheus_writer::escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  prometheus_writer w;
  w.gauge("es_lag", "lag", 0.25, {{"subscription", "game\"1"}});
  BOOST_TEST(lines_of(w.text()).back() == "es_lag{subscription=\"game\\\"1\"} 0.25");
}

BOOST_AUTO_TEST_CASE(histograms_render_cumulative_buckets) {
  histogram h{{0.0005, 0.1, 1}};
  h.record(0.0001);
  h.record(0.05);
  h.record(0.05);
  h.record(7);
  prometheus_writer w;
  w.histogram("es_d_seconds", "durations", h, {{"kind", "a"}});
  auto lines = lines_of(w.text());
  BOOST_TEST_REQUIRE(lines.size() == 8u);
  BOOST_TEST(lines[1] == "# TYPE es_d_seconds histogram");
  BOOST_TEST(lines[2] == "es_d_seconds_bucket{kind=\"a\",le=\"0.0005\"} 1");
  BOOST_TEST(lines[3] == "es_d_seconds_bucket{kind=\"a\",le=\"0.1\"} 3");
  BOOST_TEST(lines[4] == "es_d_seconds_bucket{kind=\"a\",le=\"1\"} 3");
  BOOST_TEST(lines[5] == "es_d_seconds_bucket{kind=\"a\",le=\"+Inf\"} 4");
  BOOST_TEST(lines[6] == "es_d_seconds_sum{kind=\"a\"} 7.1001");
  BOOST_TEST(lines[7] == "es_d_seconds_count{kind=\"a\"} 4");
}

BOOST_AUTO_TEST_SUITE_END()
