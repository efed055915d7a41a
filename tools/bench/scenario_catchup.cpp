// Scenario `catchup`: N events stored first (untimed, in calls of 1,000 over
// 16 streams of a category of this run), then the time a subscription from
// the origin takes to deliver them all to a subscriber actor that only
// acknowledges. Moved from tools/es_bench.cpp without changes to its logic.
//
// Baseline `raw` (after the store path, which stored the events): the same
// events read by the store's category SELECT over one libpq connection, in
// pages of 1,000 as the subscription reads them, no decoding, no delivery.
#include "tools/bench/baselines.hpp"
#include "tools/bench/scenarios.hpp"

#include "messages/error.hpp"

#include <caf/send.hpp>
#include <spdlog/spdlog.h>

namespace es::bench {

namespace {

struct catchup_result {
  double seconds = 0;
  double events_per_s = 0;
};

/// Stores `opts.events` events (untimed, in calls of 1,000 over 16 streams
/// of a category of this run), then times a subscription from the origin
/// that delivers them all to a subscriber actor that only acknowledges.
caf::expected<catchup_result> run_catchup(const options& opts,
                                          const std::string& dsn,
                                          const std::string& run,
                                          const event_data& tmpl) {
  bench_system_config cfg{opts};
  caf::actor_system sys{cfg};
  auto started = start_store(sys, opts, dsn, "catchup");
  if (!started)
    return std::move(started.error());
  auto& store = *started;
  auto category = "bcu" + run;
  append_options aopts;
  aopts.timeout = std::chrono::seconds{120};
  for (size_t done = 0, k = 0; done < opts.events; ++k) {
    auto n = std::min<size_t>(1000, opts.events - done);
    std::vector<event_data> call;
    call.reserve(n);
    for (size_t i = 0; i < n; ++i)
      call.push_back(fresh(tmpl));
    auto res = store.append(category + "-" + std::to_string(k % 16),
                            expected_version::any(), std::move(call), aopts);
    if (!res)
      return in_context(res.error(), "catchup: storing the events");
    done += n;
  }
  countdown delivered{opts.events};
  auto subscriber = sys.spawn(
      [&delivered](subscriber_actor::pointer)
          -> subscriber_actor::behavior_type {
        return {[&delivered](deliver_atom, const event_batch& batch) {
          delivered.done(batch.events.size());
          return batch_ack{batch.events.back()->global_position, {}};
        }};
      });
  subscription_spec spec;
  spec.name = "bench-catchup-" + run;
  spec.filter = log_filter::category(category);
  spec.start = start_from::origin;
  spec.page_size = 1000;
  spec.buffer_size = 1000;
  spec.batch_size = 250; // a projection takes large batches
  spec.subscriber = subscriber;
  auto t0 = clock_type::now();
  auto sub = store.subscribe(spec);
  if (!sub)
    return in_context(sub.error(), "catchup: subscribing");
  delivered.wait();
  auto elapsed = seconds(clock_type::now() - t0);
  caf::anon_send_exit(subscriber, caf::exit_reason::user_shutdown);
  store.stop();
  return catchup_result{elapsed,
                        static_cast<double>(opts.events) / elapsed};
}

} // namespace

scenario_plan plan_catchup(const context& ctx) {
  const auto& o = ctx.opts;
  scenario_plan plan;
  auto& spec = plan.spec;
  spec.scenario = "catchup";
  spec.title = "es-bench: scenario catchup, " + std::to_string(o.events)
               + " events, CAF scheduler " + o.scheduler
               + (ctx.embedded ? " (embedded cluster, fsync on)" : "");
  spec.params = {{"events", static_cast<double>(o.events)}};
  finish_params(ctx, spec);
  spec.flat_path = "store";
  spec.columns = {{"events_per_s", "events/s", 0}, {"seconds", "seconds", 3}};
  spec.ratios = {{"store/raw", "store", "raw"}};
  spec.notes = {"store: a subscription from the origin delivering every "
                "stored event to a subscriber that only acknowledges",
                "raw: the same events read by the same SELECT over libpq, "
                "pages of 1,000 (it reads what the store path stored)"};
  plan.paths.push_back({"store", [&ctx] {
    spdlog::info("run {}: catch-up of {} events", ctx.run_id,
                 ctx.opts.events);
    auto res = run_catchup(ctx.opts, ctx.dsn, ctx.run_id, ctx.tmpl);
    if (!res)
      return failed_path("store", res.error());
    path_figures out;
    out.path = "store";
    out.seconds = res->seconds;
    out.counters = {{"seconds", res->seconds},
                    {"events_per_s", res->events_per_s}};
    return out;
  }});
  plan.paths.push_back({"raw", [&ctx] {
    read_tally tally;
    auto category = "bcu" + ctx.run_id;
    auto res = raw_read_category(ctx.dsn, category, 1000, tally);
    if (!res)
      return failed_path("raw", res.error());
    auto out = figures_from("raw", *res);
    out.counters.emplace_back("events", static_cast<double>(tally.rows));
    if (tally.ours != ctx.opts.events)
      out.error = "read " + std::to_string(tally.ours) + " of "
                  + std::to_string(ctx.opts.events)
                  + " events of this run (the store path stores them)";
    else if (tally.out_of_order != 0)
      out.error = std::to_string(tally.out_of_order)
                  + " events out of order";
    return out;
  }});
  return plan;
}

} // namespace es::bench
