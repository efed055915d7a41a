// es-microbench: the per-event costs of the event model, with Google
// Benchmark. Run: build/tools/es-microbench [--benchmark_filter=...]
//
//   BM_codec_roundtrip  encode + decode of a PlayerJoined and its full
//                       metadata (the JSON the store writes and reads)
//   BM_validate         the same event through the base, event-specific and
//                       mode validators of the game catalog
//   BM_upcast           a stored PlayerJoined v1 brought to the latest version
//   BM_window_cycle     one event through a subscription's delivery window
//                       (offered, handed out in a batch of 16, acknowledged)
//                       with 256 events in flight: the per-subscriber,
//                       per-event cost of fan-out
#include "actors/delivery_window.hpp"
#include "registry/game_catalog.hpp"

#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <vector>

namespace {

using namespace es;

game::player_joined sample_event() {
  game::player_joined ev;
  ev.game_id = uuid::v7();
  ev.guild_id = "801234567890123456";
  ev.game_mode = game::mode::two_player;
  ev.player_id = "301234567890123456";
  ev.display_name = "Quinn the Wordsmith";
  ev.team_id = uuid::v7();
  return ev;
}

event_metadata sample_metadata() {
  discord_source src;
  src.guild_id = "801234567890123456";
  src.channel_id = "901234567890123456";
  src.user_id = "301234567890123456";
  auto meta = event_metadata::from_discord(src, "gamebot/2.4.1");
  meta.causation_id = uuid::v7();
  return meta;
}

void BM_codec_roundtrip(benchmark::State& state) {
  auto ev = sample_event();
  auto meta = sample_metadata();
  for (auto _ : state) {
    auto data = json::encode(ev);
    auto metadata = json::encode(meta);
    auto back = json::decode<game::player_joined>(*data);
    auto back_meta = json::decode<event_metadata>(*metadata);
    benchmark::DoNotOptimize(back);
    benchmark::DoNotOptimize(back_meta);
  }
}
BENCHMARK(BM_codec_roundtrip);

// The two halves of the round trip, to see where the time goes.
void BM_encode(benchmark::State& state) {
  auto ev = sample_event();
  auto meta = sample_metadata();
  for (auto _ : state) {
    auto data = json::encode(ev);
    auto metadata = json::encode(meta);
    benchmark::DoNotOptimize(data);
    benchmark::DoNotOptimize(metadata);
  }
}
BENCHMARK(BM_encode);

void BM_decode(benchmark::State& state) {
  auto data = json::encode(sample_event()).value();
  auto metadata = json::encode(sample_metadata()).value();
  for (auto _ : state) {
    auto back = json::decode<game::player_joined>(data);
    auto back_meta = json::decode<event_metadata>(metadata);
    benchmark::DoNotOptimize(back);
    benchmark::DoNotOptimize(back_meta);
  }
}
BENCHMARK(BM_decode);

void BM_validate(benchmark::State& state) {
  auto cat = registry::game_catalog();
  auto ev = sample_event();
  registry::validation_context ctx;
  if (auto err = cat.validate(ev, ctx)) {
    state.SkipWithError(describe(err).c_str());
    return;
  }
  for (auto _ : state) {
    auto err = cat.validate(ev, ctx);
    benchmark::DoNotOptimize(err);
  }
}
BENCHMARK(BM_validate);

void BM_upcast(benchmark::State& state) {
  auto cat = registry::game_catalog();
  game::v1::player_joined old;
  old.game_id = uuid::v7();
  old.player_id = "301234567890123456";
  recorded_event stored;
  stored.type = "PlayerJoined";
  stored.version = 1;
  stored.data = json::encode(old).value();
  for (auto _ : state) {
    auto ev = stored;
    auto status = cat.upcast(ev);
    benchmark::DoNotOptimize(status);
    benchmark::DoNotOptimize(ev);
  }
}
BENCHMARK(BM_upcast);

void BM_window_cycle(benchmark::State& state) {
  auto now = delivery_window::clock::now();
  delivery_options opts;
  opts.max_buffered = 1024;
  delivery_window w{opts, 0, now};
  auto ev = std::make_shared<const recorded_event>();
  int64_t next = 1;
  constexpr size_t in_flight = 256;
  constexpr size_t batch = 16;
  std::deque<std::vector<int64_t>> sent;
  auto fill = [&] {
    for (size_t i = 0; i < batch; ++i)
      w.offer(next++, {}, ev);
    std::vector<int64_t> positions;
    for (auto& d : w.next_batch(now, batch))
      positions.push_back(d.position);
    sent.push_back(std::move(positions));
  };
  while (w.in_flight() < in_flight)
    fill();
  for (auto _ : state) {
    // The oldest batch is acknowledged; the next one goes out.
    for (auto p : sent.front())
      w.ack(p);
    sent.pop_front();
    fill();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}
BENCHMARK(BM_window_cycle);

} // namespace

BENCHMARK_MAIN();
