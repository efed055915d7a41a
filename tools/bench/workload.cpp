#include "tools/bench/workload.hpp"

#include "config/node_options.hpp"
#include "messages/error.hpp"
#include "messages/game_events.hpp"
#include "messages/metadata.hpp"
#include "storage/event_store.hpp"

#include <caf/atom.hpp>

#include <algorithm>

namespace es::bench {

caf::expected<event_data> encode_template(const registry::catalog& cat) {
  discord_source src{std::string{"801234567890123450"}, "901234567890123456",
                     "301234567890123000", false};
  auto origin = event_metadata::from_discord(src, "es-bench/0.1");
  game::player_joined ev;
  ev.game_id = uuid::v7();
  ev.guild_id = src.guild_id;
  ev.game_mode = game::mode::standard;
  ev.player_id = "111111111111111110";
  ev.display_name = "Bench Player";
  auto meta = event_metadata::caused_by(uuid::v7(), origin, ev.player_id);
  return cat.encode(ev, meta);
}

event_data fresh(const event_data& tmpl) {
  auto ev = tmpl;
  ev.id = uuid::v7();
  return ev;
}

std::vector<event_data> fresh_events(const event_data& tmpl, size_t n) {
  std::vector<event_data> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i)
    out.push_back(fresh(tmpl));
  return out;
}

std::vector<stream_plan> make_plan(const std::string& prefix, size_t streams,
                                   size_t events, size_t batch,
                                   const event_data& tmpl) {
  std::vector<stream_plan> out(streams);
  for (size_t i = 0; i < streams; ++i) {
    auto& plan = out[i];
    plan.stream = prefix + std::to_string(i);
    size_t left = events / streams + (i < events % streams ? 1 : 0);
    while (left > 0) {
      size_t n = std::min(left, batch);
      plan.calls.push_back(fresh_events(tmpl, n));
      left -= n;
    }
  }
  return out;
}

std::vector<std::string> stream_names(const std::string& prefix, size_t n) {
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i)
    out.push_back(prefix + std::to_string(i));
  return out;
}

caf::expected<size_t> stored_events(const std::string& dsn,
                                    const std::vector<std::string>& streams) {
  auto st = storage::event_store::open(dsn);
  if (!st)
    return in_context(st.error(), "reading back what was stored");
  size_t total = 0;
  for (auto& stream : streams) {
    auto info = st->get_stream_info(stream);
    if (!info && is(info.error(), ec::not_found))
      continue;
    if (!info)
      return in_context(info.error(), "reading back " + stream);
    total += static_cast<size_t>(info->event_count);
  }
  return total;
}

std::string check_stored(size_t stored, size_t expected) {
  if (stored == expected)
    return {};
  return "stored " + std::to_string(stored) + " events, wrote " +
         std::to_string(expected) +
         (stored < expected ? " (events lost)" : " (events duplicated)");
}

void start_gate::arrive_and_wait() {
  std::unique_lock<std::mutex> lock{mtx_};
  ++ready_;
  cv_.notify_all();
  cv_.wait(lock, [this] { return open_; });
}

void start_gate::wait_ready(size_t n) {
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait(lock, [&] { return ready_ >= n; });
}

void start_gate::open() {
  std::lock_guard<std::mutex> lock{mtx_};
  open_ = true;
  cv_.notify_all();
}

void failure::raise(caf::error err) {
  std::lock_guard<std::mutex> lock{mtx_};
  if (!raised_.exchange(true))
    err_ = std::move(err);
}

caf::error failure::error() const {
  std::lock_guard<std::mutex> lock{mtx_};
  return err_;
}

void countdown::done(size_t n) {
  std::lock_guard<std::mutex> lock{mtx_};
  left_ -= std::min(n, left_);
  if (left_ == 0)
    cv_.notify_all();
}

void countdown::wait() {
  std::unique_lock<std::mutex> lock{mtx_};
  cv_.wait(lock, [this] { return left_ == 0; });
}

double millis(clock_type::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double seconds(clock_type::duration d) {
  return std::chrono::duration<double>(d).count();
}

caf::error in_context(const caf::error& err, const std::string& what) {
  if (err.category() != caf::atom("es"))
    return make_error(ec::database_error, what + ": " + describe(err));
  auto code = static_cast<ec>(err.code());
  auto detail = describe(err);
  auto prefix = std::string{to_string(code)} + ": ";
  if (detail.rfind(prefix, 0) == 0)
    detail.erase(0, prefix.size());
  return make_error(code, what + ": " + detail);
}

std::optional<std::string> check_versions(int64_t version, size_t n,
                                          int64_t first, int64_t last,
                                          size_t rows) {
  auto expect_last = version + static_cast<int64_t>(n);
  if (rows != n || first != version + 1 || last != expect_last)
    return "expected versions " + std::to_string(version + 1) + ".." +
           std::to_string(expect_last) + " (" + std::to_string(n) +
           " events), got " + std::to_string(first) + ".." +
           std::to_string(last) + " (" + std::to_string(rows) + " events)";
  return std::nullopt;
}

std::vector<double> merged(std::vector<std::vector<double>> parts) {
  std::vector<double> out;
  for (auto& p : parts)
    out.insert(out.end(), p.begin(), p.end());
  return out;
}

bench_system_config::bench_system_config(const options& opts) {
  set("scheduler.policy", caf::atom_from_string(opts.scheduler));
}

caf::error wait_for_pool(store& st, size_t pool_size,
                         std::chrono::seconds limit) {
  auto until = clock_type::now() + limit;
  for (;;) {
    auto status = st.status();
    if (status && status->pool.connections_up >= pool_size)
      return {};
    if (clock_type::now() > until)
      return status ? make_error(ec::unavailable,
                                 "actor path: the pool did not connect "
                                 "within " +
                                     std::to_string(limit.count()) + " s")
                    : in_context(status.error(), "actor path: status");
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
}

caf::expected<store>
start_store(caf::actor_system& sys, const options& opts, const std::string& dsn,
            const std::string& what,
            const std::function<void(node_options&)>& tune) {
  node_options nopts;
  nopts.dsn = dsn;
  nopts.pool_size = opts.pool_size;
  if (tune)
    tune(nopts);
  auto started = es::start(sys, nopts);
  if (!started)
    return in_context(started.error(), what + ": cannot start the store");
  if (auto err =
          wait_for_pool(*started, opts.pool_size, std::chrono::seconds{30}))
    return err;
  return started;
}

} // namespace es::bench
