#include "tools/bench/memory.hpp"

#include "messages/error.hpp"

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace es::bench {

namespace {

using clock_type = std::chrono::steady_clock;

/// Counts answers; the main thread waits for all of them.
struct answer_count {
  std::mutex mtx;
  std::condition_variable cv;
  size_t left;
  size_t failures = 0;
  std::string first_failure;

  explicit answer_count(size_t n) : left(n) {}

  void done(const caf::error* err = nullptr) {
    std::lock_guard<std::mutex> guard{mtx};
    if (err != nullptr && failures++ == 0)
      first_failure = describe(*err);
    --left;
    cv.notify_all();
  }

  bool wait_for(clock_type::duration limit) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, limit, [&] { return left == 0; });
  }
};

/// Appends one event to each of `total` streams of `category`, keeping
/// `window` appends in flight.
caf::behavior toucher(caf::event_based_actor* self, node_actor node,
                      std::string category, event_data tmpl, size_t total,
                      size_t window, std::shared_ptr<answer_count> answers) {
  auto next = std::make_shared<size_t>(0);
  // The behavior owns the function; its answer handlers reach it weakly, so
  // nothing keeps it alive past the actor.
  auto send_one = std::make_shared<std::function<void()>>();
  std::weak_ptr<std::function<void()>> again = send_one;
  *send_one = [=] {
    if (*next >= total)
      return;
    auto ev = tmpl;
    ev.id = uuid::v7();
    append_command cmd;
    cmd.part = stream_append{category + "-" + std::to_string((*next)++),
                             expected_version::no_stream(), {std::move(ev)}};
    cmd.deadline = clock_type::now() + std::chrono::seconds{60};
    auto answered = [answers, again](const caf::error* err) {
      answers->done(err);
      if (auto f = again.lock())
        (*f)();
    };
    self->request(node, std::chrono::seconds{65}, append_atom_v, std::move(cmd))
        .then([=](append_result&) { answered(nullptr); },
              [=](caf::error& err) { answered(&err); });
  };
  for (size_t i = 0; i < window; ++i)
    (*send_one)();
  return {[send_one](timer_atom, uint64_t) {}};
}

} // namespace

double resident_mib() {
  std::ifstream statm{"/proc/self/statm"};
  size_t total = 0, resident = 0;
  if (!(statm >> total >> resident))
    return 0;
  auto page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  return static_cast<double>(resident) * page / (1024.0 * 1024.0);
}

caf::expected<memory_result> run_memory(caf::actor_system& sys, store& st,
                                        const std::string& category,
                                        const event_data& tmpl,
                                        const memory_plan& plan) {
  memory_result out;
  out.start_mib = resident_mib();
  auto deadline = clock_type::now() + plan.timeout;
  // -- Streams touched, then idle.
  auto touched = std::make_shared<answer_count>(plan.streams);
  auto worker = sys.spawn(toucher, st.node(), category + "s", tmpl,
                          plan.streams, std::max<size_t>(plan.concurrency, 1),
                          touched);
  bool all = touched->wait_for(deadline - clock_type::now());
  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  if (!all)
    return make_error(ec::timeout, "memory: touching the streams took longer "
                                   "than the timeout");
  if (touched->failures > 0)
    return make_error(ec::unavailable,
                      "memory: " + std::to_string(touched->failures)
                          + " appends failed; the first: "
                          + touched->first_failure);
  out.streams_peak_mib = resident_mib();
  for (;;) {
    auto status = st.status();
    if (!status)
      return std::move(status.error());
    out.active_streams = status->router.active_streams;
    if (out.active_streams == 0)
      break;
    if (clock_type::now() > deadline)
      return make_error(ec::timeout,
                        "memory: " + std::to_string(out.active_streams)
                            + " stream actors still live at the timeout "
                              "(is stream_idle_timeout short?)");
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  out.streams_idle_mib = resident_mib();
  // -- Subscribers live.
  auto horizon = st.read_all(std::numeric_limits<int64_t>::max() / 2, 1);
  if (!horizon)
    return std::move(horizon.error());
  auto delivered = std::make_shared<std::atomic<size_t>>(0);
  std::vector<subscriber_actor> subscribers;
  std::vector<subscription_actor> subscriptions;
  auto stop_all = [&] {
    for (auto& sub : subscribers)
      caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  };
  for (size_t k = 0; k < plan.subscribers; ++k) {
    subscribers.push_back(sys.spawn(
        [delivered](subscriber_actor::pointer) -> subscriber_actor::behavior_type {
          return {[=](deliver_atom, const event_batch& batch) {
            delivered->fetch_add(batch.events.size());
            return batch_ack{batch.events.back()->global_position, {}};
          }};
        }));
    subscription_spec spec;
    spec.name = "bench-memory-" + category + "-" + std::to_string(k);
    spec.filter = log_filter::category(category + "f");
    spec.start = start_from::position;
    spec.after = horizon->horizon;
    spec.subscriber = subscribers.back();
    auto sub = st.subscribe(spec);
    if (!sub) {
      stop_all();
      return std::move(sub.error());
    }
    subscriptions.push_back(*sub);
  }
  for (auto& sub : subscriptions)
    for (;;) {
      auto status = st.status_of(sub);
      if (!status) {
        stop_all();
        return std::move(status.error());
      }
      if (status->live)
        break;
      if (clock_type::now() > deadline) {
        stop_all();
        return make_error(ec::timeout, "memory: a subscription did not go "
                                       "live before the timeout");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  for (size_t i = 0; i < plan.events; ++i) {
    auto ev = tmpl;
    ev.id = uuid::v7();
    auto r = st.append(category + "f-" + std::to_string(i % 16),
                       expected_version::any(), {std::move(ev)});
    if (!r) {
      stop_all();
      return std::move(r.error());
    }
  }
  auto expected = plan.subscribers * plan.events;
  while (delivered->load() < expected && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  out.delivered = delivered->load();
  out.subscribers_mib = resident_mib();
  stop_all();
  return out;
}

} // namespace es::bench
