#include "actors/store.hpp"

#include "actors/node.hpp"
#include "messages/error.hpp"
#include "registry/game_catalog.hpp"
#include "storage/embedded_cluster.hpp"
#include "storage/event_store.hpp"

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>

namespace es {

namespace {

/// Extra wait on top of a request's own deadline, so that the store's
/// `ec::timeout` (which says what timed out) arrives before CAF's.
constexpr std::chrono::milliseconds reply_margin{500};

} // namespace

store::store(store&&) noexcept = default;

store& store::operator=(store&& other) noexcept {
  if (this != &other) {
    stop();
    sys_ = other.sys_;
    node_ = std::move(other.node_);
    catalog_ = std::move(other.catalog_);
    cluster_ = std::move(other.cluster_);
    dsn_ = std::move(other.dsn_);
    request_timeout_ = other.request_timeout_;
  }
  return *this;
}

store::~store() {
  stop();
}

template<class T, class... Args>
caf::expected<T> store::ask(std::chrono::milliseconds timeout,
                            Args&&... args) {
  if (!node_)
    return make_error(ec::unavailable, "the event store is stopped");
  caf::expected<T> out{caf::error{}};
  caf::scoped_actor self{*sys_};
  self->request(node_, timeout + reply_margin, std::forward<Args>(args)...)
      .receive([&](T& value) { out = std::move(value); },
               [&](caf::error& err) {
                 if (err == caf::sec::request_timeout)
                   out = make_error(ec::timeout,
                                    "no reply from the event store within "
                                        + std::to_string(timeout.count())
                                        + " ms");
                 else
                   out = std::move(err);
               });
  return out;
}

caf::expected<append_result> store::append(std::string stream,
                                           expected_version expected,
                                           std::vector<event_data> events,
                                           append_options opts) {
  auto timeout =
      opts.timeout.count() > 0 ? opts.timeout : request_timeout_;
  append_command cmd;
  cmd.part = stream_append{std::move(stream), expected, std::move(events)};
  cmd.mode = opts.mode;
  cmd.deadline = std::chrono::steady_clock::now() + timeout;
  return ask<append_result>(timeout, append_atom_v, std::move(cmd));
}

caf::expected<event_page> store::read_stream(std::string stream, int64_t from,
                                             size_t count, direction dir) {
  read_request req;
  req.what = read_request::target::stream;
  req.stream = std::move(stream);
  req.from = from;
  req.count = count;
  req.dir = dir;
  return ask<event_page>(request_timeout_, read_atom_v, std::move(req));
}

caf::expected<event_page> store::read_all(int64_t from, size_t count,
                                          direction dir, log_filter filter) {
  read_request req;
  req.what = read_request::target::all;
  req.from = from;
  req.count = count;
  req.dir = dir;
  req.filter = std::move(filter);
  return ask<event_page>(request_timeout_, read_atom_v, std::move(req));
}

caf::expected<stream_info> store::info(std::string stream) {
  return ask<stream_info>(request_timeout_, info_atom_v, std::move(stream));
}

caf::expected<node_status> store::status() {
  return ask<node_status>(request_timeout_, status_atom_v);
}

caf::expected<uint64_t> store::register_modules(module_set set) {
  return ask<uint64_t>(request_timeout_, register_atom_v, std::move(set));
}

caf::expected<subscription_actor> store::subscribe(subscription_spec spec) {
  return ask<subscription_actor>(request_timeout_, join_atom_v,
                                 std::move(spec));
}

caf::expected<subscription_status>
store::status_of(const subscription_actor& sub) {
  if (!sub)
    return make_error(ec::invalid_argument, "no subscription");
  caf::expected<subscription_status> out{caf::error{}};
  caf::scoped_actor self{*sys_};
  self->request(sub, request_timeout_, status_atom_v)
      .receive([&](subscription_status& st) { out = std::move(st); },
               [&](caf::error& err) { out = std::move(err); });
  return out;
}

caf::expected<uint64_t>
store::replay_parked(const subscription_actor& sub) {
  if (!sub)
    return make_error(ec::invalid_argument, "no subscription");
  caf::expected<uint64_t> out{caf::error{}};
  caf::scoped_actor self{*sys_};
  // Each event may take up to its ack timeout: no overall bound here but
  // the subscription's own.
  self->request(sub, caf::infinite, replay_atom_v)
      .receive([&](uint64_t n) { out = n; },
               [&](caf::error& err) { out = std::move(err); });
  return out;
}

registry::catalog_ptr store::catalog() const {
  return catalog_ ? catalog_->current() : nullptr;
}

void store::stop() {
  if (node_) {
    {
      caf::scoped_actor self{*sys_};
      self->send_exit(node_, caf::exit_reason::user_shutdown);
      self->wait_for(node_);
    }
    node_ = nullptr;
  }
  cluster_.reset();
}

caf::expected<store> start(caf::actor_system& sys, node_options opts,
                           registry::catalog_ptr initial) {
  if (auto err = validate(opts))
    return err;
  store out;
  out.sys_ = &sys;
  if (opts.dsn.empty()) {
    storage::cluster_options copts;
    copts.data_dir = opts.data_dir;
    auto cluster = storage::embedded_cluster::start(copts);
    if (!cluster)
      return std::move(cluster.error());
    opts.dsn = cluster->dsn();
    out.cluster_ =
        std::make_unique<storage::embedded_cluster>(std::move(*cluster));
  }
  // Connect once before spawning anything: a wrong DSN fails here, with
  // libpq's reason, and the schema is migrated before the first worker
  // connects.
  if (auto probe = storage::event_store::open(opts.dsn, opts.store); !probe)
    return std::move(probe.error());
  out.dsn_ = pg::redact_dsn(opts.dsn);
  out.request_timeout_ = opts.request_timeout;
  out.catalog_ = std::make_shared<registry::catalog_source>(
      initial ? std::move(initial)
              : std::make_shared<const registry::catalog>(
                  registry::game_catalog()));
  out.node_ = sys.spawn(node_behavior, std::move(opts), out.catalog_);
  return out;
}

} // namespace es
