// Projections against a real PostgreSQL ("projection rebuild and version
// bump" and the crash tests of issue 5): after a run of game events from
// several guilds and games with crashes injected (the projections killed
// mid-run, the whole store stopped and started), each projection equals a
// fresh replay of the store; the leaderboard counts every event exactly
// once although events are delivered more than once; a rebuild replays
// into a new generation while the old one keeps answering, reports its
// progress, and swaps; a new version rebuilds at start.
//
// Who restarts a projection: the test, as the bot would (a projection
// quits with its store, or is killed; spawning it again resumes it from
// what it stored).
#include "actors/game_projections.hpp"
#include "messages/error.hpp"
#include "messages/json.hpp"
#include "storage/projection_store.hpp"
#include "tests/actors/runtime_support.hpp"
#include "tests/pg_fixture.hpp"
#include "tests/printing.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace es;
using namespace es::test;
using namespace std::chrono_literals;

namespace {

/// Declines every event until its gate opens (for the rebuild's
/// generations only, see `gated`): a rebuild the test holds still.
class gated_model final : public read_model {
public:
  gated_model(std::unique_ptr<read_model> inner,
              std::shared_ptr<std::atomic<bool>> open)
      : inner_(std::move(inner)), open_(std::move(open)) {}

  fold_result fold(const std::vector<recorded_event>& events) override {
    if (!*open_) {
      fold_result closed;
      closed.error = make_error(ec::unavailable, "the test holds the gate");
      return closed;
    }
    return inner_->fold(events);
  }
  caf::expected<query_plan> query(const std::string& key) const override {
    return inner_->query(key);
  }
  caf::expected<std::string> snapshot() const override {
    return inner_->snapshot();
  }
  caf::error restore(std::string_view json) override {
    return inner_->restore(json);
  }

private:
  std::unique_ptr<read_model> inner_;
  std::shared_ptr<std::atomic<bool>> open_;
};

/// Refuses one event for good, as if it could not be decoded.
class poisoned_model final : public read_model {
public:
  poisoned_model(std::unique_ptr<read_model> inner, uuid poison)
      : inner_(std::move(inner)), poison_(poison) {}

  fold_result fold(const std::vector<recorded_event>& events) override {
    std::vector<recorded_event> good;
    for (auto& ev : events) {
      if (ev.id == poison_)
        break;
      good.push_back(ev);
    }
    auto out = inner_->fold(good);
    if (good.size() < events.size() && !out.error)
      out.error = make_error(ec::decode_failed, "poisoned for the test");
    return out;
  }
  caf::expected<query_plan> query(const std::string& key) const override {
    return inner_->query(key);
  }
  caf::expected<std::string> snapshot() const override {
    return inner_->snapshot();
  }
  caf::error restore(std::string_view json) override {
    return inner_->restore(json);
  }

private:
  std::unique_ptr<read_model> inner_;
  uuid poison_;
};

/// Its commits fail (as if the database did) until `open`.
class failing_rows final : public read_model {
public:
  failing_rows(std::unique_ptr<read_model> inner,
               std::shared_ptr<std::atomic<bool>> open)
      : inner_(std::move(inner)), open_(std::move(open)) {}

  fold_result fold(const std::vector<recorded_event>& events) override {
    auto out = inner_->fold(events);
    auto rows = std::move(out.rows);
    out.rows = [rows, open = open_](storage::event_store& store) {
      if (!*open)
        return make_error(ec::database_error, "the test fails the commit");
      return rows(store);
    };
    return out;
  }
  caf::expected<query_plan> query(const std::string& key) const override {
    return inner_->query(key);
  }

private:
  std::unique_ptr<read_model> inner_;
  std::shared_ptr<std::atomic<bool>> open_;
};

/// `def` with its generations above the first held by `open`.
projection_definition gated(projection_definition def,
                            std::shared_ptr<std::atomic<bool>> open) {
  auto make = def.make;
  def.make = [make, open](int64_t generation) -> std::unique_ptr<read_model> {
    if (generation <= 1)
      return make(generation);
    return std::make_unique<gated_model>(make(generation), open);
  };
  // Declined events come back quickly and are never parked.
  def.delivery.max_attempts = 1'000'000;
  def.delivery.retry_delay = 5ms;
  def.delivery.retry_delay_max = 20ms;
  return def;
}

struct projection_fixture {
  test_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<const registry::catalog> cat
      = std::make_shared<const registry::catalog>(registry::game_catalog());
  std::optional<store> es;
  /// A category of our own, so that other tests' events do not count.
  std::string category = "gm" + std::to_string(::getpid()) + "x"
                         + std::to_string(std::rand() % 100000);

  projection_fixture() { restart(); }
  ~projection_fixture() {
    if (es)
      es->stop();
  }

  void restart() {
    if (es) {
      es->stop();
      es.reset();
    }
    auto s = start(sys, test_options(), cat);
    BOOST_REQUIRE_MESSAGE(s, error_of(s));
    es.emplace(std::move(*s));
  }

  /// Valid events of one game of `guild_id`: created, players joining, a
  /// team, rounds with guesses, a pause, a mode change, an error and its
  /// recovery, a player leaving; the game ends when `finish`.
  std::vector<event_data> game_events(const uuid& game,
                                      const std::string& guild_id, int seed,
                                      bool finish) {
    std::vector<event_data> out;
    discord_source src{guild_id, channel, player_a, false};
    auto meta = event_metadata::from_discord(src, "test-client/1");
    auto add = [&](auto ev) {
      ev.event_id = uuid::v7();
      ev.game_id = game;
      ev.guild_id = guild_id;
      ev.at = now_utc();
      auto data = cat->encode(ev, meta);
      BOOST_REQUIRE_MESSAGE(data, error_of(data));
      out.push_back(std::move(*data));
    };
    add(sample<game::game_created>());
    auto p1 = std::to_string(100 + seed);
    auto p2 = std::to_string(200 + seed);
    auto join = sample<game::player_joined>();
    join.player_id = p1;
    join.display_name = "P" + p1;
    join.team_id.reset();
    join.rejoin = false;
    add(join);
    join.player_id = p2;
    join.display_name = "P" + p2;
    add(join);
    auto team = sample<game::team_created>();
    team.members = {p1, p2};
    team.captain_id = p1;
    add(team);
    auto started = sample<game::game_started>();
    started.player_ids = {p1, p2};
    started.started_by = p1;
    add(started);
    for (int r = 1; r <= 2; ++r) {
      auto round = sample<game::round_started>();
      round.round = r;
      add(round);
      auto guess = sample<game::guess_processed>();
      guess.round = r;
      guess.player_id = r % 2 ? p1 : p2;
      guess.points = 10 * r + seed;
      guess.correct = r == 2;
      guess.matched_letters = guess.correct ? 5 : 3;
      add(guess);
      if (r == 1) {
        add(sample<game::game_paused>());
        add(sample<game::game_resumed>());
        add(sample<game::game_error>());
        add(sample<game::recovery_started>());
        add(sample<game::recovery_completed>());
      }
    }
    auto mode = sample<game::game_mode_changed>();
    mode.previous_mode = game::mode::standard;
    mode.new_mode = game::mode::race;
    mode.game_mode = game::mode::race;
    add(mode);
    auto left = sample<game::player_left>();
    left.player_id = p2;
    left.reason = game::leave_reason::left;
    left.kicked_by.reset();
    add(left);
    if (finish)
      add(sample<game::game_completed>());
    return out;
  }

  /// The appends of `play`: games of three guilds, `games` each, each game
  /// in two appends (stream, events).
  std::vector<std::pair<std::string, std::vector<event_data>>>
  games_to_play(int games, int seed) {
    const std::string guilds[] = {"700000000000000001", "700000000000000002",
                                  "700000000000000003"};
    std::vector<std::pair<std::string, std::vector<event_data>>> out;
    for (int g = 0; g < games; ++g)
      for (int i = 0; i < 3; ++i) {
        auto id = uuid::v7();
        auto events = game_events(id, guilds[i], seed + g * 3 + i, g % 2 == 0);
        auto stream = category + "-" + to_string(id);
        auto half = events.begin() + static_cast<long>(events.size() / 2);
        out.emplace_back(stream, std::vector<event_data>(events.begin(), half));
        out.emplace_back(stream, std::vector<event_data>(half, events.end()));
      }
    return out;
  }

  /// Appends games of three guilds, `games` each, in several appends.
  void play(int games, int seed) {
    for (auto& [stream, events] : games_to_play(games, seed)) {
      auto r = es->append(stream, expected_version::any(), events);
      BOOST_REQUIRE_MESSAGE(r, error_of(r));
    }
  }

  /// Every event of our category, upcast, as a replay from the origin sees it.
  std::vector<recorded_event> stored() {
    std::vector<recorded_event> out;
    int64_t from = 0;
    for (;;) {
      auto page = es->read_all(from, 500, direction::forward,
                               log_filter::category(category));
      BOOST_REQUIRE_MESSAGE(page, error_of(page));
      out.insert(out.end(), page->events.begin(), page->events.end());
      if (page->end)
        return out;
      from = page->next;
    }
  }

  game_state_model replay_game_state() {
    game_state_model m;
    for (auto& ev : stored())
      BOOST_REQUIRE(!m.apply(ev));
    return m;
  }

  std::vector<leaderboard_entry> replay_leaderboard() {
    leaderboard_model m;
    for (auto& ev : stored())
      BOOST_REQUIRE(!m.apply(ev));
    auto out = m.entries();
    sort_entries(out);
    return out;
  }

  static void sort_entries(std::vector<leaderboard_entry>& xs) {
    std::sort(xs.begin(), xs.end(), [](auto& x, auto& y) {
      return std::tie(x.guild_id, x.player_id)
             < std::tie(y.guild_id, y.player_id);
    });
  }

  projection_definition game_def(int32_t version = 1) {
    auto def = game_state_projection("gs-" + category, version, category);
    def.snapshot_every = 7;
    def.snapshot_interval = 20ms;
    return def;
  }

  projection_definition board_def(int32_t version = 1) {
    auto def = leaderboard_projection("lb-" + category, version, category);
    return def;
  }

  projection_actor spawn(projection_definition def) {
    return spawn_projection(sys, es->node(), std::move(def));
  }

  projection_status status(const projection_actor& p) {
    caf::scoped_actor self{sys};
    projection_status out;
    self->request(p, 10s, status_atom_v)
        .receive([&](projection_status& st) { out = std::move(st); },
                 [&](caf::error& err) {
                   BOOST_FAIL("status: " << describe(err));
                 });
    return out;
  }

  caf::expected<std::string> query(const projection_actor& p,
                                   std::string key) {
    caf::scoped_actor self{sys};
    caf::expected<std::string> out{std::string{}};
    self->request(p, 10s, query_atom_v, std::move(key))
        .receive([&](std::string& answer) { out = std::move(answer); },
                 [&](caf::error& err) { out = std::move(err); });
    return out;
  }

  game_state_model game_state_of(const projection_actor& p) {
    auto json = query(p, "");
    BOOST_REQUIRE_MESSAGE(json, error_of(json));
    auto m = game_state_model::from_json(*json);
    BOOST_REQUIRE_MESSAGE(m, error_of(m));
    return std::move(*m);
  }

  std::vector<leaderboard_entry> leaderboard_of(const projection_actor& p) {
    auto json = query(p, leaderboard_all_key);
    BOOST_REQUIRE_MESSAGE(json, error_of(json));
    auto rows = json::decode<std::vector<leaderboard_entry>>(*json);
    BOOST_REQUIRE_MESSAGE(rows, error_of(rows));
    sort_entries(*rows);
    return std::move(*rows);
  }

  /// Checks that the game-state projection `p` equals a fresh replay, and
  /// shows the games that differ when it does not.
  void equals_replay(const projection_actor& p) {
    auto live = game_state_of(p);
    auto fresh = replay_game_state();
    BOOST_TEST((live == fresh));
    if (live == fresh)
      return;
    for (auto& [id, g] : fresh.games()) {
      auto* mine = live.find(id);
      if (mine == nullptr || !(*mine == g))
        BOOST_TEST_MESSAGE("game " << to_string(id) << ": replay "
                                   << *json::encode(g) << "; projection "
                                   << (mine ? *json::encode(*mine) : "-"));
    }
  }

  int64_t last_position() {
    auto all = stored();
    return all.empty() ? 0 : all.back().global_position;
  }

  /// Waits until `p` has folded everything up to the last stored event
  /// into its active model (and, unless `rebuilding_ok`, has no rebuild
  /// running).
  void caught_up(const projection_actor& p, bool rebuilding_ok = false) {
    auto last = last_position();
    BOOST_REQUIRE_MESSAGE(eventually([&] {
                            auto st = status(p);
                            return st.ready && st.position >= last
                                   && (rebuilding_ok || !st.rebuilding);
                          }),
                          "projection at " << status(p).position
                                           << ", log at " << last);
  }

  void kill(const projection_actor& p) {
    caf::scoped_actor self{sys};
    self->monitor(p);
    caf::anon_send_exit(p, caf::exit_reason::kill);
    self->receive([](caf::down_msg&) {},
                  caf::after(10s) >> [] { BOOST_FAIL("projection survived"); });
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(projections, projection_fixture)

BOOST_AUTO_TEST_CASE(projections_equal_a_replay_after_crashes) {
  auto games = spawn(game_def());
  auto board = spawn(board_def());
  play(2, 1);
  // Killed mid-run, while events still arrive, and started again.
  kill(games);
  kill(board);
  play(1, 10);
  games = spawn(game_def());
  board = spawn(board_def());
  play(2, 20);
  // The whole store stops (the projections quit with it) and starts again.
  es->stop();
  restart();
  games = spawn(game_def());
  board = spawn(board_def());
  play(2, 30);
  caught_up(games);
  caught_up(board);
  auto replay = replay_game_state();
  BOOST_TEST(replay.games().size() == 21u);
  equals_replay(games);
  auto expected = replay_leaderboard();
  BOOST_TEST(expected.size() == 42u);
  BOOST_TEST((leaderboard_of(board) == expected));
  // The in-memory projection resumed from snapshots, not from the origin.
  BOOST_TEST(status(games).snapshots >= 1u);
  BOOST_TEST(status(games).applied < stored().size());
  // Queries the bot makes.
  auto top = query(board, leaderboard_top_key("700000000000000001", 3));
  BOOST_REQUIRE_MESSAGE(top, error_of(top));
  auto rows = json::decode<std::vector<leaderboard_entry>>(*top);
  BOOST_REQUIRE(rows && rows->size() == 3u);
  BOOST_TEST((*rows)[0].points >= (*rows)[1].points);
  auto one = replay.games().begin();
  auto state = query(games, to_string(one->first));
  BOOST_REQUIRE_MESSAGE(state, error_of(state));
  BOOST_TEST((*json::decode<es::game_state>(*state) == one->second));
}

BOOST_AUTO_TEST_CASE(the_leaderboard_counts_each_event_once) {
  play(1, 1);
  // Two instances of one projection at once, each with its own
  // subscription: every event reaches it twice, and must count once.
  auto first = spawn(board_def());
  auto second = spawn(board_def());
  play(2, 5);
  caught_up(first);
  caught_up(second);
  auto expected = replay_leaderboard();
  BOOST_TEST((leaderboard_of(first) == expected));
  // A crash between the commit and the acknowledgement: the restarted
  // projection is handed events it has committed already (as the
  // subscription does after a crash) and skips them.
  kill(first);
  kill(second);
  auto again = spawn(board_def());
  caught_up(again);
  auto before = status(again).duplicates;
  caf::scoped_actor self{sys};
  for (auto& ev : stored()) {
    batch_ack ack;
    event_batch one;
    one.events.push_back(std::make_shared<const recorded_event>(ev));
    self->request(again, 10s, deliver_atom_v, std::move(one))
        .receive([&](batch_ack& a) { ack = std::move(a); },
                 [&](caf::error& err) { BOOST_FAIL(describe(err)); });
    BOOST_REQUIRE_MESSAGE(ack.handled == ev.global_position, ack.reason);
  }
  BOOST_TEST(status(again).duplicates - before == stored().size());
  BOOST_TEST((leaderboard_of(again) == expected));
}

BOOST_AUTO_TEST_CASE(projection_rebuild_and_version_bump) {
  play(2, 1);
  auto open = std::make_shared<std::atomic<bool>>(false);
  auto board = spawn(gated(board_def(), open));
  auto games = spawn(gated(game_def(), open));
  caught_up(board);
  caught_up(games);
  auto old_board = leaderboard_of(board);
  // Rebuild: a new generation replays from the origin while the old one
  // keeps answering (the test holds the new one still).
  for (auto* p : {&board, &games}) {
    caf::scoped_actor self{sys};
    int64_t generation = 0;
    self->request(*p, 10s, rebuild_atom_v)
        .receive([&](int64_t g) { generation = g; },
                 [&](caf::error& err) { BOOST_FAIL(describe(err)); });
    BOOST_TEST(generation == 2);
  }
  BOOST_REQUIRE(eventually([&] { return status(board).rebuilding; }));
  auto during = status(board);
  BOOST_TEST(during.rebuild.events_total == stored().size());
  BOOST_TEST(during.rebuild.events_done == 0u);
  BOOST_TEST(during.generation == 1);
  BOOST_TEST((leaderboard_of(board) == old_board));
  // Live events keep flowing into the old generation meanwhile.
  play(1, 50);
  caught_up(board, true);
  caught_up(games, true);
  BOOST_TEST((leaderboard_of(board) == replay_leaderboard()));
  equals_replay(games);
  BOOST_TEST(status(board).rebuilding);
  // Let go: it catches up, reports its progress, and swaps, while more
  // games are played.
  auto more = games_to_play(3, 70);
  std::atomic<size_t> failed_appends{0};
  std::thread writer{[&] {
    for (auto& [stream, events] : more)
      if (!es->append(stream, expected_version::any(), events))
        ++failed_appends;
  }};
  *open = true;
  BOOST_REQUIRE(eventually([&] { return status(board).rebuilds == 1u; }));
  BOOST_REQUIRE(eventually([&] { return status(games).rebuilds == 1u; }));
  writer.join();
  BOOST_REQUIRE(failed_appends == 0u);
  caught_up(board);
  caught_up(games);
  auto done = status(board);
  BOOST_TEST(!done.rebuilding);
  BOOST_TEST(done.generation == 2);
  BOOST_TEST(done.rebuild.events_done >= done.rebuild.events_total);
  BOOST_TEST(done.rebuild.position >= done.rebuild.target);
  BOOST_TEST(done.rebuild.events_per_second > 0);
  BOOST_TEST((leaderboard_of(board) == replay_leaderboard()));
  equals_replay(games);
  // Version bump: started with version 2, each rebuilds itself at start.
  kill(board);
  kill(games);
  play(1, 60);
  board = spawn(board_def(2));
  games = spawn(game_def(2));
  BOOST_REQUIRE(eventually([&] { return status(board).rebuilds == 1u; }));
  BOOST_REQUIRE(eventually([&] { return status(games).rebuilds == 1u; }));
  caught_up(board);
  caught_up(games);
  BOOST_TEST(status(board).model_version == 2);
  BOOST_TEST(status(games).model_version == 2);
  BOOST_TEST((leaderboard_of(board) == replay_leaderboard()));
  equals_replay(games);
  auto direct = open_store();
  auto rec = storage::open_projection(direct, "lb-" + category, 2);
  BOOST_REQUIRE(rec);
  BOOST_TEST(rec->version == 2);
  BOOST_TEST(rec->generation == 3);
  BOOST_TEST(!rec->rebuild_generation);
  // Started again with the same version: no rebuild.
  kill(board);
  board = spawn(board_def(2));
  caught_up(board);
  BOOST_TEST(status(board).rebuilds == 0u);
}

BOOST_AUTO_TEST_CASE(failed_commits_keep_their_events_in_order) {
  auto open = std::make_shared<std::atomic<bool>>(false);
  auto def = board_def();
  auto make = def.make;
  def.make = [make, open](int64_t generation) {
    return std::make_unique<failing_rows>(make(generation), open);
  };
  def.delivery.retry_delay = 5ms;
  auto board = spawn(def);
  play(1, 1);
  // Nothing commits; the events wait (not declined, not skipped).
  BOOST_REQUIRE(eventually([&] { return status(board).waits >= 3u; }));
  auto st = status(board);
  BOOST_TEST(st.position == 0);
  BOOST_TEST(st.declined == 0u);
  BOOST_TEST(leaderboard_of(board).empty());
  play(1, 10);
  *open = true;
  caught_up(board);
  BOOST_TEST((leaderboard_of(board) == replay_leaderboard()));
  BOOST_TEST(status(board).declined == 0u);
}

BOOST_AUTO_TEST_CASE(an_unreadable_event_is_declined_and_the_rest_flows) {
  play(1, 1);
  auto events = stored();
  auto poison = events[4];
  auto def = game_def();
  auto make = def.make;
  def.make = [make, id = poison.id](int64_t generation) {
    return std::make_unique<poisoned_model>(make(generation), id);
  };
  def.delivery.max_attempts = 3;
  def.delivery.retry_delay = 5ms;
  def.delivery.retry_delay_max = 10ms;
  auto games = spawn(def);
  caught_up(games);
  // Retried, then parked by the subscription; every other event is in,
  // in order.
  BOOST_REQUIRE(eventually([&] { return status(games).declined == 3u; }));
  game_state_model expected;
  for (auto& ev : events)
    if (ev.id != poison.id)
      BOOST_REQUIRE(!expected.apply(ev));
  BOOST_TEST((game_state_of(games) == expected));
  BOOST_TEST(status(games).applied == events.size() - 1);
}

BOOST_AUTO_TEST_SUITE_END()
