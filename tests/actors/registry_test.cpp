// The registry actor: runtime registration, all-or-none batches, and
// readers that keep a consistent snapshot while registrations happen.
#include "actors/registry.hpp"
#include "messages/error.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <atomic>
#include <thread>

using namespace es;
using namespace std::chrono_literals;

namespace {

/// A module of type `type`, version `version`, that accepts any object.
registry::event_module any_object(std::string type, int32_t version) {
  registry::event_module m;
  m.type = std::move(type);
  m.version = version;
  m.check = [](std::string_view data, const registry::catalog&,
               const registry::validation_context&, registry::violations& out) {
    if (auto err = json::check_object(data))
      out.add("", describe(err));
  };
  m.upcast = [](std::string_view data) -> caf::expected<std::string> {
    return std::string{data};
  };
  return m;
}

module_set batch(const std::string& type, int versions) {
  module_set set;
  for (int v = 1; v <= versions; ++v)
    set.modules.push_back(any_object(type, v));
  return set;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<registry::catalog_source> source =
      std::make_shared<registry::catalog_source>(
          std::make_shared<const registry::catalog>());
  registry_actor reg = sys.spawn(registry_behavior, source);

  caf::expected<uint64_t> register_set(module_set set) {
    caf::scoped_actor self{sys};
    caf::expected<uint64_t> out{uint64_t{0}};
    self->request(reg, 5s, register_atom_v, std::move(set))
        .receive([&](uint64_t n) { out = n; },
                 [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  ~fixture() { caf::anon_send_exit(reg, caf::exit_reason::user_shutdown); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(registry_actor_suite, fixture)

BOOST_AUTO_TEST_CASE(registers_at_runtime_and_publishes) {
  auto before = source->current();
  auto n = register_set(batch("Late", 2));
  BOOST_REQUIRE_MESSAGE(n, error_of(n));
  BOOST_TEST(*n == 2u);
  BOOST_TEST(before->size() == 0u); // a held snapshot never changes
  BOOST_TEST(source->current()->latest_version("Late") == 2);
  caf::scoped_actor self{sys};
  self->request(reg, 5s, catalog_atom_v)
      .receive(
          [&](registry::catalog_ptr cat) { BOOST_TEST(cat->size() == 2u); },
          [&](caf::error& err) { BOOST_FAIL(describe(err)); });
}

BOOST_AUTO_TEST_CASE(a_failing_batch_publishes_nothing) {
  BOOST_REQUIRE(register_set(batch("Once", 1)));
  auto before = source->current();
  auto set = batch("Fresh", 2);
  set.modules.push_back(any_object("Once", 1)); // duplicate
  auto n = register_set(std::move(set));
  BOOST_REQUIRE(!n);
  BOOST_TEST(n.error() == ec::invalid_argument);
  BOOST_TEST(describe(n.error()).find("Once v1 is already registered") !=
             std::string::npos);
  BOOST_TEST((source->current() == before));
  BOOST_TEST(source->current()->latest_version("Fresh") == 0);
}

// Readers on other threads take snapshots while batches of five versions
// are registered. Every snapshot holds each batch whole or not at all, and
// stays the same for as long as it is held.
BOOST_AUTO_TEST_CASE(readers_keep_a_consistent_snapshot_during_registration) {
  constexpr int batches = 40;
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::atomic<int> changed{0};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r)
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto snap = source->current();
        auto size = snap->size();
        for (int b = 0; b < batches; ++b) {
          auto latest = snap->latest_version("T" + std::to_string(b));
          if (latest != 0 && latest != 5)
            ++torn;
        }
        if (snap->size() != size || snap->list().size() != size)
          ++changed;
        ++reads;
      }
    });
  for (int b = 0; b < batches; ++b) {
    auto n = register_set(batch("T" + std::to_string(b), 5));
    BOOST_REQUIRE_MESSAGE(n, error_of(n));
  }
  // Let the readers see the final catalog at least once more.
  auto target = reads.load() + 100;
  while (reads.load() < target)
    std::this_thread::yield();
  stop = true;
  for (auto& t : readers)
    t.join();
  BOOST_TEST(torn.load() == 0);
  BOOST_TEST(changed.load() == 0);
  BOOST_TEST(source->current()->size() == size_t{batches} * 5);
}

BOOST_AUTO_TEST_SUITE_END()
