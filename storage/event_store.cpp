#include "storage/event_store.hpp"

#include "messages/error.hpp"
#include "messages/json.hpp"
#include "storage/input.hpp"
#include "storage/replay.hpp"
#include "storage/schema.hpp"
#include "storage/sql.hpp"

#include <algorithm>

namespace es::storage {

namespace {

/// Attempts of an append that lost a race it may win on retry.
constexpr int max_append_attempts = 5;

timestamp from_micros(int64_t us) {
  return timestamp{std::chrono::microseconds{us}};
}

int64_t micros(timestamp t) {
  return t.time_since_epoch().count();
}

int64_t kind_code(expected_version::kind k) {
  return static_cast<int64_t>(k);
}

/// Parameters of `sql::find_events` for one stream.
pg::params find_params(const stream_append& part) {
  pg::array_literal ids, types, versions, data, meta;
  for (auto& ev : part.events) {
    ids.add(to_string(ev.id));
    types.add(ev.type);
    versions.add(int64_t{ev.version});
    data.add(ev.data);
    meta.add(ev.metadata);
  }
  pg::params out;
  out.add(ids.finish())
      .add(types.finish())
      .add(versions.finish())
      .add(data.finish())
      .add(meta.finish());
  return out;
}

/// The parts of a group, flattened in the order `sql::append_events`
/// takes them.
using part_refs = std::vector<const stream_append*>;

/// True when no stream appears twice among `parts`: the one-statement
/// group append reads every head before it inserts, so a repeated stream
/// would get the same versions twice.
bool distinct_streams(const part_refs& parts) {
  std::vector<std::string_view> names;
  names.reserve(parts.size());
  for (auto* part : parts)
    names.emplace_back(part->stream);
  std::sort(names.begin(), names.end());
  return std::adjacent_find(names.begin(), names.end()) == names.end();
}

} // namespace

pg::params append_events_params(const part_refs& parts, bool allow_recreate) {
  pg::array_literal streams, kinds, expected;
  pg::array_literal owners, offsets, ids, types, versions, data, meta, created;
  int64_t owner = 0;
  for (auto* part : parts) {
    streams.add(part->stream);
    kinds.add(kind_code(part->expected.mode));
    expected.add(part->expected.value);
    ++owner;
    int64_t offset = 0;
    for (auto& ev : part->events) {
      owners.add(owner);
      offsets.add(++offset);
      ids.add(to_string(ev.id));
      types.add(ev.type);
      versions.add(int64_t{ev.version});
      data.add(ev.data);
      meta.add(ev.metadata);
      created.add(micros(ev.created_at));
    }
  }
  pg::params out;
  out.add(streams.finish())
      .add(kinds.finish())
      .add(expected.finish())
      .add(allow_recreate)
      .add(owners.finish())
      .add(offsets.finish())
      .add(ids.finish())
      .add(types.finish())
      .add(versions.finish())
      .add(data.finish())
      .add(meta.finish())
      .add(created.finish());
  return out;
}

namespace {

/// Fills one result from `rows[first, first + count)` of an append's
/// RETURNING (global_position, stream_version).
append_result result_of(const stream_append& part, const pg::result& rows,
                        int first, int count) {
  append_result r;
  r.stream = part.stream;
  r.positions.reserve(static_cast<size_t>(count));
  for (int row = first; row < first + count; ++row)
    r.positions.push_back(rows.int64(row, 0));
  if (count > 0) {
    r.first_version = rows.int64(first, 1);
    r.last_version = rows.int64(first + count - 1, 1);
  }
  return r;
}

pg::params version_params(std::string_view stream,
                          const expected_version& expected) {
  pg::params out;
  out.add(stream).add(kind_code(expected.mode)).add(expected.value);
  return out;
}

/// Decodes the event columns of storage/sql.cpp's ES_EVENT_COLUMNS.
caf::expected<recorded_event> event_from(const pg::result& res, int row) {
  recorded_event ev;
  ev.global_position = res.int64(row, 0);
  auto id = uuid::parse(res.text(row, 1));
  if (!id)
    return make_error(ec::decode_failed,
                      "stored event id at position " +
                          std::to_string(ev.global_position) + ": " +
                          describe(id.error()));
  ev.id = *id;
  ev.stream = res.string(row, 2);
  ev.stream_version = res.int64(row, 3);
  ev.type = res.string(row, 4);
  ev.version = static_cast<int32_t>(res.int64(row, 5));
  ev.data = res.string(row, 6);
  ev.metadata = res.string(row, 7);
  ev.created_at = from_micros(res.int64(row, 8));
  return ev;
}

/// Turns rows into a page of at most `count` events; a row beyond `count`
/// only tells that there is more.
caf::expected<event_page> page_from(const pg::result& res, size_t count,
                                    bool forward, bool by_position,
                                    int64_t from) {
  event_page page;
  auto rows = static_cast<size_t>(res.rows());
  auto take = std::min(rows, count);
  page.events.reserve(take);
  for (size_t i = 0; i < take; ++i) {
    auto ev = event_from(res, static_cast<int>(i));
    if (!ev)
      return std::move(ev.error());
    page.events.push_back(std::move(*ev));
  }
  page.end = rows <= count;
  if (page.events.empty()) {
    page.next = from;
  } else {
    auto& last = page.events.back();
    auto at = by_position ? last.global_position : last.stream_version;
    page.next = forward ? at + 1 : at - 1;
  }
  if (!forward && page.next < 1) {
    page.next = 0;
    page.end = true;
  }
  return page;
}

stream_info info_from(const pg::result& res, int row) {
  stream_info info;
  info.stream = res.string(row, 0);
  info.version = res.int64(row, 1);
  info.event_count = res.int64(row, 2);
  info.deleted = res.boolean(row, 3);
  info.created_at = from_micros(res.int64(row, 4));
  info.updated_at = from_micros(res.int64(row, 5));
  return info;
}

subscription_record subscription_from(const pg::result& res, int row) {
  subscription_record sub;
  sub.name = res.string(row, 0);
  sub.position = res.int64(row, 1);
  sub.created_at = from_micros(res.int64(row, 2));
  sub.updated_at = from_micros(res.int64(row, 3));
  return sub;
}

caf::error no_such_subscription(std::string_view name) {
  return make_error(ec::not_found,
                    "subscription '" + excerpt(name) + "' does not exist");
}

caf::error check_position(std::string_view name, const char* what,
                          int64_t position) {
  if (position < 0)
    return make_error(ec::invalid_argument,
                      std::string{what} + " of subscription '" + excerpt(name) +
                          "' at negative position " + std::to_string(position));
  return {};
}

caf::error no_such_stream(std::string_view stream) {
  return make_error(ec::not_found,
                    "stream '" + excerpt(stream) + "' does not exist");
}

caf::error check_payload(const char* name, std::string_view payload,
                         const store_options& opts) {
  if (payload.size() > opts.max_event_bytes)
    return make_error(
        ec::payload_too_large,
        std::string{name} + " is " + std::to_string(payload.size()) +
            " bytes; the limit is " + std::to_string(opts.max_event_bytes));
  if (auto err = json::check_object(payload))
    return make_error(ec::invalid_event,
                      std::string{name} + ": " + describe(err));
  return {};
}

} // namespace

caf::expected<event_store> event_store::open(const std::string& dsn,
                                             store_options opts) {
  if (auto err = validate(opts))
    return err;
  auto conn = pg::connection::open(dsn);
  if (!conn)
    return std::move(conn.error());
  if (auto applied = migrate(*conn); !applied)
    return std::move(applied.error());
  return event_store{std::move(*conn), opts};
}

caf::expected<append_result> event_store::append(stream_append part) {
  std::vector<stream_append> parts;
  parts.push_back(std::move(part));
  auto res = append(std::move(parts));
  if (!res)
    return std::move(res.error());
  return std::move(res->front());
}

caf::expected<std::vector<append_result>>
event_store::append(std::vector<stream_append> parts) {
  std::vector<std::vector<stream_append>> group;
  group.push_back(std::move(parts));
  return std::move(append_group(std::move(group)).front());
}

std::vector<caf::expected<std::vector<append_result>>>
event_store::append_group(std::vector<std::vector<stream_append>> requests,
                          bool relaxed) {
  using outcome = caf::expected<std::vector<append_result>>;
  std::vector<outcome> out(requests.size(), outcome{caf::error{}});
  std::vector<size_t> pending;
  std::vector<size_t> later;
  std::vector<int> attempts(requests.size(), 0);
  for (size_t i = 0; i < requests.size(); ++i) {
    if (auto err = check_append(requests[i], opts_))
      out[i] = std::move(err);
    else
      pending.push_back(i);
  }
  // Each round commits every pending request in one transaction. When one
  // fails, PostgreSQL aborts the whole transaction: that request is settled
  // on its own (a replay, a duplicate, a conflict, or a race to retry) and
  // the rest go again ("retry the rest"). Conflicts are rare on this path,
  // so a group almost always commits in one round trip.
  while (!pending.empty()) {
    size_t failed = pending.size();
    auto committed = try_group(requests, pending, relaxed, failed);
    if (committed) {
      for (size_t k = 0; k < pending.size(); ++k)
        out[pending[k]] = std::move((*committed)[k]);
      break;
    }
    auto err = std::move(committed.error());
    if (failed >= pending.size()) {
      // The transaction itself failed (connection, locks): so does every
      // request in it.
      for (auto i : pending)
        out[i] = err;
      break;
    }
    auto i = pending[failed];
    pending.erase(pending.begin() + static_cast<ptrdiff_t>(failed));
    if (!is(err, ec::wrong_expected_version) && !is(err, ec::duplicate_event)) {
      out[i] = std::move(err);
      continue;
    }
    // Either the events are stored already (a retry of an append that
    // landed), or they collide with other events, or the stream moved.
    auto resolved = resolve_failure(requests[i], err);
    if (resolved || resolved.error() || ++attempts[i] >= max_append_attempts)
      out[i] = resolved || resolved.error() ? std::move(resolved)
                                            : outcome{std::move(err)};
    else
      // Nothing committed explains the failure: the request lost a race,
      // possibly to a request of this very group (whose writes the check
      // above cannot see). It runs again alone, after the group.
      later.push_back(i);
  }
  for (auto i : later) {
    std::vector<std::vector<stream_append>> alone;
    alone.push_back(std::move(requests[i]));
    out[i] = std::move(append_group(std::move(alone), relaxed).front());
  }
  return out;
}

caf::expected<std::vector<std::vector<append_result>>>
event_store::try_group(const std::vector<std::vector<stream_append>>& requests,
                       const std::vector<size_t>& pending, bool relaxed,
                       size_t& failed) {
  part_refs parts;
  std::vector<size_t> owner; // part index -> index into pending
  for (size_t k = 0; k < pending.size(); ++k)
    for (auto& part : requests[pending[k]]) {
      parts.push_back(&part);
      owner.push_back(k);
    }
  // The whole group as one statement is the fast path. When it fails with
  // an SQL error, one statement per stream tells which request failed (for
  // a single part, the two are the same statement).
  if (parts.size() > 1 && distinct_streams(parts)) {
    auto one = run_group(parts, owner, pending.size(), relaxed, true, failed);
    if (one || failed != ask_each_part)
      return one;
  }
  return run_group(parts, owner, pending.size(), relaxed, false, failed);
}

caf::expected<std::vector<std::vector<append_result>>>
event_store::run_group(const std::vector<const stream_append*>& parts,
                       const std::vector<size_t>& owner, size_t requests,
                       bool relaxed, bool one_statement, size_t& failed) {
  // Every stream of the group is locked first, in one global order, so
  // that concurrent groups cannot deadlock; then the position reservation;
  // then the inserts.
  pg::array_literal streams;
  for (auto* part : parts)
    streams.add(part->stream);
  pg::pipeline pipe{conn_};
  pipe.add(sql::lock_streams, pg::params{}.add(streams.finish()));
  pipe.add(sql::reserve_positions, {});
  if (relaxed)
    pipe.add(sql::relaxed_commit, {});
  const size_t preamble = relaxed ? 3 : 2;
  if (one_statement)
    pipe.add(sql::append_events,
             append_events_params(parts, opts_.allow_stream_recreate));
  else
    for (auto* part : parts)
      pipe.add(sql::append_events,
               append_events_params({part}, opts_.allow_stream_recreate));
  size_t failed_at = 0;
  auto results = pipe.run(&failed_at);
  if (!results) {
    if (one_statement)
      // The group statement failed (the caller asks the parts one by one)
      // or the transaction did (requests).
      failed = failed_at == preamble ? ask_each_part : requests;
    else
      failed = failed_at >= preamble && failed_at - preamble < parts.size()
                   ? owner[failed_at - preamble]
                   : requests;
    return std::move(results.error());
  }
  std::vector<std::vector<append_result>> out(requests);
  int row = 0;
  for (size_t j = 0; j < parts.size(); ++j) {
    auto& part = *parts[j];
    auto count = static_cast<int>(part.events.size());
    if (one_statement) {
      out[owner[j]].push_back(
          result_of(part, (*results)[preamble], row, count));
      row += count;
    } else {
      auto& rows = (*results)[j + preamble];
      out[owner[j]].push_back(result_of(part, rows, 0, rows.rows()));
    }
  }
  return out;
}

// Returns results when the append is a replay, an error when it is a
// duplicate or a genuine conflict, and an *empty* error when it should be
// retried.
caf::expected<std::vector<append_result>>
event_store::resolve_failure(const std::vector<stream_append>& parts,
                             caf::error err) {
  pg::pipeline find{conn_};
  for (auto& part : parts)
    find.add(sql::find_events, find_params(part));
  auto found = find.run();
  if (!found)
    return std::move(found.error());
  std::vector<append_result> replayed;
  size_t not_stored = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    auto& rows = (*found)[i];
    std::vector<stored_event> stored;
    for (int row = 0; row < rows.rows(); ++row) {
      stored_event s;
      s.found = !rows.is_null(row, 1);
      if (s.found) {
        s.stream = rows.string(row, 1);
        s.stream_version = rows.int64(row, 2);
        s.global_position = rows.int64(row, 3);
        s.same_content = rows.boolean(row, 4);
        s.hidden_below = rows.int64(row, 5);
      }
      stored.push_back(std::move(s));
    }
    auto verdict = classify_replay(parts[i], stored);
    switch (verdict.what) {
    case replay_verdict::kind::duplicate:
      return std::move(verdict.error);
    case replay_verdict::kind::replay:
      replayed.push_back(std::move(verdict.result));
      break;
    case replay_verdict::kind::not_stored:
      ++not_stored;
      break;
    }
  }
  if (not_stored == 0)
    return replayed;
  if (!replayed.empty())
    return make_error(ec::duplicate_event,
                      "some streams of this multi-stream append are stored "
                      "with these event ids and others are not: the ids "
                      "were reused");
  if (is(err, ec::duplicate_event))
    return caf::error{}; // the colliding transaction aborted: retry
  // Which expectation fails now? check_version raises with the expected and
  // actual version of the first stream that does not match.
  pg::pipeline check{conn_};
  for (auto& part : parts)
    check.add(sql::check_version, version_params(part.stream, part.expected));
  if (auto checked = check.run(); !checked)
    return std::move(checked.error());
  return caf::error{};
}

caf::expected<pg::result>
event_store::exec_for_stream(const pg::statement& stmt,
                             std::string_view stream) {
  if (auto err = check_stream_id(stream, opts_))
    return err;
  return conn_.exec(stmt, pg::params{}.add(stream));
}

caf::expected<event_page> event_store::read_stream(std::string_view stream,
                                                   int64_t from, size_t count,
                                                   direction dir) {
  if (auto err = check_stream_id(stream, opts_))
    return err;
  if (auto err = check_page_size(count, opts_))
    return err;
  if (from < 0)
    return make_error(ec::invalid_argument,
                      "read of stream '" + excerpt(stream) +
                          "' from negative version " + std::to_string(from));
  bool forward = dir == direction::forward;
  pg::pipeline pipe{conn_};
  pipe.add(sql::stream_state, pg::params{}.add(stream));
  pipe.add(
      forward ? sql::read_stream_forward : sql::read_stream_backward,
      pg::params{}.add(stream).add(from).add(static_cast<int64_t>(count) + 1));
  auto results = pipe.run();
  if (!results)
    return std::move(results.error());
  auto& state = (*results)[0];
  if (state.rows() == 0)
    return no_such_stream(stream);
  if (state.boolean(0, 1))
    return make_error(ec::stream_deleted,
                      "stream '" + excerpt(stream) + "' was deleted");
  return page_from((*results)[1], count, forward, false, from);
}

caf::expected<int64_t> event_store::log_horizon() {
  auto res = conn_.exec(sql::log_horizon);
  if (!res)
    return std::move(res.error());
  return res->int64(0, 0);
}

caf::expected<event_page> event_store::read_all(int64_t from, size_t count,
                                                direction dir,
                                                const log_filter& filter,
                                                int64_t upto) {
  if (auto err = check_page_size(count, opts_))
    return err;
  if (from < 0)
    return make_error(ec::invalid_argument,
                      "read of the global log from negative position " +
                          std::to_string(from));
  using kind = log_filter::kind;
  pg::params args;
  // The horizon is read in its own statement, before the events: the read
  // then runs on a snapshot taken after every transaction below the horizon
  // had finished.
  auto horizon = log_horizon();
  if (!horizon)
    return std::move(horizon.error());
  if (upto < 0)
    return make_error(ec::invalid_argument,
                      "read of the global log up to negative position "
                          + std::to_string(upto));
  if (upto != 0)
    *horizon = std::min(*horizon, upto);
  args.add(from).add(*horizon);
  if (filter.by == kind::event_types) {
    if (filter.values.empty())
      return make_error(ec::invalid_argument,
                        "event type filter names no event type");
    pg::array_literal types;
    for (auto& type : filter.values) {
      if (auto err = check_event_type(type, opts_))
        return make_error(ec::invalid_argument,
                          "event type filter: " + describe(err));
      types.add(type);
    }
    args.add(types.finish());
  } else if (filter.by != kind::all) {
    if (filter.values.size() != 1)
      return make_error(ec::invalid_argument,
                        "a category or metadata filter takes exactly one "
                        "value, got " +
                            std::to_string(filter.values.size()));
    if (auto err = check_stream_id(filter.values[0], opts_))
      return make_error(ec::invalid_argument, "filter value: " + describe(err));
    args.add(filter.values[0]);
  }
  args.add(static_cast<int64_t>(count) + 1);
  bool forward = dir == direction::forward;
  auto& stmt =
      sql::read_log(static_cast<sql::log_filter_kind>(filter.by), forward);
  auto rows = conn_.exec(stmt, args);
  if (!rows)
    return std::move(rows.error());
  auto page = page_from(*rows, count, forward, true, from);
  if (page)
    page->horizon = *horizon;
  return page;
}

caf::expected<stream_info>
event_store::get_stream_info(std::string_view stream) {
  auto res = exec_for_stream(sql::stream_info, stream);
  if (!res)
    return std::move(res.error());
  if (res->rows() == 0)
    return no_such_stream(stream);
  return info_from(*res, 0);
}

caf::expected<stream_page> event_store::list_streams(std::string_view after,
                                                     size_t count) {
  if (auto err = check_page_size(count, opts_))
    return err;
  if (!after.empty())
    if (auto err = check_stream_id(after, opts_))
      return err;
  auto res =
      conn_.exec(sql::list_streams,
                 pg::params{}.add(after).add(static_cast<int64_t>(count) + 1));
  if (!res)
    return std::move(res.error());
  stream_page page;
  auto rows = static_cast<size_t>(res->rows());
  for (size_t i = 0; i < std::min(rows, count); ++i)
    page.streams.push_back(info_from(*res, static_cast<int>(i)));
  page.end = rows <= count;
  page.next =
      page.streams.empty() ? std::string{after} : page.streams.back().stream;
  return page;
}

caf::error event_store::delete_stream(std::string_view stream,
                                      expected_version expected,
                                      delete_mode mode) {
  if (auto err = check_stream_id(stream, opts_))
    return err;
  if (mode == delete_mode::hard && !opts_.enable_hard_deletes)
    return make_error(ec::invalid_argument,
                      "hard deletes are disabled (store.enable-hard-deletes)");
  auto state = conn_.exec(sql::stream_state, pg::params{}.add(stream));
  if (!state)
    return std::move(state.error());
  if (state->rows() == 0)
    return no_such_stream(stream);
  if (mode == delete_mode::soft && state->boolean(0, 1))
    return make_error(ec::stream_deleted,
                      "stream '" + excerpt(stream) + "' is already deleted");
  // Under the stream's append lock, so no append is half-way through while
  // the version is checked and the stream deleted.
  pg::array_literal locked;
  locked.add(stream);
  pg::pipeline pipe{conn_};
  pipe.add(sql::lock_streams, pg::params{}.add(locked.finish()));
  pipe.add(sql::check_version, version_params(stream, expected));
  if (mode == delete_mode::soft) {
    pipe.add(sql::soft_delete_stream, pg::params{}.add(stream));
    // A snapshot of the deleted state must not outlive it.
    pipe.add(sql::delete_stream_snapshot, pg::params{}.add(stream));
  } else {
    pipe.add(sql::allow_hard_delete, {});
    pipe.add(sql::delete_stream_events, pg::params{}.add(stream));
    pipe.add(sql::delete_stream_row, pg::params{}.add(stream));
    pipe.add(sql::delete_stream_snapshot, pg::params{}.add(stream));
  }
  if (auto res = pipe.run(); !res)
    return std::move(res.error());
  return {};
}

caf::error event_store::record_snapshot(const snapshot& snap) {
  if (auto err = check_stream_id(snap.stream, opts_))
    return err;
  if (snap.stream_version < 1)
    return make_error(
        ec::invalid_argument,
        "snapshot of stream '" + excerpt(snap.stream) + "' at version " +
            std::to_string(snap.stream_version) + "; versions start at 1");
  if (auto err = check_event_type(snap.type, opts_))
    return make_error(ec::invalid_argument, "snapshot type: " + describe(err));
  if (auto err = check_payload("snapshot data", snap.data, opts_))
    return err;
  if (auto err = check_payload("snapshot metadata", snap.metadata, opts_))
    return err;
  auto res = conn_.exec(sql::record_snapshot, pg::params{}
                                                  .add(snap.stream)
                                                  .add(snap.stream_version)
                                                  .add(snap.type)
                                                  .add(snap.data)
                                                  .add(snap.metadata));
  if (!res)
    return std::move(res.error());
  return {};
}

caf::expected<snapshot> event_store::read_snapshot(std::string_view stream) {
  auto res = exec_for_stream(sql::read_snapshot, stream);
  if (!res)
    return std::move(res.error());
  if (res->rows() == 0)
    return make_error(ec::not_found,
                      "stream '" + excerpt(stream) + "' has no snapshot");
  snapshot snap;
  snap.stream = std::string{stream};
  snap.stream_version = res->int64(0, 0);
  snap.type = res->string(0, 1);
  snap.data = res->string(0, 2);
  snap.metadata = res->string(0, 3);
  snap.created_at = from_micros(res->int64(0, 4));
  return snap;
}

caf::error event_store::delete_snapshot(std::string_view stream) {
  if (auto res = exec_for_stream(sql::delete_snapshot, stream); !res)
    return std::move(res.error());
  return {};
}

caf::expected<subscription_record>
event_store::open_subscription(std::string_view name) {
  if (auto err = check_subscription_name(name, opts_))
    return err;
  // No row means that another transaction created the subscription after
  // this statement took its snapshot; the next statement sees it.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto res = conn_.exec(sql::open_subscription, pg::params{}.add(name));
    if (!res)
      return std::move(res.error());
    if (res->rows() > 0)
      return subscription_from(*res, 0);
  }
  return make_error(ec::database_error, "subscription '" + excerpt(name) +
                                            "' was neither created nor found");
}

caf::expected<int64_t>
event_store::write_checkpoint(const pg::statement& stmt, std::string_view name,
                              int64_t position) {
  if (auto err = check_subscription_name(name, opts_))
    return err;
  if (auto err = check_position(name, "checkpoint", position))
    return err;
  auto res = conn_.exec(stmt, pg::params{}.add(name).add(position));
  if (!res)
    return std::move(res.error());
  if (res->rows() == 0)
    return no_such_subscription(name);
  return res->int64(0, 0);
}

caf::expected<int64_t> event_store::save_checkpoint(std::string_view name,
                                                    int64_t position) {
  return write_checkpoint(sql::save_checkpoint, name, position);
}

caf::error event_store::reset_checkpoint(std::string_view name,
                                         int64_t position) {
  auto res = write_checkpoint(sql::reset_checkpoint, name, position);
  return res ? caf::error{} : std::move(res.error());
}

caf::error event_store::delete_subscription(std::string_view name) {
  if (auto err = check_subscription_name(name, opts_))
    return err;
  auto res = conn_.exec(sql::delete_subscription, pg::params{}.add(name));
  if (!res)
    return std::move(res.error());
  if (res->affected() == 0)
    return no_such_subscription(name);
  return {};
}

caf::expected<std::vector<subscription_record>>
event_store::list_subscriptions() {
  auto res = conn_.exec(sql::list_subscriptions);
  if (!res)
    return std::move(res.error());
  std::vector<subscription_record> out;
  out.reserve(static_cast<size_t>(res->rows()));
  for (int row = 0; row < res->rows(); ++row) {
    out.push_back(subscription_from(*res, row));
    out.back().parked = static_cast<uint64_t>(res->int64(row, 4));
  }
  return out;
}

caf::error event_store::park_event(std::string_view name, int64_t position,
                                   int32_t attempts, std::string_view reason) {
  if (auto err = check_subscription_name(name, opts_))
    return err;
  if (auto err = check_position(name, "parked event", position))
    return err;
  if (attempts < 1)
    return make_error(ec::invalid_argument,
                      "parked event at position " + std::to_string(position) +
                          " of subscription '" + excerpt(name) + "' has " +
                          std::to_string(attempts) +
                          " attempts; expected at least 1");
  auto res = conn_.exec(sql::park_event,
                        pg::params{}
                            .add(name)
                            .add(position)
                            .add(int64_t{attempts})
                            .add(bounded_text(reason, max_park_reason_bytes)));
  if (!res)
    return std::move(res.error());
  if (!res->boolean(0, 0))
    return no_such_subscription(name);
  if (!res->boolean(0, 1))
    return make_error(ec::not_found, "subscription '" + excerpt(name) +
                                         "' cannot park the event at "
                                         "position " +
                                         std::to_string(position) +
                                         ": there is no such event");
  return {};
}

caf::expected<std::vector<parked_event>>
event_store::list_parked(std::string_view name, int64_t after, size_t count) {
  if (auto err = check_subscription_name(name, opts_))
    return err;
  if (auto err = check_page_size(count, opts_))
    return err;
  if (auto err = check_position(name, "parked events", after))
    return err;
  pg::pipeline pipe{conn_};
  pipe.add(sql::read_subscription, pg::params{}.add(name));
  pipe.add(sql::list_parked,
           pg::params{}.add(name).add(after).add(static_cast<int64_t>(count)));
  auto results = pipe.run();
  if (!results)
    return std::move(results.error());
  if ((*results)[0].rows() == 0)
    return no_such_subscription(name);
  auto& rows = (*results)[1];
  std::vector<parked_event> out;
  out.reserve(static_cast<size_t>(rows.rows()));
  for (int row = 0; row < rows.rows(); ++row) {
    auto ev = event_from(rows, row);
    if (!ev)
      return std::move(ev.error());
    parked_event parked;
    parked.event = std::move(*ev);
    parked.attempts = static_cast<int32_t>(rows.int64(row, 9));
    parked.reason = rows.string(row, 10);
    parked.parked_at = from_micros(rows.int64(row, 11));
    out.push_back(std::move(parked));
  }
  return out;
}

caf::expected<bool> event_store::unpark_event(std::string_view name,
                                              int64_t position) {
  if (auto err = check_subscription_name(name, opts_))
    return err;
  pg::pipeline pipe{conn_};
  pipe.add(sql::read_subscription, pg::params{}.add(name));
  pipe.add(sql::unpark_event, pg::params{}.add(name).add(position));
  auto results = pipe.run();
  if (!results)
    return std::move(results.error());
  if ((*results)[0].rows() == 0)
    return no_such_subscription(name);
  return (*results)[1].affected() > 0;
}

} // namespace es::storage
