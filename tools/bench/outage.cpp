#include "tools/bench/outage.hpp"

#include "messages/error.hpp"
#include "storage/event_store.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace es::bench {

namespace {

using clock_type = std::chrono::steady_clock;

double millis(clock_type::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

/// One append of the run.
struct sent_append {
  std::string event_id;
  clock_type::time_point sent;
  clock_type::time_point answered;
  bool done = false;
  bool ok = false;
};

/// What the appender did, shared with the main thread under `mtx`.
struct ledger {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<sent_append> appends;
  size_t outstanding = 0;
  /// Set by the main thread: no more appends after this.
  std::atomic<bool> stop{false};
  /// The appender's last tick ran after `stop`: nothing more is sent.
  bool closed = false;

  void answered(size_t index, bool ok) {
    std::lock_guard<std::mutex> guard{mtx};
    auto& a = appends[index];
    a.answered = clock_type::now();
    a.done = true;
    a.ok = ok;
    --outstanding;
    cv.notify_all();
  }

  /// Waits until the appender closed and every append was answered.
  bool wait_drained(clock_type::duration timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, timeout,
                       [&] { return closed && outstanding == 0; });
  }
};

/// Appends one event per call at `rate` per second, round-robin over the
/// streams of `category`, until `book->stop`.
caf::behavior appender(caf::event_based_actor* self, node_actor node,
                       std::string category, size_t streams, event_data tmpl,
                       double rate, std::chrono::milliseconds deadline,
                       std::shared_ptr<ledger> book) {
  auto count = std::make_shared<size_t>(0);
  auto t0 = clock_type::now();
  auto tick = [=] {
    auto due = static_cast<size_t>(
        std::chrono::duration<double>(clock_type::now() - t0).count() * rate);
    for (; *count < due + 1; ++*count) {
      auto ev = tmpl;
      ev.id = uuid::v7();
      size_t index = 0;
      {
        std::lock_guard<std::mutex> guard{book->mtx};
        index = book->appends.size();
        book->appends.push_back(
            sent_append{to_string(ev.id), clock_type::now(), {}, false, false});
        ++book->outstanding;
      }
      append_command cmd;
      cmd.part = stream_append{category + "-" + std::to_string(*count % streams),
                               expected_version::any(), {std::move(ev)}};
      cmd.deadline = clock_type::now() + deadline;
      self->request(node, deadline + std::chrono::seconds{5}, append_atom_v,
                    std::move(cmd))
          .then([=](append_result&) { book->answered(index, true); },
                [=](caf::error&) { book->answered(index, false); });
    }
  };
  self->send(self, timer_atom_v, uint64_t{0});
  return {[=](timer_atom, uint64_t) {
    if (book->stop.load()) {
      std::lock_guard<std::mutex> guard{book->mtx};
      book->closed = true;
      book->cv.notify_all();
      return;
    }
    tick();
    self->delayed_send(self, std::chrono::milliseconds{2}, timer_atom_v,
                       uint64_t{0});
  }};
}

/// How often each event id of the run's streams is stored.
caf::expected<std::unordered_map<std::string, size_t>>
stored_ids(const std::string& dsn, const std::string& category,
           size_t streams) {
  auto db = storage::event_store::open(dsn);
  if (!db)
    return std::move(db.error());
  std::unordered_map<std::string, size_t> out;
  for (size_t i = 0; i < streams; ++i) {
    auto stream = category + "-" + std::to_string(i);
    for (int64_t from = 1;;) {
      auto page = db->read_stream(stream, from, 1000);
      if (!page) {
        if (is(page.error(), ec::not_found))
          break; // nothing reached this stream
        return std::move(page.error());
      }
      for (auto& ev : page->events)
        ++out[to_string(ev.id)];
      if (page->end || page->events.empty())
        break;
      from = page->next;
    }
  }
  return out;
}

} // namespace

caf::expected<outage_result>
run_outage(caf::actor_system& sys, store& st,
           const storage::cluster_options& cluster, const std::string& category,
           const event_data& tmpl, const outage_plan& plan) {
  auto book = std::make_shared<ledger>();
  auto writer = sys.spawn(appender, st.node(), category, plan.streams, tmpl,
                          plan.rate, plan.append_deadline, book);
  auto stop_writer = [&] {
    book->stop = true;
    book->wait_drained(plan.append_deadline + std::chrono::seconds{10});
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  };
  std::this_thread::sleep_for(plan.before);
  auto stop_at = clock_type::now();
  if (auto err = storage::embedded_cluster::stop_at(
          cluster.data_dir, false, cluster.bin_dir, plan.mode)) {
    stop_writer();
    return make_error(ec::cluster_failed,
                      "outage: stopping PostgreSQL failed: " + describe(err));
  }
  std::this_thread::sleep_for(plan.down);
  auto restarted = storage::embedded_cluster::start(cluster);
  if (!restarted) {
    stop_writer();
    return make_error(ec::cluster_failed,
                      "outage: starting PostgreSQL again failed: "
                          + describe(restarted.error()));
  }
  // Whoever started the cluster first stops it at the end, not this handle.
  restarted->release();
  auto back = clock_type::now();
  std::this_thread::sleep_for(plan.after);
  book->stop = true;
  bool drained =
      book->wait_drained(plan.append_deadline + std::chrono::seconds{10});
  caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
  if (!drained)
    return make_error(ec::timeout, "outage: appends still unanswered "
                                   "after their deadline");
  outage_result out;
  out.down_ms = millis(back - stop_at);
  std::optional<clock_type::time_point> first_after, last_before;
  std::lock_guard<std::mutex> guard{book->mtx};
  for (auto& a : book->appends) {
    ++out.sent;
    if (a.ok) {
      ++out.acknowledged;
      out.max_ack_ms = std::max(out.max_ack_ms, millis(a.answered - a.sent));
      if (a.sent >= back && (!first_after || a.answered < *first_after))
        first_after = a.answered;
    } else {
      ++out.failed;
    }
    if (a.sent < back && (!last_before || a.answered > *last_before))
      last_before = a.answered;
  }
  if (first_after)
    out.recover_ms = millis(*first_after - back);
  if (last_before)
    out.drained_ms = std::max(0.0, millis(*last_before - back));
  auto stored = stored_ids(restarted->dsn(), category, plan.streams);
  if (!stored)
    return make_error(ec::unavailable, "outage: checking the stored events: "
                                           + describe(stored.error()));
  for (auto& a : book->appends) {
    auto it = stored->find(a.event_id);
    auto n = it == stored->end() ? size_t{0} : it->second;
    if (a.ok && n == 0)
      ++out.lost;
    if (!a.ok && n > 0)
      ++out.failed_but_stored;
  }
  for (auto& [id, n] : *stored)
    if (n > 1)
      out.duplicated += n - 1;
  return out;
}

} // namespace es::bench
