// Scenario `outage`: N events appended at R per second (one per append,
// expected version any, over 16 streams of this run, without waiting for
// one to commit before the next goes) while, after a third of the run,
// PostgreSQL is stopped for D ms (--outage-ms, default 5,000) and started
// again. Needs the embedded cluster (no --dsn): es-bench stops and
// restarts the server in its data dir.
//
// Each append waits at most 60 s for its reply (the store queues appends
// while the server is down, up to its outage queue's bound and the
// deadline). Afterwards every stream is read back: `acknowledged` appends
// whose event is not stored are `lost`; stored events that were never sent
// or that are stored twice are `duplicated`; appends that failed are
// `failed` (whether they landed or not is reported as `failed_stored`).
// `recovery_ms` is the time from the server's restart to the first
// acknowledgement after it; when every paced append had its reply before
// that, one more append (given a minute) measures it (`recovery_probe` 1).
// The path fails when lost or duplicated is not 0, or when the store does
// not take appends again within a minute of the restart.
#include "messages/error.hpp"
#include "storage/embedded_cluster.hpp"
#include "storage/event_store.hpp"
#include "tools/bench/scenarios.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace es::bench {

namespace {

constexpr size_t outage_streams = 16;

/// What happened to each append, written by the appender actor's
/// callbacks, read by the main thread once all replied.
struct outage_log {
  std::mutex mtx;
  std::vector<uuid> ids;  // by append index
  std::vector<int> state; // 0 pending, 1 acknowledged, 2 failed
  clock_type::time_point restarted = clock_type::time_point::max();
  clock_type::time_point first_ack_after = clock_type::time_point::max();
  std::string first_error;
};

/// Paces `total` appends at `rate` per second (as fanout's appender does)
/// and records each reply in `log`.
caf::behavior outage_appender(caf::event_based_actor* self, node_actor node,
                              std::string prefix, event_data tmpl, size_t total,
                              double rate, std::shared_ptr<outage_log> log,
                              std::shared_ptr<countdown> replied) {
  auto sent = std::make_shared<size_t>(0);
  auto t0 = clock_type::now();
  auto tick = [=] {
    auto due = static_cast<size_t>(
        std::chrono::duration<double>(clock_type::now() - t0).count() * rate);
    for (; *sent < std::min(due + 1, total); ++*sent) {
      auto i = *sent;
      auto ev = fresh(tmpl);
      {
        std::lock_guard<std::mutex> guard{log->mtx};
        log->ids[i] = ev.id;
      }
      append_command cmd;
      cmd.part = stream_append{prefix + std::to_string(i % outage_streams),
                               expected_version::any(),
                               {std::move(ev)}};
      cmd.deadline = clock_type::now() + std::chrono::seconds{60};
      self->request(node, std::chrono::seconds{61}, append_atom_v,
                    std::move(cmd))
          .then(
              [=](append_result&) {
                auto now = clock_type::now();
                std::lock_guard<std::mutex> guard{log->mtx};
                log->state[i] = 1;
                if (now >= log->restarted && now < log->first_ack_after)
                  log->first_ack_after = now;
                replied->done();
              },
              [=](caf::error& err) {
                std::lock_guard<std::mutex> guard{log->mtx};
                if (log->first_error.empty())
                  log->first_error = describe(err);
                log->state[i] = 2;
                replied->done();
              });
    }
  };
  self->send(self, timer_atom_v, uint64_t{0});
  return {[=](timer_atom, uint64_t) {
    tick();
    if (*sent < total)
      self->delayed_send(self, std::chrono::milliseconds{2}, timer_atom_v,
                         uint64_t{0});
  }};
}

struct outage_result {
  size_t sent = 0;
  size_t acknowledged = 0;
  size_t failed = 0;
  size_t failed_stored = 0;
  size_t lost = 0;
  size_t duplicated = 0;
  double recovery_ms = -1;
  double seconds = 0;
  /// 1 when recovery_ms comes from an extra append after the run.
  size_t probe = 0;
};

/// Every event id stored in the run's streams, with its count.
caf::expected<std::map<uuid, size_t>> stored_ids(const std::string& dsn,
                                                 const std::string& prefix) {
  auto st = storage::event_store::open(dsn);
  if (!st)
    return in_context(st.error(), "outage: reading back");
  std::map<uuid, size_t> out;
  for (size_t k = 0; k < outage_streams; ++k) {
    auto stream = prefix + std::to_string(k);
    for (int64_t from = 1;;) {
      auto page = st->read_stream(stream, from, 1000);
      if (!page && is(page.error(), ec::not_found))
        break;
      if (!page)
        return in_context(page.error(), "outage: reading back " + stream);
      for (auto& ev : page->events)
        ++out[ev.id];
      if (page->events.empty() || page->end)
        break;
      from = page->next;
    }
  }
  return out;
}

caf::expected<outage_result> run_outage(const context& ctx) {
  const auto& o = ctx.opts;
  bench_system_config cfg{o};
  caf::actor_system sys{cfg};
  auto started = start_store(sys, o, ctx.dsn, "outage");
  if (!started)
    return std::move(started.error());
  auto& store = *started;
  auto prefix = "bench-" + ctx.run_id + "-o";
  auto log = std::make_shared<outage_log>();
  log->ids.resize(o.events);
  log->state.resize(o.events, 0);
  auto replied = std::make_shared<countdown>(o.events);
  auto run_ms =
      1000.0 * static_cast<double>(o.events) / static_cast<double>(o.rate);
  auto t0 = clock_type::now();
  auto appender =
      sys.spawn(outage_appender, store.node(), prefix, ctx.tmpl, o.events,
                static_cast<double>(o.rate), log, replied);
  std::this_thread::sleep_for(
      std::chrono::milliseconds{static_cast<int64_t>(run_ms / 3)});
  spdlog::warn("outage: stopping PostgreSQL for {} ms", o.outage_ms);
  if (auto err = storage::embedded_cluster::stop_at(ctx.data_dir, false))
    return in_context(err, "outage: stopping the server");
  std::this_thread::sleep_for(std::chrono::milliseconds{o.outage_ms});
  storage::cluster_options copts;
  copts.data_dir = ctx.data_dir;
  copts.fsync = true;
  auto again = storage::embedded_cluster::start(copts);
  if (!again)
    return in_context(again.error(), "outage: starting the server again");
  {
    std::lock_guard<std::mutex> guard{log->mtx};
    log->restarted = clock_type::now();
  }
  again->release(); // es-bench's own handle stops it at the end
  spdlog::warn("outage: PostgreSQL is up again");
  bool complete = replied->wait_for(std::chrono::seconds{120});
  outage_result out;
  out.seconds = seconds(clock_type::now() - t0);
  caf::anon_send_exit(appender, caf::exit_reason::user_shutdown);
  if (!complete) {
    store.stop();
    return make_error(ec::timeout,
                      "outage: appends still without a reply after 120 s");
  }
  // When every paced append had its reply before the store was back (the
  // breaker fails appends fast while it is open), one more append, given a
  // minute, tells when it was.
  bool acked_after = false;
  {
    std::lock_guard<std::mutex> guard{log->mtx};
    acked_after = log->first_ack_after != clock_type::time_point::max();
    if (!log->first_error.empty())
      spdlog::warn("outage: first failed append: {}", log->first_error);
  }
  if (!acked_after) {
    append_options aopts;
    aopts.timeout = std::chrono::seconds{60};
    auto probe = store.append(prefix + "0", expected_version::any(),
                              {fresh(ctx.tmpl)}, aopts);
    if (!probe) {
      store.stop();
      return in_context(probe.error(),
                        "outage: an append a minute after the restart");
    }
    std::lock_guard<std::mutex> guard{log->mtx};
    log->first_ack_after = clock_type::now();
    out.probe = 1;
  }
  store.stop();
  auto stored = stored_ids(ctx.dsn, prefix);
  if (!stored)
    return std::move(stored.error());
  std::lock_guard<std::mutex> guard{log->mtx};
  std::map<uuid, size_t> sent_index;
  for (size_t i = 0; i < o.events; ++i)
    sent_index[log->ids[i]] = i;
  out.sent = o.events;
  for (size_t i = 0; i < o.events; ++i) {
    auto found = stored->find(log->ids[i]);
    bool is_stored = found != stored->end();
    if (log->state[i] == 1) {
      ++out.acknowledged;
      if (!is_stored)
        ++out.lost;
    } else {
      ++out.failed;
      if (is_stored)
        ++out.failed_stored;
    }
  }
  size_t unknown = 0;
  for (auto& [id, count] : *stored) {
    if (count > 1)
      out.duplicated += count - 1;
    if (sent_index.count(id) == 0)
      ++unknown;
  }
  // The probe (if any) is the one stored event that the log did not send.
  if (unknown > out.probe)
    out.duplicated += unknown - out.probe;
  if (log->first_ack_after != clock_type::time_point::max())
    out.recovery_ms = millis(log->first_ack_after - log->restarted);
  return out;
}

} // namespace

scenario_plan plan_outage(const context& ctx) {
  const auto& o = ctx.opts;
  scenario_plan plan;
  auto& spec = plan.spec;
  spec.scenario = "outage";
  spec.title = "es-bench: scenario outage, " + std::to_string(o.events) +
               " events at " + std::to_string(o.rate) +
               "/s, PostgreSQL down for " + std::to_string(o.outage_ms) +
               " ms, pool size " + std::to_string(o.pool_size) +
               (ctx.embedded ? " (embedded cluster, fsync on)" : "");
  spec.params = {{"events", static_cast<double>(o.events)},
                 {"rate", static_cast<double>(o.rate)},
                 {"outage_ms", static_cast<double>(o.outage_ms)},
                 {"pool_size", static_cast<double>(o.pool_size)}};
  finish_params(ctx, spec);
  spec.flat_path = "store";
  spec.columns = {{"acknowledged", "acked", 0},
                  {"failed", "failed", 0},
                  {"lost", "lost", 0},
                  {"duplicated", "dup", 0},
                  {"recovery_ms", "recovery ms", 1}};
  spec.notes = {"lost: acknowledged but not stored (must be 0); dup: stored "
                "twice or never sent (must be 0)",
                "recovery ms: from the server's restart to the first "
                "acknowledgement after it"};
  plan.paths.push_back(
      {"store", [&ctx] {
         if (!ctx.embedded)
           return failed_path("store",
                              make_error(ec::invalid_argument,
                                         "outage needs the embedded cluster: "
                                         "run it without --dsn and ES_DSN"));
         auto res = run_outage(ctx);
         if (!res)
           return failed_path("store", res.error());
         path_figures out;
         out.path = "store";
         out.seconds = res->seconds;
         out.counters = {
             {"sent", static_cast<double>(res->sent)},
             {"acknowledged", static_cast<double>(res->acknowledged)},
             {"failed", static_cast<double>(res->failed)},
             {"failed_stored", static_cast<double>(res->failed_stored)},
             {"lost", static_cast<double>(res->lost)},
             {"duplicated", static_cast<double>(res->duplicated)},
             {"recovery_ms", res->recovery_ms},
             {"recovery_probe", static_cast<double>(res->probe)},
             {"seconds", res->seconds}};
         if (res->lost > 0)
           out.error = std::to_string(res->lost) +
                       " acknowledged events are not stored";
         else if (res->duplicated > 0)
           out.error = std::to_string(res->duplicated) + " events stored twice";
         return out;
       }});
  return plan;
}

} // namespace es::bench
