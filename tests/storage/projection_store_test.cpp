// Projections in storage (storage/projection_store.hpp) against PostgreSQL:
// the record and its snapshots, the compare-and-set commit that makes a
// batch count once, blue/green generations and their swap, and counting
// a replay's events.
#include "messages/error.hpp"
#include "storage/projection_store.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>

using namespace es;
using es::test::open_store;
using es::test::unique_stream;

namespace {

leaderboard_entry change(std::string player, int64_t points,
                         std::string name = "") {
  leaderboard_entry e;
  e.guild_id = "42";
  e.player_id = std::move(player);
  e.display_name = std::move(name);
  e.guesses = 1;
  e.correct = points > 0 ? 1 : 0;
  e.points = points;
  return e;
}

storage::row_writer rows_of(std::string name, int64_t generation,
                            std::vector<leaderboard_entry> changes) {
  return [=](storage::event_store& store) {
    return storage::add_to_leaderboard(store, name, generation, changes);
  };
}

storage::generation_cleaner cleaner(std::string name) {
  return [=](storage::event_store& store, int64_t keep) {
    return storage::drop_leaderboard_generations(store, name, keep);
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(projection_store)

BOOST_AUTO_TEST_CASE(open_creates_once_and_snapshots_never_move_back) {
  auto store = open_store();
  auto name = unique_stream("proj");
  auto rec = storage::open_projection(store, name, 3);
  BOOST_REQUIRE_MESSAGE(rec, error_of(rec));
  BOOST_TEST(rec->version == 3);
  BOOST_TEST(rec->generation == 1);
  BOOST_TEST(rec->position == 0);
  BOOST_TEST(!rec->snapshot);
  auto saved = storage::save_projection_snapshot(store, name, 3, 10,
                                                 R"({"games":{}})");
  BOOST_REQUIRE_MESSAGE(saved, error_of(saved));
  // Opened again (even by other code): the stored record, not a new one.
  auto again = storage::open_projection(store, name, 4);
  BOOST_REQUIRE(again);
  BOOST_TEST(again->version == 3);
  BOOST_TEST(again->position == 10);
  BOOST_REQUIRE(again->snapshot);
  BOOST_TEST(*again->snapshot == R"({"games": {}})"); // jsonb's own text
  auto back = storage::save_projection_snapshot(store, name, 3, 9, "{}");
  BOOST_REQUIRE(!back);
  BOOST_TEST(back.error() == ec::wrong_expected_version);
  BOOST_TEST(describe(back.error()).find("stored position 10")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_batch_commits_with_its_position_exactly_once) {
  auto store = open_store();
  auto name = unique_stream("proj");
  BOOST_REQUIRE(storage::open_projection(store, name, 1));
  auto batch = rows_of(name, 1, {change("1", 10, "Ann"), change("2", 0)});
  BOOST_REQUIRE_MESSAGE(!storage::commit_projection(store, name, 1, 0, 5,
                                                    batch),
                        "first commit");
  // The same batch again (a redelivery): refused, nothing counted twice.
  auto twice = storage::commit_projection(store, name, 1, 0, 5, batch);
  BOOST_REQUIRE(twice);
  BOOST_TEST(twice == ec::wrong_expected_version);
  // A writer that fails rolls the position back with it.
  auto failing = [](storage::event_store&) {
    return make_error(ec::invalid_event, "cannot write");
  };
  BOOST_TEST(storage::commit_projection(store, name, 1, 5, 9, failing)
             == ec::invalid_event);
  BOOST_REQUIRE(!storage::commit_projection(
      store, name, 1, 5, 7, rows_of(name, 1, {change("1", 5)})));
  auto rows = storage::leaderboard_all(store, name);
  BOOST_REQUIRE_MESSAGE(rows, error_of(rows));
  BOOST_REQUIRE(rows->size() == 2u);
  BOOST_TEST((*rows)[0].points == 15);
  BOOST_TEST((*rows)[0].guesses == 2);
  BOOST_TEST((*rows)[0].display_name == "Ann"); // kept: no new name given
  BOOST_TEST((*rows)[1].points == 0);
  BOOST_TEST(storage::open_projection(store, name, 1)->position == 7);
  auto top = storage::leaderboard_top(store, name, "42", 1);
  BOOST_REQUIRE(top && top->size() == 1u);
  BOOST_TEST((*top)[0].player_id == "1");
  auto one = storage::leaderboard_find(store, name, "42", "2");
  BOOST_REQUIRE(one && *one);
  BOOST_TEST((*one)->guesses == 1);
  auto none = storage::leaderboard_find(store, name, "42", "3");
  BOOST_REQUIRE(none);
  BOOST_TEST(!*none);
}

BOOST_AUTO_TEST_CASE(a_rebuilt_generation_is_invisible_until_the_swap) {
  auto store = open_store();
  auto name = unique_stream("proj");
  BOOST_REQUIRE(storage::open_projection(store, name, 1));
  BOOST_REQUIRE(!storage::commit_projection(
      store, name, 1, 0, 4, rows_of(name, 1, {change("1", 10)})));
  auto gen = storage::begin_projection_rebuild(store, name, 2, cleaner(name));
  BOOST_REQUIRE_MESSAGE(gen, error_of(gen));
  BOOST_TEST(*gen == 2);
  BOOST_REQUIRE(!storage::commit_projection(
      store, name, *gen, 0, 6, rows_of(name, *gen, {change("1", 99)})));
  // Both generations move on; queries see the active one only.
  BOOST_REQUIRE(!storage::commit_projection(
      store, name, 1, 4, 6, rows_of(name, 1, {change("1", 1)})));
  BOOST_TEST(storage::leaderboard_all(store, name)->at(0).points == 11);
  auto rec = storage::open_projection(store, name, 1);
  BOOST_TEST(rec->version == 1);
  BOOST_TEST(rec->position == 6);
  BOOST_TEST(rec->rebuild_generation.value_or(0) == 2);
  BOOST_TEST(rec->rebuild_version == 2);
  BOOST_TEST(rec->rebuild_position == 6);
  auto swapped = storage::swap_projection(store, name, *gen, cleaner(name));
  BOOST_REQUIRE_MESSAGE(swapped, error_of(swapped));
  BOOST_TEST(*swapped == 6);
  auto rows = storage::leaderboard_all(store, name);
  BOOST_REQUIRE(rows && rows->size() == 1u);
  BOOST_TEST((*rows)[0].points == 99);
  rec = storage::open_projection(store, name, 1);
  BOOST_TEST(rec->version == 2);
  BOOST_TEST(rec->generation == 2);
  BOOST_TEST(!rec->rebuild_generation);
  // The old generation's rows are gone, and it cannot be swapped again.
  BOOST_TEST(storage::commit_projection(store, name, 1, 6, 7, {})
             == ec::wrong_expected_version);
  BOOST_TEST(storage::swap_projection(store, name, *gen, cleaner(name))
                 .error()
             == ec::not_found);
  // A second rebuild takes a generation never used before.
  auto next = storage::begin_projection_rebuild(store, name, 3, cleaner(name));
  BOOST_REQUIRE(next);
  BOOST_TEST(*next == 3);
  BOOST_TEST(!storage::delete_projection(store, name));
}

BOOST_AUTO_TEST_CASE(a_replay_counts_its_events) {
  auto store = open_store();
  auto category = "cnt" + std::to_string(::getpid());
  stream_append part{category + "-1", expected_version::any(), {}};
  for (int i = 0; i < 3; ++i) {
    event_data ev;
    ev.type = "ScoreChanged";
    part.events.push_back(ev);
  }
  auto res = store.append(part);
  BOOST_REQUIRE_MESSAGE(res, error_of(res));
  auto counted = storage::count_events(store, log_filter::category(category));
  BOOST_REQUIRE_MESSAGE(counted, error_of(counted));
  BOOST_TEST(counted->events == 3u);
  BOOST_TEST(counted->last_position == res->positions.back());
  auto all = storage::count_events(store, log_filter::all());
  BOOST_REQUIRE(all);
  BOOST_TEST(all->events >= 3u);
  BOOST_TEST(storage::count_events(store, log_filter::event_types({"X"}))
                 .error()
             == ec::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
