// The catalog: registration, lookup, JSON validation and upcast chains,
// with small synthetic event types so every case is exact.
#include "registry/catalog.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

using namespace es;
using namespace es::registry;

namespace {

struct counter_v1 {
  int32_t n = 0;
};
template<class F>
bool fields(F& f, counter_v1& x) {
  return f("n", x.n);
}

struct counter_v2 {
  int32_t n = 0;
  std::string label;
};
template<class F>
bool fields(F& f, counter_v2& x) {
  return f("n", x.n) && f("label", x.label);
}

struct counter_v3 {
  int64_t n = 0;
  std::string label;
  bool doubled = false;
};
template<class F>
bool fields(F& f, counter_v3& x) {
  return f("n", x.n) && f("label", x.label) && f("doubled", x.doubled);
}

/// A JSON-level module: decodes as T, rejects negative counts.
template<class T>
event_module counter_module(int32_t version) {
  event_module m;
  m.type = "Counter";
  m.version = version;
  m.check = [](std::string_view data, const catalog&, const validation_context&,
               violations& out) {
    auto x = json::decode<T>(data);
    if (!x)
      out.add("", describe(x.error()));
    else if (x->n < 0)
      out.add("/n", "must not be negative, found " + std::to_string(x->n));
  };
  return m;
}

catalog counters(bool with_v2 = true) {
  catalog cat;
  auto v1 = counter_module<counter_v1>(1);
  v1.upcast = [](std::string_view data) -> caf::expected<std::string> {
    auto old = json::decode<counter_v1>(data);
    if (!old)
      return std::move(old.error());
    return json::encode(
        counter_v2{old->n, "counter-" + std::to_string(old->n)});
  };
  BOOST_REQUIRE(!cat.add(std::move(v1)));
  if (with_v2) {
    auto v2 = counter_module<counter_v2>(2);
    v2.upcast = [](std::string_view data) -> caf::expected<std::string> {
      auto old = json::decode<counter_v2>(data);
      if (!old)
        return std::move(old.error());
      return json::encode(counter_v3{int64_t{old->n} * 2, old->label, true});
    };
    BOOST_REQUIRE(!cat.add(std::move(v2)));
  }
  BOOST_REQUIRE(!cat.add(counter_module<counter_v3>(3)));
  return cat;
}

recorded_event stored(std::string type, int32_t version, std::string data) {
  recorded_event ev;
  ev.global_position = 42;
  ev.type = std::move(type);
  ev.version = version;
  ev.data = std::move(data);
  return ev;
}

} // namespace

BOOST_AUTO_TEST_SUITE(catalog_registration)

BOOST_AUTO_TEST_CASE(lookup_of_a_version_and_of_the_latest) {
  auto cat = counters();
  BOOST_TEST(cat.size() == 3u);
  BOOST_TEST(cat.latest_version("Counter") == 3);
  BOOST_TEST(cat.latest_version("Nope") == 0);
  BOOST_REQUIRE(cat.find("Counter", 2) != nullptr);
  BOOST_TEST(cat.find("Counter", 2)->version == 2);
  BOOST_TEST(cat.find("Counter", 4) == nullptr);
  BOOST_TEST(cat.find("Nope", 1) == nullptr);
  auto listed = cat.list();
  BOOST_REQUIRE(listed.size() == 3u);
  BOOST_TEST(listed[0].first == "Counter");
  BOOST_TEST(listed[2].second == 3);
}

BOOST_AUTO_TEST_CASE(registering_twice_is_an_error_not_an_overwrite) {
  auto cat = counters();
  auto again = counter_module<counter_v2>(2);
  again.check = [](std::string_view, const catalog&, const validation_context&,
                   violations& out) { out.add("", "the replacement"); };
  auto err = cat.add(std::move(again));
  BOOST_TEST(err == ec::invalid_argument);
  BOOST_TEST(describe(err).find("Counter v2 is already registered") !=
             std::string::npos);
  BOOST_TEST(cat.size() == 3u);
  // The original module is still the one in use.
  BOOST_TEST(!cat.validate("Counter", 2, R"({"n":1,"label":"x"})"));
}

BOOST_AUTO_TEST_CASE(malformed_modules_are_refused) {
  catalog cat;
  event_module no_check;
  no_check.type = "X";
  BOOST_TEST(cat.add(no_check) == ec::invalid_argument);
  auto v0 = counter_module<counter_v1>(0);
  BOOST_TEST(cat.add(v0) == ec::invalid_argument);
  auto untyped = counter_module<counter_v1>(1);
  untyped.type.clear();
  BOOST_TEST(cat.add(untyped) == ec::invalid_argument);
  BOOST_TEST(cat.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(catalog_validation)

BOOST_AUTO_TEST_CASE(json_events_are_checked_by_their_module) {
  auto cat = counters();
  BOOST_TEST(!cat.validate("Counter", 1, R"({"n":3})"));
  auto neg = cat.validate("Counter", 1, R"({"n":-3})");
  BOOST_TEST(neg == ec::invalid_event);
  BOOST_TEST(describe(neg) == "invalid_event: Counter v1: /n: must not be "
                              "negative, found -3");
  auto bad = cat.validate("Counter", 2, R"({"n":"three"})");
  BOOST_TEST(bad == ec::invalid_event);
  BOOST_TEST(describe(bad).find("/n") != std::string::npos, describe(bad));
  BOOST_TEST(cat.validate("Nope", 1, "{}") == ec::unknown_type);
  BOOST_TEST(cat.validate("Counter", 9, "{}") == ec::unknown_type);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(upcasting)

BOOST_AUTO_TEST_CASE(a_v1_event_reads_as_the_latest_through_the_chain) {
  auto cat = counters();
  auto ev = stored("Counter", 1, R"({"n":21})");
  auto status = cat.upcast(ev);
  BOOST_REQUIRE_MESSAGE(status, error_of(status));
  BOOST_TEST((*status == upcast_status::upcast));
  BOOST_TEST(ev.version == 3);
  auto v3 = json::decode<counter_v3>(ev.data);
  BOOST_REQUIRE(v3);
  BOOST_TEST(v3->n == 42);
  BOOST_TEST(v3->label == "counter-21");
  BOOST_TEST(v3->doubled);
}

BOOST_AUTO_TEST_CASE(the_latest_version_is_left_alone) {
  auto cat = counters();
  auto ev = stored("Counter", 3, R"({"n":1,"label":"a","doubled":false})");
  auto status = cat.upcast(ev);
  BOOST_REQUIRE(status);
  BOOST_TEST((*status == upcast_status::current));
  BOOST_TEST(ev.data == R"({"n":1,"label":"a","doubled":false})");
}

BOOST_AUTO_TEST_CASE(unknown_types_and_versions_stay_readable_as_raw_json) {
  auto cat = counters();
  auto ev = stored("FromTheFuture", 1, R"({"anything":[1,2]})");
  auto status = cat.upcast(ev);
  BOOST_REQUIRE(status);
  BOOST_TEST((*status == upcast_status::unknown));
  BOOST_TEST(ev.data == R"({"anything":[1,2]})");
  auto newer = stored("Counter", 7, R"({"n":1})");
  status = cat.upcast(newer);
  BOOST_REQUIRE(status);
  BOOST_TEST((*status == upcast_status::unknown));
  BOOST_TEST(newer.version == 7);
}

BOOST_AUTO_TEST_CASE(a_missing_link_is_an_error_that_names_it) {
  auto without_v2 = counters(false);
  auto ev = stored("Counter", 1, R"({"n":1})");
  auto status = without_v2.upcast(ev);
  BOOST_REQUIRE(!status);
  BOOST_TEST(status.error() == ec::unknown_type);
  BOOST_TEST(describe(status.error()).find("Counter v2") != std::string::npos,
             describe(status.error()));
  BOOST_TEST(ev.version == 1); // unchanged
  BOOST_TEST(ev.data == R"({"n":1})");
}

// Registered at runtime: v3 arrives after v2 was the latest, so v2 has no
// upcaster yet. The new module must bring one, or stored v2 events would be
// stranded; a catalog snapshot taken before stays as it was.
BOOST_AUTO_TEST_CASE(a_new_version_brings_its_predecessors_upcaster) {
  catalog cat;
  auto v1 = counter_module<counter_v1>(1);
  v1.upcast = [](std::string_view data) -> caf::expected<std::string> {
    auto old = json::decode<counter_v1>(data);
    if (!old)
      return std::move(old.error());
    return json::encode(counter_v2{old->n, "c"});
  };
  BOOST_REQUIRE(!cat.add(v1));
  BOOST_REQUIRE(!cat.add(counter_module<counter_v2>(2)));
  auto before = cat;
  auto err = cat.add(counter_module<counter_v3>(3));
  BOOST_TEST(err == ec::invalid_argument);
  BOOST_TEST(describe(err).find("Counter v2 has no upcaster") !=
                 std::string::npos,
             describe(err));
  BOOST_TEST(cat.latest_version("Counter") == 2);
  auto v3 = counter_module<counter_v3>(3);
  v3.upcast_previous = [](std::string_view data) -> caf::expected<std::string> {
    auto old = json::decode<counter_v2>(data);
    if (!old)
      return std::move(old.error());
    return json::encode(counter_v3{old->n, old->label, false});
  };
  BOOST_REQUIRE(!cat.add(std::move(v3)));
  auto ev = stored("Counter", 1, R"({"n":4})");
  auto status = cat.upcast(ev);
  BOOST_REQUIRE_MESSAGE(status, error_of(status));
  BOOST_TEST(ev.version == 3);
  // The copy taken before the registration still ends at v2.
  auto old_ev = stored("Counter", 1, R"({"n":4})");
  BOOST_REQUIRE(before.upcast(old_ev));
  BOOST_TEST(old_ev.version == 2);
  BOOST_TEST(!before.find("Counter", 2)->upcast);
}

BOOST_AUTO_TEST_CASE(a_failing_upcaster_names_the_step_and_the_event) {
  auto cat = counters();
  auto ev = stored("Counter", 1, R"({"n":"not a number"})");
  auto status = cat.upcast(ev);
  BOOST_REQUIRE(!status);
  BOOST_TEST(status.error() == ec::decode_failed);
  auto text = describe(status.error());
  BOOST_TEST(text.find("Counter v1 to v2") != std::string::npos, text);
  BOOST_TEST(text.find("position 42") != std::string::npos, text);
}

BOOST_AUTO_TEST_SUITE_END()
