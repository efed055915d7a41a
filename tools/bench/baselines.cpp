#include "tools/bench/baselines.hpp"

#include "config/defaults.hpp"
#include "messages/error.hpp"
#include "storage/event_store.hpp"
#include "storage/pg.hpp"
#include "storage/sql.hpp"

#include <algorithm>
#include <functional>
#include <tuple>

namespace es::bench {

namespace {

/// One call of a per-call baseline: appends `events` to `stream` at
/// `version`; returns the new version.
using call_fn = std::function<caf::expected<int64_t>(
    pg::connection&, const std::string& stream, int64_t version,
    std::vector<event_data> events)>;

/// Checks where a call's rows landed (column `col` holds the versions).
caf::expected<int64_t> landed(const pg::result& res, int col,
                              const std::string& what,
                              const std::string& stream, int64_t version,
                              size_t n) {
  auto count = static_cast<size_t>(res.rows());
  auto first = count > 0 ? res.int64(0, col) : 0;
  auto last = count > 0 ? res.int64(res.rows() - 1, col) : 0;
  if (auto bad = check_versions(version, n, first, last, count))
    return make_error(ec::database_error,
                      what + ": append to " + stream + ": " + *bad);
  return last;
}

/// One raw call: one autocommit statement doing what the store does for a
/// group of one append (sql::bench_baseline_insert, with the store's own
/// parameters).
caf::expected<int64_t> raw_call(pg::connection& conn, const std::string& stream,
                                int64_t version,
                                std::vector<event_data> events) {
  auto n = events.size();
  stream_append part{stream, expected_version::exact(version),
                     std::move(events)};
  auto res = conn.exec(
      sql::bench_baseline_insert,
      storage::append_events_params({&part}, defaults::allow_stream_recreate));
  if (!res)
    return in_context(res.error(), "raw: append to " + stream +
                                       " (expected version " +
                                       std::to_string(version) + ")");
  return landed(*res, 1, "raw", stream, version, n);
}

/// The per-event array parameters of the hand-written baselines (commanded,
/// plain), each a PostgreSQL array literal.
struct event_columns {
  std::string ids, types, versions, data, meta, created;
};

event_columns columns_of(const std::vector<event_data>& events) {
  pg::array_literal ids, types, versions, data, meta, created;
  for (auto& ev : events) {
    ids.add(to_string(ev.id));
    types.add(ev.type);
    versions.add(int64_t{ev.version});
    data.add(ev.data);
    meta.add(ev.metadata);
    created.add(static_cast<int64_t>(ev.created_at.time_since_epoch().count()));
  }
  return {ids.finish(),  types.finish(), versions.finish(),
          data.finish(), meta.finish(),  created.finish()};
}

/// One commanded-style call (sql::bench_commanded_append).
caf::expected<int64_t> commanded_call(pg::connection& conn,
                                      const std::string& stream,
                                      int64_t version,
                                      std::vector<event_data> events) {
  auto cols = columns_of(events);
  pg::params args;
  args.add(stream)
      .add(version)
      .add(cols.ids)
      .add(cols.types)
      .add(cols.data)
      .add(cols.meta)
      .add(cols.created);
  auto res = conn.exec(sql::bench_commanded_append, args);
  if (!res)
    return in_context(res.error(), "commanded: append to " + stream +
                                       " (expected version " +
                                       std::to_string(version) + ")");
  return landed(*res, 0, "commanded", stream, version, events.size());
}

/// One plain call (sql::bench_plain_insert).
caf::expected<int64_t> plain_call(pg::connection& conn,
                                  const std::string& stream, int64_t version,
                                  std::vector<event_data> events) {
  auto cols = columns_of(events);
  pg::params args;
  args.add(stream)
      .add(version)
      .add(cols.ids)
      .add(cols.types)
      .add(cols.versions)
      .add(cols.data)
      .add(cols.meta)
      .add(cols.created);
  auto res = conn.exec(sql::bench_plain_insert, args);
  if (!res)
    return in_context(res.error(), "plain: append to " + stream +
                                       " (after version " +
                                       std::to_string(version) + ")");
  return landed(*res, 0, "plain", stream, version, events.size());
}

/// The append calls of `ctx.opts` over min(S, P) connections, each call
/// made by `call`; streams "bench-<run>-<tag><i>".
caf::expected<summary> run_per_call(const context& ctx, const std::string& tag,
                                    const std::string& what,
                                    const call_fn& call, size_t& connections) {
  const auto& opts = ctx.opts;
  connections = std::min(opts.streams, opts.pool_size);
  // Connect, prepare and warm up every connection before the clock starts.
  std::vector<pg::connection> conns;
  for (size_t k = 0; k < connections; ++k) {
    auto conn = pg::connection::open(ctx.dsn);
    if (!conn)
      return in_context(conn.error(), what + ": cannot connect");
    auto warm = call(
        *conn, "bench-" + ctx.run_id + "-warmup-" + tag + std::to_string(k), 0,
        {fresh(ctx.tmpl)});
    if (!warm)
      return std::move(warm.error());
    conns.push_back(std::move(*conn));
  }
  auto plan = make_plan("bench-" + ctx.run_id + "-" + tag, opts.streams,
                        opts.events, opts.batch, ctx.tmpl);
  failure failed;
  std::vector<std::vector<double>> latencies(connections);
  auto elapsed = run_timed(connections, [&](size_t k) {
    auto& conn = conns[k];
    auto& lat = latencies[k];
    // This thread's streams, served in turn: one call of each per round.
    std::vector<stream_plan*> mine;
    for (size_t s = k; s < plan.size(); s += connections)
      mine.push_back(&plan[s]);
    std::vector<int64_t> versions(mine.size(), 0);
    for (size_t round = 0;; ++round) {
      bool any = false;
      for (size_t j = 0; j < mine.size(); ++j) {
        auto& p = *mine[j];
        if (round >= p.calls.size())
          continue;
        if (failed.raised())
          return;
        any = true;
        auto t0 = clock_type::now();
        auto res = call(conn, p.stream, versions[j], p.calls[round]);
        auto t1 = clock_type::now();
        if (!res) {
          failed.raise(std::move(res.error()));
          return;
        }
        versions[j] = *res;
        lat.push_back(millis(t1 - t0));
      }
      if (!any)
        return;
    }
  });
  if (failed.raised())
    return failed.error();
  return summarize(merged(std::move(latencies)), opts.events, seconds(elapsed));
}

/// Size of one statement of the physical baseline.
constexpr size_t physical_chunk = 1000;

caf::expected<int64_t> physical_call(pg::connection& conn,
                                     const std::string& stream, size_t n,
                                     const event_data& tmpl) {
  pg::params args;
  args.add(stream)
      .add(int64_t{0})
      .add(static_cast<int64_t>(n))
      .add(tmpl.type)
      .add(tmpl.data)
      .add(tmpl.metadata);
  auto res = conn.exec(sql::bench_physical_insert, args);
  if (!res)
    return in_context(res.error(), "physical: insert into " + stream);
  if (res->affected() != static_cast<int64_t>(n))
    return make_error(ec::database_error, "physical: insert into " + stream +
                                              ": " +
                                              std::to_string(res->affected()) +
                                              " rows of " + std::to_string(n));
  return res->affected();
}

} // namespace

caf::error prepare_bench_schema(const std::string& dsn) {
  // Opening the store migrates its schema (es_events must exist).
  auto st = storage::event_store::open(dsn);
  if (!st)
    return in_context(st.error(), "preparing the baselines' tables");
  auto conn = pg::connection::open(dsn);
  if (!conn)
    return in_context(conn.error(), "preparing the baselines' tables");
  if (auto res = conn->exec_sql(sql::bench_schema); !res)
    return in_context(res.error(), "creating the baselines' tables");
  return {};
}

caf::expected<summary> raw_append(const context& ctx, size_t& connections) {
  return run_per_call(ctx, "b", "raw", raw_call, connections);
}

caf::expected<summary> commanded_append(const context& ctx,
                                        size_t& connections) {
  return run_per_call(ctx, "c", "commanded", commanded_call, connections);
}

caf::expected<summary> plain_append(const context& ctx, size_t& connections) {
  return run_per_call(ctx, "n", "plain", plain_call, connections);
}

caf::expected<summary> physical_insert(const context& ctx,
                                       size_t& connections) {
  const auto events = ctx.opts.events;
  const size_t chunks = (events + physical_chunk - 1) / physical_chunk;
  connections = std::min(ctx.opts.pool_size, chunks);
  std::vector<pg::connection> conns;
  for (size_t k = 0; k < connections; ++k) {
    auto conn = pg::connection::open(ctx.dsn);
    if (!conn)
      return in_context(conn.error(), "physical: cannot connect");
    auto warm = physical_call(
        *conn, "bench-" + ctx.run_id + "-warmup-p" + std::to_string(k), 1,
        ctx.tmpl);
    if (!warm)
      return std::move(warm.error());
    conns.push_back(std::move(*conn));
  }
  failure failed;
  std::vector<std::vector<double>> latencies(connections);
  auto elapsed = run_timed(connections, [&](size_t k) {
    for (size_t j = k; j < chunks; j += connections) {
      if (failed.raised())
        return;
      auto n = std::min(physical_chunk, events - j * physical_chunk);
      auto t0 = clock_type::now();
      auto res = physical_call(conns[k],
                               "bench-" + ctx.run_id + "-p" + std::to_string(j),
                               n, ctx.tmpl);
      auto t1 = clock_type::now();
      if (!res) {
        failed.raise(std::move(res.error()));
        return;
      }
      latencies[k].push_back(millis(t1 - t0));
    }
  });
  if (failed.raised())
    return failed.error();
  return summarize(merged(std::move(latencies)), events, seconds(elapsed));
}

caf::expected<summary> raw_multi_append(const std::string& dsn,
                                        const std::string& run_id,
                                        const event_data& tmpl,
                                        std::vector<multi_writer> writers,
                                        size_t events) {
  // One call: (stream, version, events) per stream, one round trip, one
  // implicit transaction; returns the new version of each stream.
  auto call =
      [](pg::connection& conn,
         std::vector<std::tuple<std::string, int64_t, std::vector<event_data>>>
             parts) -> caf::expected<std::vector<int64_t>> {
    pg::pipeline pipe{conn};
    std::vector<size_t> sizes;
    for (auto& [stream, version, evs] : parts) {
      sizes.push_back(evs.size());
      stream_append part{stream, expected_version::exact(version),
                         std::move(evs)};
      pipe.add(sql::bench_baseline_insert,
               storage::append_events_params({&part},
                                             defaults::allow_stream_recreate));
    }
    auto results = pipe.run();
    if (!results)
      return in_context(results.error(), "raw: multi-stream append");
    std::vector<int64_t> out;
    for (size_t i = 0; i < parts.size(); ++i) {
      auto v = landed((*results)[i], 1, "raw", std::get<0>(parts[i]),
                      std::get<1>(parts[i]), sizes[i]);
      if (!v)
        return std::move(v.error());
      out.push_back(*v);
    }
    return out;
  };
  std::vector<pg::connection> conns;
  for (size_t k = 0; k < writers.size(); ++k) {
    auto conn = pg::connection::open(dsn);
    if (!conn)
      return in_context(conn.error(), "raw: cannot connect");
    auto warm = "bench-" + run_id + "-warmup-r" + std::to_string(k);
    std::vector<std::tuple<std::string, int64_t, std::vector<event_data>>>
        parts;
    parts.emplace_back(warm + "a", 0, std::vector<event_data>{fresh(tmpl)});
    parts.emplace_back(warm + "b", 0, std::vector<event_data>{fresh(tmpl)});
    if (auto res = call(*conn, std::move(parts)); !res)
      return std::move(res.error());
    conns.push_back(std::move(*conn));
  }
  failure failed;
  std::vector<std::vector<double>> latencies(writers.size());
  auto elapsed = run_timed(writers.size(), [&](size_t k) {
    auto& w = writers[k];
    std::vector<int64_t> versions(w.streams.size(), 0);
    for (auto& c : w.calls) {
      if (failed.raised())
        return;
      auto t0 = clock_type::now();
      std::vector<std::tuple<std::string, int64_t, std::vector<event_data>>>
          parts;
      for (auto& [idx, evs] : c)
        parts.emplace_back(w.streams[idx], versions[idx], std::move(evs));
      auto res = call(conns[k], std::move(parts));
      auto t1 = clock_type::now();
      if (!res) {
        failed.raise(std::move(res.error()));
        return;
      }
      for (size_t i = 0; i < c.size(); ++i)
        versions[c[i].first] = (*res)[i];
      latencies[k].push_back(millis(t1 - t0));
    }
  });
  if (failed.raised())
    return failed.error();
  return summarize(merged(std::move(latencies)), events, seconds(elapsed));
}

namespace {

/// Counts the rows of a page and the bytes of every column (so that every
/// value is read, as a client would); returns column `order_col` of the
/// last row (0 when empty) and checks it increases within the page and
/// from `prev`.
int64_t tally_page(const pg::result& res, int order_col, int stream_col,
                   const std::string& ours, int64_t prev, read_tally& tally) {
  for (int r = 0; r < res.rows(); ++r) {
    for (int c = 0; c < res.columns(); ++c)
      tally.bytes += res.text(r, c).size();
    auto order = res.int64(r, order_col);
    if (order <= prev)
      ++tally.out_of_order;
    prev = order;
    ++tally.rows;
    if (!ours.empty() && res.text(r, stream_col).substr(0, ours.size()) == ours)
      ++tally.ours;
  }
  return prev;
}

} // namespace

caf::expected<summary> raw_read_stream(const std::string& dsn,
                                       const std::string& stream, size_t page,
                                       read_tally& tally) {
  auto conn = pg::connection::open(dsn);
  if (!conn)
    return in_context(conn.error(), "raw: cannot connect");
  auto read = [&](int64_t from) {
    pg::params args;
    args.add(stream).add(from).add(static_cast<int64_t>(page));
    return conn->exec(sql::read_stream_forward, args);
  };
  if (auto warm = read(1); !warm) // prepares the statement
    return in_context(warm.error(), "raw: warm-up read");
  std::vector<double> latencies;
  int64_t last = 0;
  auto t0 = clock_type::now();
  for (;;) {
    auto c0 = clock_type::now();
    auto res = read(last + 1);
    if (!res)
      return in_context(res.error(), "raw: read of " + stream);
    latencies.push_back(millis(clock_type::now() - c0));
    if (res->rows() == 0)
      break;
    // Columns: ES_EVENT_COLUMNS (position, id, stream, version, ...).
    last = tally_page(*res, 3, 2, stream, last, tally);
    if (static_cast<size_t>(res->rows()) < page)
      break;
  }
  auto elapsed = seconds(clock_type::now() - t0);
  return summarize(std::move(latencies), tally.rows, elapsed);
}

caf::expected<summary> raw_read_all(const std::string& dsn, int64_t after,
                                    int64_t upto, size_t page,
                                    const std::string& ours,
                                    read_tally& tally) {
  auto conn = pg::connection::open(dsn);
  if (!conn)
    return in_context(conn.error(), "raw: cannot connect");
  const auto& stmt = sql::read_log(sql::log_filter_kind::all, true);
  auto read = [&](int64_t from) {
    pg::params args;
    args.add(from).add(upto).add(static_cast<int64_t>(page));
    return conn->exec(stmt, args);
  };
  if (auto warm = read(after + 1); !warm)
    return in_context(warm.error(), "raw: warm-up read");
  std::vector<double> latencies;
  int64_t last = after;
  auto t0 = clock_type::now();
  for (;;) {
    auto c0 = clock_type::now();
    auto res = read(last + 1);
    if (!res)
      return in_context(res.error(), "raw: read of the global log");
    latencies.push_back(millis(clock_type::now() - c0));
    if (res->rows() == 0)
      break;
    last = tally_page(*res, 0, 2, ours, last, tally);
    if (static_cast<size_t>(res->rows()) < page)
      break;
  }
  auto elapsed = seconds(clock_type::now() - t0);
  return summarize(std::move(latencies), tally.rows, elapsed);
}

caf::expected<summary> raw_read_category(const std::string& dsn,
                                         const std::string& category,
                                         size_t page, read_tally& tally) {
  auto conn = pg::connection::open(dsn);
  if (!conn)
    return in_context(conn.error(), "raw: cannot connect");
  auto horizon = conn->exec(sql::log_horizon);
  if (!horizon)
    return in_context(horizon.error(), "raw: the log horizon");
  auto upto = horizon->int64(0, 0);
  const auto& stmt = sql::read_log(sql::log_filter_kind::category, true);
  auto read = [&](int64_t from) {
    pg::params args;
    args.add(from).add(upto).add(category).add(static_cast<int64_t>(page));
    return conn->exec(stmt, args);
  };
  if (auto warm = read(upto + 1); !warm) // prepares the statement
    return in_context(warm.error(), "raw: warm-up read");
  std::vector<double> latencies;
  int64_t last = 0;
  auto t0 = clock_type::now();
  for (;;) {
    auto c0 = clock_type::now();
    auto res = read(last + 1);
    if (!res)
      return in_context(res.error(), "raw: read of category " + category);
    latencies.push_back(millis(clock_type::now() - c0));
    if (res->rows() == 0)
      break;
    last = tally_page(*res, 0, 2, category + "-", last, tally);
    if (static_cast<size_t>(res->rows()) < page)
      break;
  }
  auto elapsed = seconds(clock_type::now() - t0);
  return summarize(std::move(latencies), tally.rows, elapsed);
}

} // namespace es::bench
