#include "actors/connection_worker.hpp"

#include "config/defaults.hpp"

#include "messages/error.hpp"
#include "storage/projection_store.hpp"
#include "storage/sql.hpp"

#include <chrono>

#include <sys/socket.h>

namespace es {

namespace {

using state_ptr =
    connection_worker_actor::stateful_pointer<connection_worker_state>;

/// Whether the connection can take another request: connected, idle, and
/// out of pipeline mode.
bool reusable(storage::event_store& store) {
  auto* conn = store.connection().native();
  return PQstatus(conn) == CONNECTION_OK
         && PQtransactionStatus(conn) == PQTRANS_IDLE
         && PQpipelineStatus(conn) == PQ_PIPELINE_OFF;
}

/// Closes the connection, retracting its socket from the watchdog first.
void drop(state_ptr self) {
  self->state.handle->publish(-1);
  self->state.store.reset();
}

/// The worker's store, connecting first if needed.
caf::expected<storage::event_store*> connected(state_ptr self) {
  auto& st = self->state;
  if (st.store && !reusable(*st.store))
    drop(self);
  if (!st.store) {
    auto opened = storage::event_store::open(st.dsn, st.options);
    if (!opened)
      return std::move(opened.error());
    st.store.emplace(std::move(*opened));
    st.handle->publish(PQsocket(st.store->connection().native()));
  }
  return &*st.store;
}

/// Drops the connection after a request if it is no longer usable; returns
/// whether it was dropped.
bool drop_if_broken(state_ptr self) {
  auto& st = self->state;
  if (st.store && !reusable(*st.store)) {
    drop(self);
    return true;
  }
  return false;
}

/// Runs `f(store)` on a live connection; drops the connection when the call
/// broke it.
template<class F>
auto with_store(state_ptr self, F f) -> decltype(f(
    std::declval<storage::event_store&>())) {
  auto store = connected(self);
  if (!store)
    return std::move(store.error());
  auto res = f(**store);
  drop_if_broken(self);
  return res;
}

/// Runs a projection's storage operation (storage/projection_store.hpp).
caf::expected<projection_reply> run_projection_op(storage::event_store& store,
                                                  projection_op& op) {
  using kind = projection_op::kind;
  projection_reply out;
  switch (op.what) {
  case kind::open: {
    auto rec = storage::open_projection(store, op.name, op.version);
    if (!rec)
      return std::move(rec.error());
    out.record = std::move(*rec);
    return out;
  }
  case kind::snapshot: {
    auto pos = storage::save_projection_snapshot(store, op.name, op.version,
                                                 op.position, op.snapshot);
    if (!pos)
      return std::move(pos.error());
    out.value = *pos;
    return out;
  }
  case kind::commit:
    if (auto err = storage::commit_projection(store, op.name, op.generation,
                                              op.expected, op.position,
                                              op.rows))
      return err;
    return out;
  case kind::rebuild: {
    auto gen = storage::begin_projection_rebuild(store, op.name, op.version,
                                                 op.clean);
    if (!gen)
      return std::move(gen.error());
    out.value = *gen;
    return out;
  }
  case kind::swap: {
    auto pos = storage::swap_projection(store, op.name, op.generation,
                                        op.clean);
    if (!pos)
      return std::move(pos.error());
    out.value = *pos;
    return out;
  }
  case kind::count: {
    auto n = storage::count_events(store, op.filter);
    if (!n)
      return std::move(n.error());
    out.events = n->events;
    out.value = n->last_position;
    return out;
  }
  case kind::query: {
    if (!op.read)
      return make_error(ec::invalid_argument, "projection query without read");
    auto answer = op.read(store);
    if (!answer)
      return std::move(answer.error());
    out.answer = std::move(*answer);
    return out;
  }
  }
  return make_error(ec::invalid_argument, "unknown projection op");
}

} // namespace

void interrupt_handle::publish(int fd) {
  std::lock_guard<std::mutex> guard{mtx_};
  fd_ = fd;
}

bool interrupt_handle::interrupt() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (fd_ < 0)
    return false;
  ::shutdown(fd_, SHUT_RDWR);
  return true;
}

connection_worker_actor::behavior_type connection_worker(
    connection_worker_actor::stateful_pointer<connection_worker_state> self,
    std::string dsn, store_options options,
    std::shared_ptr<interrupt_handle> handle) {
  self->state.dsn = std::move(dsn);
  self->state.options = options;
  self->state.handle = std::move(handle);
  return {
      [=](append_atom, commit_batch& batch) -> batch_outcome {
        batch_outcome out;
        auto store = connected(self);
        if (!store) {
          out.connection_lost = true;
          out.results.assign(batch.requests.size(), store.error());
          return out;
        }
        out.results = (*store)->append_group(
            std::move(batch.requests), batch.mode == durability::relaxed);
        out.connection_lost = drop_if_broken(self);
        return out;
      },
      [=](read_atom, read_request& req) -> caf::result<event_page> {
        auto res = with_store(self, [&](storage::event_store& store) {
          if (req.what == read_request::target::stream)
            return store.read_stream(req.stream, req.from, req.count, req.dir);
          return store.read_all(req.from, req.count, req.dir, req.filter,
                                req.upto);
        });
        if (!res)
          return std::move(res.error());
        return std::move(*res);
      },
      [=](info_atom, std::string& stream) -> caf::result<stream_info> {
        auto res = with_store(self, [&](storage::event_store& store) {
          return store.get_stream_info(stream);
        });
        if (!res)
          return std::move(res.error());
        return std::move(*res);
      },
      [=](checkpoint_atom,
          subscription_op& op) -> caf::result<subscription_record> {
        using kind = subscription_op::kind;
        auto res = with_store(self, [&](storage::event_store& store)
                                        -> caf::expected<subscription_record> {
          subscription_record out;
          out.name = op.name;
          switch (op.what) {
          case kind::open:
            return store.open_subscription(op.name);
          case kind::save: {
            auto stored = store.save_checkpoint(op.name, op.position);
            if (!stored)
              return std::move(stored.error());
            out.position = *stored;
            return out;
          }
          case kind::reset:
            if (auto err = store.reset_checkpoint(op.name, op.position))
              return err;
            out.position = op.position;
            return out;
          case kind::park:
            if (auto err = store.park_event(op.name, op.position, op.attempts,
                                            op.reason))
              return err;
            return out;
          case kind::unpark: {
            auto was = store.unpark_event(op.name, op.position);
            if (!was)
              return std::move(was.error());
            out.parked = *was ? 1 : 0;
            return out;
          }
          }
          return make_error(ec::invalid_argument, "unknown subscription op");
        });
        if (!res)
          return std::move(res.error());
        return std::move(*res);
      },
      [=](checkpoint_atom, std::string& name,
          int64_t after) -> caf::result<std::vector<parked_event>> {
        auto res = with_store(self, [&](storage::event_store& store) {
          return store.list_parked(name, after, defaults::subscription_page_size);
        });
        if (!res)
          return std::move(res.error());
        return std::move(*res);
      },
      [=](project_atom, projection_op& op) -> caf::result<projection_reply> {
        auto res = with_store(self, [&](storage::event_store& store) {
          return run_projection_op(store, op);
        });
        if (!res)
          return std::move(res.error());
        return std::move(*res);
      },
      [=](connect_atom) -> caf::result<int32_t> {
        auto store = connected(self);
        if (!store)
          return std::move(store.error());
        return static_cast<int32_t>((*store)->connection().backend_pid());
      },
      [=](health_atom) -> caf::result<int64_t> {
        using clock = std::chrono::steady_clock;
        if (!self->state.store)
          return make_error(ec::unavailable, "not connected");
        auto start = clock::now();
        auto res = with_store(self, [](storage::event_store& store) {
          return store.connection().exec(sql::health_check);
        });
        if (!res)
          return std::move(res.error());
        return static_cast<int64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(clock::now()
                                                                  - start)
                .count());
      },
  };
}

} // namespace es
