#include "tools/demo/game_player.hpp"

#include "messages/error.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include <random>

namespace es::demo {

namespace {

using namespace std::chrono_literals;

/// How long one append may take before the actor sends it again.
constexpr auto append_timeout = 10s;
/// Most times one turn is sent again after failing for now.
constexpr int max_retries = 8;
/// One turn in this many is sent a second time after it landed.
constexpr uint32_t replay_one_in = 25;

struct player_state {
  static inline const char* name = "es.demo.game_player";
  node_actor node;
  std::string stream;
  std::vector<turn> turns;
  std::chrono::milliseconds pace{0};
  std::shared_ptr<demo_counters> counters;
  caf::actor report_to;
  std::mt19937 rng{std::random_device{}()};
  size_t next = 0;
  int64_t version = 0;
  int attempts = 0;
  game_report report;
};

using player_actor = caf::stateful_actor<player_state>;

bool for_now(const caf::error& err) {
  return is(err, ec::timeout) || is(err, ec::unavailable)
         || is(err, ec::circuit_open);
}

void finish(player_actor* self, caf::error err = {}) {
  auto& st = self->state;
  st.report.error = std::move(err);
  st.counters->games_done.fetch_add(1, std::memory_order_relaxed);
  self->send(st.report_to, std::move(st.report));
  self->quit();
}

void schedule(player_actor* self, std::chrono::milliseconds delay) {
  if (delay.count() == 0) {
    self->send(self, play_atom_v);
    return;
  }
  self->delayed_send(self, delay, play_atom_v);
}

std::chrono::milliseconds spaced(player_actor* self) {
  auto pace = self->state.pace.count();
  if (pace == 0)
    return std::chrono::milliseconds{0};
  std::uniform_int_distribution<int64_t> d{pace / 2, pace + pace / 2};
  return std::chrono::milliseconds{d(self->state.rng)};
}

/// Appends turn `st.next` (again, when `replay`).
void play(player_actor* self, bool replay) {
  auto& cur = self->state;
  auto index = cur.next;
  auto expected = replay ? expected_version::exact(cur.version
                                                   - static_cast<int64_t>(
                                                       cur.turns[index].size()))
                         : expected_version::exact(cur.version);
  append_command cmd;
  cmd.part = stream_append{cur.stream, expected, cur.turns[index]};
  cmd.deadline = std::chrono::steady_clock::now() + append_timeout;
  auto sent = std::chrono::steady_clock::now();
  self->request(cur.node, append_timeout + 1s, append_atom_v, std::move(cmd))
      .then(
          [self, index, replay, sent](const append_result& r) {
            auto& st = self->state;
            if (replay) {
              if (!r.replayed)
                return finish(self, make_error(ec::duplicate_event,
                                               "a turn sent twice was "
                                               "written twice to "
                                                   + st.stream));
              ++st.report.replays;
              ++st.next;
              return schedule(self, spaced(self));
            }
            auto took = std::chrono::steady_clock::now() - sent;
            st.report.latencies_us.push_back(
                std::chrono::duration_cast<std::chrono::microseconds>(took)
                    .count());
            auto n = st.turns[index].size();
            st.report.events += n;
            ++st.report.appends;
            st.counters->events.fetch_add(n, std::memory_order_relaxed);
            st.counters->appends.fetch_add(1, std::memory_order_relaxed);
            st.version = r.last_version;
            st.attempts = 0;
            if (std::uniform_int_distribution<uint32_t>{1, replay_one_in}(
                    st.rng)
                == 1)
              return play(self, true);
            ++st.next;
            schedule(self, spaced(self));
          },
          [self, replay](caf::error& err) {
            auto& st = self->state;
            if (for_now(err) && ++st.attempts <= max_retries) {
              ++st.report.retries;
              auto backoff = std::chrono::milliseconds{50 << st.attempts};
              if (replay) {
                // The replay itself failed for now: send it again.
                self->delayed_send(self, backoff, play_atom_v, true);
                return;
              }
              self->delayed_send(self, backoff, play_atom_v);
              return;
            }
            finish(self, std::move(err));
          });
}

caf::behavior game_player(player_actor* self, node_actor node,
                          std::string stream, std::vector<turn> turns,
                          std::chrono::milliseconds pace,
                          std::shared_ptr<demo_counters> counters,
                          caf::actor report_to) {
  auto& st = self->state;
  st.node = std::move(node);
  st.stream = std::move(stream);
  st.turns = std::move(turns);
  st.pace = pace;
  st.counters = std::move(counters);
  st.report_to = std::move(report_to);
  st.report.stream = st.stream;
  schedule(self, spaced(self));
  return {
      [self](play_atom) {
        if (self->state.next == self->state.turns.size())
          return finish(self);
        play(self, false);
      },
      [self](play_atom, bool replay) { play(self, replay); },
  };
}

} // namespace

caf::actor spawn_game_player(caf::actor_system& sys, node_actor node,
                             std::string stream, std::vector<turn> turns,
                             std::chrono::milliseconds pace,
                             std::shared_ptr<demo_counters> counters,
                             caf::actor report_to) {
  return sys.spawn(game_player, std::move(node), std::move(stream),
                   std::move(turns), pace, std::move(counters),
                   std::move(report_to));
}

} // namespace es::demo
