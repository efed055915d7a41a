// es-bench's `memory` scenario: the resident memory of the process that
// embeds the store, with many streams touched and then idle, and with many
// subscribers live.
//
// Streams: one event appended to each of `streams` streams of a category of
// the run (`concurrency` appends in flight), then a wait until the router
// has passivated every stream actor (the store must run with a short
// `node_options::stream_idle_timeout`, e.g. 1 s). Subscribers: `subscribers`
// subscriber actors, each on a transient subscription of another category,
// then `events` events appended there, and a wait until every subscriber
// has received every event.
//
// Resident memory is read from /proc/self/statm (pages in RAM times the
// page size), in MiB: after the store started (`start_mib`), with every
// stream touched (`streams_peak_mib`), once they are all passivated
// (`streams_idle_mib`), and with the subscribers live after the events
// (`subscribers_mib`). Errors: an append failed, or the waits exceeded
// `timeout`.
//
// Threading: `run_memory` blocks its caller; never call it from a CAF
// scheduler thread.
#pragma once

#include "actors/store.hpp"
#include "messages/event.hpp"

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstddef>
#include <string>

namespace es::bench {

struct memory_plan {
  size_t streams = 10000;
  size_t concurrency = 64;
  size_t subscribers = 1000;
  size_t events = 100;
  std::chrono::seconds timeout{120};
};

struct memory_result {
  double start_mib = 0;
  double streams_peak_mib = 0;
  double streams_idle_mib = 0;
  /// Stream actors still live after the wait (0 when passivation worked).
  size_t active_streams = 0;
  double subscribers_mib = 0;
  /// Deliveries: subscribers * events when everything arrived.
  size_t delivered = 0;
};

/// The resident memory of this process in MiB (0 if /proc cannot tell).
double resident_mib();

/// Runs the scenario against `st` (see the file comment); `category` names
/// the run's streams (`category`s-N and `category`f-N; no dash in it, as
/// the subscriptions filter by category), `tmpl` is the event appended
/// (fresh id each time).
caf::expected<memory_result> run_memory(caf::actor_system& sys, store& st,
                                        const std::string& category,
                                        const event_data& tmpl,
                                        const memory_plan& plan);

} // namespace es::bench
