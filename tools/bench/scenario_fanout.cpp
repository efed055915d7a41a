// Scenario `fanout`: K subscriptions (transient, from now, on this run's
// category), each with its own subscriber actor; then N events appended at
// R per second; then every subscriber must have received every event.
// Moved from tools/es_bench.cpp without changes to its logic. The path
// fails when an append failed or when delivered != expected or any event
// arrived twice.
#include "tools/bench/scenarios.hpp"

#include "messages/error.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include <limits>
#include <memory>

namespace es::bench {

namespace {

/// What one fan-out subscriber saw. Written by its actor only; read by the
/// main thread once the run is over.
struct fanout_sink {
  int64_t base = 0; // positions of this run are above it
  std::vector<bool> seen; // by position - base - 1
  size_t distinct = 0;
  size_t duplicates = 0;
  std::vector<double> latencies_ms;
};

struct fanout_result {
  size_t expected = 0;
  size_t delivered = 0;
  size_t duplicates = 0;
  double seconds = 0;
  double append_rate = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  /// From sending an append to its answer: the commit's share of p99_ms.
  double commit_p50_ms = 0;
  double commit_p99_ms = 0;
  size_t append_failures = 0;
};

/// Paces the appends of the fan-out: one event per append, `rate` per
/// second on average, over 16 streams of `category`, without waiting for
/// one to commit before the next goes (as many bot actors appending).
/// Records each successful append's time from sending to its answer in
/// `commit_ms` (written by this actor only; read once it is gone).
caf::behavior fanout_appender(caf::event_based_actor* self,
                              es::node_actor node, std::string category,
                              es::event_data tmpl, size_t total, double rate,
                              std::shared_ptr<countdown> finished,
                              std::shared_ptr<std::atomic<size_t>> failures,
                              std::shared_ptr<std::vector<double>> commit_ms) {
  auto sent = std::make_shared<size_t>(0);
  auto t0 = clock_type::now();
  auto tick = [=] {
    auto due = static_cast<size_t>(
        std::chrono::duration<double>(clock_type::now() - t0).count() * rate);
    for (; *sent < std::min(due + 1, total); ++*sent) {
      auto ev = fresh(tmpl);
      ev.created_at = es::now_utc(); // the latency starts here
      es::append_command cmd;
      cmd.part = es::stream_append{category + "-" + std::to_string(*sent % 16),
                                   es::expected_version::any(), {std::move(ev)}};
      cmd.deadline = clock_type::now() + std::chrono::seconds{60};
      auto sent_at = clock_type::now();
      self->request(node, std::chrono::seconds{61}, es::append_atom_v,
                    std::move(cmd))
          .then(
              [=](es::append_result&) {
                commit_ms->push_back(millis(clock_type::now() - sent_at));
                finished->done();
              },
              [=](caf::error& err) {
                if (failures->fetch_add(1) == 0)
                  spdlog::error("fanout: an append failed: {}",
                                es::describe(err));
                finished->done();
              });
    }
  };
  self->send(self, es::timer_atom_v, uint64_t{0});
  return {[=](es::timer_atom, uint64_t) {
    tick();
    if (*sent < total)
      self->delayed_send(self, std::chrono::milliseconds{2}, es::timer_atom_v,
                         uint64_t{0});
  }};
}

/// K subscriptions (transient, from now, on this run's category), each
/// with its own subscriber actor; then N events appended at R per second;
/// then every subscriber must have received every event. The latency of an
/// event at a subscriber is its arrival time minus its `created_at`, set
/// just before its append was sent: it covers the commit as well as the
/// delivery (an upper bound of commit-to-delivery).
caf::expected<fanout_result> run_fanout(const options& opts,
                                        const std::string& dsn,
                                        const std::string& run,
                                        const es::event_data& tmpl) {
  bench_system_config cfg{opts};
  caf::actor_system sys{cfg};
  auto started = start_store(sys, opts, dsn, "fanout");
  if (!started)
    return std::move(started.error());
  auto& store = *started;
  auto category = "bfo" + run;
  auto horizon = store.read_all(std::numeric_limits<int64_t>::max() / 2, 1);
  if (!horizon)
    return in_context(horizon.error(), "fanout: reading the log horizon");
  auto received = std::make_shared<countdown>(opts.subscribers);
  std::vector<std::shared_ptr<fanout_sink>> sinks;
  std::vector<es::subscriber_actor> subscribers;
  std::vector<es::subscription_actor> subscriptions;
  size_t n = opts.events;
  for (size_t k = 0; k < opts.subscribers; ++k) {
    auto sink = std::make_shared<fanout_sink>();
    sink->base = horizon->horizon;
    sink->latencies_ms.reserve(n);
    sinks.push_back(sink);
    subscribers.push_back(sys.spawn(
        [sink, n, received](es::subscriber_actor::pointer)
            -> es::subscriber_actor::behavior_type {
          return {[=](es::deliver_atom, const es::event_batch& batch) {
            auto now = std::chrono::system_clock::now();
            for (auto& ev : batch.events) {
              auto i = static_cast<size_t>(ev->global_position - sink->base - 1);
              if (i >= sink->seen.size())
                sink->seen.resize(std::max(i + 1, 2 * sink->seen.size()));
              if (sink->seen[i]) {
                ++sink->duplicates;
                continue;
              }
              sink->seen[i] = true;
              sink->latencies_ms.push_back(millis(now - ev->created_at));
              if (++sink->distinct == n)
                received->done();
            }
            return es::batch_ack{batch.events.back()->global_position, {}};
          }};
        }));
    es::subscription_spec spec;
    spec.name = "bench-fanout-" + run + "-" + std::to_string(k);
    spec.filter = es::log_filter::category(category);
    spec.start = es::start_from::position;
    spec.after = horizon->horizon;
    spec.subscriber = subscribers.back();
    auto sub = store.subscribe(spec);
    if (!sub)
      return in_context(sub.error(), "fanout: subscribing");
    subscriptions.push_back(*sub);
  }
  // Steady state: every subscription has caught up and is live before the
  // first append.
  auto live_by = clock_type::now() + std::chrono::seconds{120};
  for (auto& sub : subscriptions)
    for (;;) {
      auto st = store.status_of(sub);
      if (!st)
        return in_context(st.error(), "fanout: subscription status");
      if (st->live)
        break;
      if (clock_type::now() > live_by)
        return es::make_error(es::ec::timeout,
                              "fanout: a subscription did not go live");
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  auto committed = std::make_shared<countdown>(n);
  auto failures = std::make_shared<std::atomic<size_t>>(0);
  auto commit_ms = std::make_shared<std::vector<double>>();
  commit_ms->reserve(n);
  auto t0 = clock_type::now();
  auto appender = sys.spawn(fanout_appender, store.node(), category, tmpl, n,
                            static_cast<double>(opts.rate), committed,
                            failures, commit_ms);
  committed->wait();
  auto append_seconds = seconds(clock_type::now() - t0);
  // Everything committed must arrive; allow a generous drain time.
  bool complete = failures->load() == 0
                  && received->wait_for(std::chrono::seconds{60});
  auto elapsed = seconds(clock_type::now() - t0);
  fanout_result out;
  out.expected = opts.subscribers * n;
  out.seconds = elapsed;
  out.append_rate = static_cast<double>(n) / append_seconds;
  out.append_failures = failures->load();
  // The subscribers stop before their sinks are read.
  for (auto& sub : subscribers)
    caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(appender, caf::exit_reason::user_shutdown);
  store.stop();
  sys.await_all_actors_done();
  std::vector<double> all;
  all.reserve(out.expected);
  for (auto& sink : sinks) {
    out.delivered += sink->distinct;
    out.duplicates += sink->duplicates;
    all.insert(all.end(), sink->latencies_ms.begin(),
               sink->latencies_ms.end());
  }
  auto lat = es::bench::summarize(std::move(all), out.delivered, elapsed);
  out.p50_ms = lat.p50_ms;
  out.p99_ms = lat.p99_ms;
  out.max_ms = lat.max_ms;
  auto commits = commit_ms->size();
  auto commit = es::bench::summarize(std::move(*commit_ms), commits, elapsed);
  out.commit_p50_ms = commit.p50_ms;
  out.commit_p99_ms = commit.p99_ms;
  if (!complete)
    spdlog::error("fanout: {} of {} deliveries arrived", out.delivered,
                  out.expected);
  return out;
}


} // namespace

scenario_plan plan_fanout(const context& ctx) {
  const auto& o = ctx.opts;
  scenario_plan plan;
  auto& spec = plan.spec;
  spec.scenario = "fanout";
  spec.title = "es-bench: scenario fanout, " + std::to_string(o.subscribers)
               + " subscribers, " + std::to_string(o.events) + " events at "
               + std::to_string(o.rate) + "/s, CAF scheduler " + o.scheduler
               + (ctx.embedded ? " (embedded cluster, fsync on)" : "");
  spec.params = {{"subscribers", static_cast<double>(o.subscribers)},
                 {"events", static_cast<double>(o.events)},
                 {"rate", static_cast<double>(o.rate)}};
  finish_params(ctx, spec);
  spec.flat_path = "store";
  spec.columns = {{"expected", "expected", 0},  {"delivered", "delivered", 0},
                  {"duplicates", "duplicates", 0}, {"p50_ms", "p50 ms", 2},
                  {"p99_ms", "p99 ms", 2},        {"max_ms", "max ms", 2},
                  {"commit_p99_ms", "commit p99 ms", 2},
                  {"append_rate", "appends/s", 0}};
  spec.notes = {"latency: from just before an event's append was sent to "
                "its arrival at a subscriber (commit included)",
                "commit: from sending an append to its answer, the commit's "
                "share of that latency"};
  plan.paths.push_back({"store", [&ctx] {
    const auto& opts = ctx.opts;
    spdlog::info("run {}: fan-out of {} events at {}/s to {} subscribers",
                 ctx.run_id, opts.events, opts.rate, opts.subscribers);
    auto res = run_fanout(opts, ctx.dsn, ctx.run_id, ctx.tmpl);
    if (!res)
      return failed_path("store", res.error());
    path_figures out;
    out.path = "store";
    out.seconds = res->seconds;
    out.counters = {{"expected", static_cast<double>(res->expected)},
                    {"delivered", static_cast<double>(res->delivered)},
                    {"duplicates", static_cast<double>(res->duplicates)},
                    {"p50_ms", res->p50_ms},
                    {"p99_ms", res->p99_ms},
                    {"max_ms", res->max_ms},
                    {"commit_p50_ms", res->commit_p50_ms},
                    {"commit_p99_ms", res->commit_p99_ms},
                    {"append_rate", res->append_rate},
                    {"append_failures",
                     static_cast<double>(res->append_failures)},
                    {"seconds", res->seconds}};
    if (res->append_failures > 0)
      out.error = std::to_string(res->append_failures) + " appends failed";
    else if (res->delivered != res->expected)
      out.error = "delivered " + std::to_string(res->delivered) + " of "
                  + std::to_string(res->expected) + " expected deliveries";
    else if (res->duplicates > 0)
      out.error = std::to_string(res->duplicates) + " duplicate deliveries";
    return out;
  }});
  return plan;
}

} // namespace es::bench
