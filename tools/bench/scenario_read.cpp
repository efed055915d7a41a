// Scenarios `read-stream` and `read-all`: stored events read forward in
// pages, through the store and raw.
//
// read-stream: one stream of N events (default 10,000), written untimed by
// the storage layer in appends of 1,000. read-all: N events (default
// 1,000,000) over 16 streams, written untimed by P writers in appends of
// 1,000; the paths read the global log over the positions written (those of
// other writers meanwhile included; only this run's are counted as ours).
// Both: one untimed raw pass over the rows first, so that both paths read
// from the server's cache (the figures are of cached reads).
//
// - store: the node (`store.read_stream` / `store.read_all`, each event
//   upcast to its type's latest version through the catalog), then every
//   event decoded into its typed game event (PlayerJoined) as a projection
//   would; checks versions 1..N (read-stream) or increasing positions and N
//   events of this run (read-all).
// - raw: the store's SELECT (sql::read_stream_forward, sql::read_log) over
//   one libpq connection, every column of every row looked at, no decoding.
#include "actors/game_event_decoding.hpp"
#include "messages/error.hpp"
#include "messages/game_events.hpp"
#include "storage/event_store.hpp"
#include "tools/bench/baselines.hpp"
#include "tools/bench/scenarios.hpp"

#include <spdlog/spdlog.h>

#include <memory>

namespace es::bench {

namespace {

/// Appends made while preparing a read scenario.
constexpr size_t prepare_batch = 1000;

/// What the preparation of read-all leaves for the paths.
struct log_range {
  int64_t after = 0; // the horizon before the writes
  int64_t upto = 0;  // the horizon after them
};

std::string read_stream_name(const context& ctx) {
  return "bench-" + ctx.run_id + "-r";
}

std::string read_all_prefix(const context& ctx) {
  return "bench-" + ctx.run_id + "-g";
}

caf::error write_stream(const context& ctx) {
  auto st = storage::event_store::open(ctx.dsn);
  if (!st)
    return in_context(st.error(), "read-stream: cannot connect");
  int64_t version = 0;
  for (size_t done = 0; done < ctx.opts.events;) {
    auto n = std::min(prepare_batch, ctx.opts.events - done);
    auto res = st->append(stream_append{read_stream_name(ctx),
                                        expected_version::exact(version),
                                        fresh_events(ctx.tmpl, n)});
    if (!res)
      return in_context(res.error(), "read-stream: writing the stream");
    version = res->last_version;
    done += n;
  }
  return {};
}

caf::error write_log(const context& ctx, log_range& range) {
  auto st = storage::event_store::open(ctx.dsn);
  if (!st)
    return in_context(st.error(), "read-all: cannot connect");
  auto before = st->log_horizon();
  if (!before)
    return in_context(before.error(), "read-all: the log horizon");
  range.after = *before;
  const size_t writers = ctx.opts.pool_size;
  const size_t calls = (ctx.opts.events + prepare_batch - 1) / prepare_batch;
  std::vector<storage::event_store> stores;
  for (size_t k = 0; k < writers; ++k) {
    auto w = storage::event_store::open(ctx.dsn);
    if (!w)
      return in_context(w.error(), "read-all: cannot connect");
    stores.push_back(std::move(*w));
  }
  failure failed;
  run_timed(writers, [&](size_t k) {
    for (size_t j = k; j < calls && !failed.raised(); j += writers) {
      auto n = std::min(prepare_batch, ctx.opts.events - j * prepare_batch);
      auto res = stores[k].append(
          stream_append{read_all_prefix(ctx) + std::to_string(j % 16),
                        expected_version::any(), fresh_events(ctx.tmpl, n)});
      if (!res)
        failed.raise(in_context(res.error(), "read-all: writing the log"));
    }
  });
  if (failed.raised())
    return failed.error();
  auto after = st->log_horizon();
  if (!after)
    return in_context(after.error(), "read-all: the log horizon");
  range.upto = *after;
  return {};
}

/// Decodes `ev` as the PlayerJoined it is; counts failures.
void decode(const recorded_event& ev, size_t& decoded, std::string& error) {
  auto err = detail::with_event<game::player_joined>(
      ev, [&](const game::player_joined&) { ++decoded; });
  if (err && error.empty())
    error = describe(err);
}

struct store_read {
  summary sum;
  size_t rows = 0;
  size_t ours = 0;
  size_t decoded = 0;
  size_t out_of_order = 0;
  std::string error;
};

/// Reads through the node, pages of `page`: `read(from)` returns a page;
/// `order(ev)` the version or position that must increase; stops after
/// `upto` (when not 0) or at the end.
template<class Read, class Order>
caf::expected<store_read> read_through_store(const std::string& ours,
                                             int64_t from, int64_t upto,
                                             Read read, Order order) {
  store_read out;
  std::vector<double> latencies;
  int64_t prev = from - 1;
  auto t0 = clock_type::now();
  for (bool more = true; more;) {
    auto c0 = clock_type::now();
    auto page = read(from);
    if (!page)
      return in_context(page.error(), "store: read");
    for (auto& ev : page->events) {
      if (upto != 0 && ev.global_position > upto) {
        more = false;
        break;
      }
      ++out.rows;
      if (order(ev) <= prev)
        ++out.out_of_order;
      prev = order(ev);
      if (ev.stream.compare(0, ours.size(), ours) == 0) {
        ++out.ours;
        decode(ev, out.decoded, out.error);
      }
    }
    latencies.push_back(millis(clock_type::now() - c0));
    if (page->events.empty() || page->end)
      more = false;
    from = page->next;
  }
  out.sum = summarize(std::move(latencies), out.rows,
                      seconds(clock_type::now() - t0));
  return out;
}

/// The checks common to both paths; empty when all is well.
std::string check_counts(size_t ours, size_t expected, size_t out_of_order) {
  if (ours != expected)
    return "read " + std::to_string(ours) + " of this run's " +
           std::to_string(expected) + " events";
  if (out_of_order != 0)
    return std::to_string(out_of_order) + " events out of order";
  return {};
}

path_figures store_path(const caf::expected<store_read>& res, size_t expected) {
  if (!res)
    return failed_path("store", res.error());
  auto out = figures_from("store", res->sum);
  out.counters.emplace_back("events", static_cast<double>(res->rows));
  out.counters.emplace_back("decoded", static_cast<double>(res->decoded));
  out.error = check_counts(res->ours, expected, res->out_of_order);
  if (out.error.empty() && res->decoded != res->ours)
    out.error = "decoded " + std::to_string(res->decoded) + " of " +
                std::to_string(res->ours) + " events: " + res->error;
  return out;
}

path_figures raw_path(const caf::expected<summary>& res,
                      const read_tally& tally, size_t expected) {
  if (!res)
    return failed_path("raw", res.error());
  auto out = figures_from("raw", *res);
  out.counters.emplace_back("events", static_cast<double>(tally.rows));
  out.error = check_counts(tally.ours, expected, tally.out_of_order);
  return out;
}

report_spec read_spec(const context& ctx, const std::string& scenario,
                      const std::string& what) {
  const auto& o = ctx.opts;
  report_spec spec;
  spec.scenario = scenario;
  spec.title = "es-bench: scenario " + scenario + ", " + what + " of " +
               std::to_string(o.events) + " events in pages of " +
               std::to_string(o.page) + ", CAF scheduler " + o.scheduler +
               (ctx.embedded ? " (embedded cluster, fsync on)" : "");
  spec.params = {{"events", static_cast<double>(o.events)},
                 {"page", static_cast<double>(o.page)}};
  finish_params(ctx, spec);
  spec.ratios = {{"store/raw", "store", "raw"}};
  spec.columns = rate_columns();
  spec.columns[4] = {"calls", "pages", 0};
  spec.notes = {"store: the node's reads (upcast through the catalog), each "
                "event then decoded into its typed game event",
                "raw: the same SELECT over one libpq connection, no "
                "decoding"};
  return spec;
}

} // namespace

scenario_plan plan_read_stream(const context& ctx) {
  scenario_plan plan;
  plan.spec = read_spec(ctx, "read-stream", "one stream");
  plan.prepare = [&ctx] {
    spdlog::info("run {}: writing a stream of {} events", ctx.run_id,
                 ctx.opts.events);
    if (auto err = write_stream(ctx))
      return err;
    // One untimed pass brings the rows into the server's cache, so that
    // neither path pays for the first read from disk.
    read_tally ignored;
    auto warm =
        raw_read_stream(ctx.dsn, read_stream_name(ctx), ctx.opts.page, ignored);
    return warm ? caf::error{} : std::move(warm.error());
  };
  plan.paths.push_back(
      {"store", [&ctx] {
         bench_system_config cfg{ctx.opts};
         caf::actor_system sys{cfg};
         auto started = start_store(sys, ctx.opts, ctx.dsn, "store");
         if (!started)
           return failed_path("store", started.error());
         auto& st = *started;
         auto stream = read_stream_name(ctx);
         auto page = ctx.opts.page;
         if (auto warm = st.read_stream(stream, 1, page); !warm)
           return failed_path("store",
                              in_context(warm.error(), "store: warm-up"));
         auto res = read_through_store(
             stream, 1, 0,
             [&](int64_t from) { return st.read_stream(stream, from, page); },
             [](const recorded_event& ev) { return ev.stream_version; });
         st.stop();
         return store_path(res, ctx.opts.events);
       }});
  plan.paths.push_back({"raw", [&ctx] {
                          read_tally tally;
                          auto res =
                              raw_read_stream(ctx.dsn, read_stream_name(ctx),
                                              ctx.opts.page, tally);
                          return raw_path(res, tally, ctx.opts.events);
                        }});
  return plan;
}

scenario_plan plan_read_all(const context& ctx) {
  scenario_plan plan;
  plan.spec = read_spec(ctx, "read-all", "the global log");
  auto range = std::make_shared<log_range>();
  plan.prepare = [&ctx, range] {
    spdlog::info("run {}: writing {} events to the log", ctx.run_id,
                 ctx.opts.events);
    if (auto err = write_log(ctx, *range))
      return err;
    read_tally ignored; // the cache warmed up, as for read-stream
    auto warm = raw_read_all(ctx.dsn, range->after, range->upto, ctx.opts.page,
                             read_all_prefix(ctx), ignored);
    return warm ? caf::error{} : std::move(warm.error());
  };
  plan.paths.push_back(
      {"store", [&ctx, range] {
         bench_system_config cfg{ctx.opts};
         caf::actor_system sys{cfg};
         auto started = start_store(sys, ctx.opts, ctx.dsn, "store");
         if (!started)
           return failed_path("store", started.error());
         auto& st = *started;
         auto page = ctx.opts.page;
         if (auto warm = st.read_all(range->after + 1, page); !warm)
           return failed_path("store",
                              in_context(warm.error(), "store: warm-up"));
         auto res = read_through_store(
             read_all_prefix(ctx), range->after + 1, range->upto,
             [&](int64_t from) { return st.read_all(from, page); },
             [](const recorded_event& ev) { return ev.global_position; });
         st.stop();
         return store_path(res, ctx.opts.events);
       }});
  plan.paths.push_back({"raw", [&ctx, range] {
                          read_tally tally;
                          auto res = raw_read_all(ctx.dsn, range->after,
                                                  range->upto, ctx.opts.page,
                                                  read_all_prefix(ctx), tally);
                          return raw_path(res, tally, ctx.opts.events);
                        }});
  return plan;
}

} // namespace es::bench
