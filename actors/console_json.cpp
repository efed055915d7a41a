#include "actors/console_json.hpp"

#include "messages/error.hpp"
#include "messages/time.hpp"
#include "messages/uuid.hpp"

#include <map>

namespace es::console_json {

namespace {

rapidjson::SizeType len(std::string_view x) {
  return static_cast<rapidjson::SizeType>(x.size());
}

void key(writer& w, std::string_view k) {
  w.Key(k.data(), len(k));
}

std::string done(const rapidjson::StringBuffer& sb) {
  return {sb.GetString(), sb.GetSize()};
}

} // namespace

void str(writer& w, std::string_view x) {
  w.String(x.data(), len(x));
}

void field(writer& w, std::string_view k, std::string_view x) {
  key(w, k);
  str(w, x);
}

void field(writer& w, std::string_view k, const char* x) {
  field(w, k, std::string_view{x});
}

void field(writer& w, std::string_view k, int64_t x) {
  key(w, k);
  w.Int64(x);
}

void field(writer& w, std::string_view k, uint64_t x) {
  key(w, k);
  w.Uint64(x);
}

void field(writer& w, std::string_view k, double x) {
  key(w, k);
  w.Double(x);
}

void field(writer& w, std::string_view k, bool x) {
  key(w, k);
  w.Bool(x);
}

void raw_field(writer& w, std::string_view k, std::string_view json) {
  key(w, k);
  if (json.empty())
    w.Null();
  else
    w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

std::string ok(console_verb verb, std::string_view result) {
  rapidjson::StringBuffer sb;
  writer w{sb};
  w.StartObject();
  field(w, "command", to_string(verb));
  raw_field(w, "result", result);
  w.EndObject();
  return done(sb);
}

std::string error(const caf::error& err) {
  rapidjson::StringBuffer sb;
  writer w{sb};
  w.StartObject();
  key(w, "error");
  w.StartObject();
  auto code = err.category() == caf::atom("es")
                  ? to_string(static_cast<ec>(err.code()))
                  : "error";
  field(w, "code", code);
  field(w, "message", describe(err));
  w.EndObject();
  w.EndObject();
  return done(sb);
}

void write(writer& w, const recorded_event& ev) {
  w.StartObject();
  field(w, "position", ev.global_position);
  field(w, "stream", ev.stream);
  field(w, "version", ev.stream_version);
  field(w, "type", ev.type);
  field(w, "type_version", ev.version);
  field(w, "id", to_string(ev.id));
  field(w, "created_at", to_iso8601(ev.created_at));
  raw_field(w, "data", ev.data);
  raw_field(w, "metadata", ev.metadata);
  w.EndObject();
}

void write(writer& w, const stream_info& info) {
  w.StartObject();
  field(w, "stream", info.stream);
  field(w, "version", info.version);
  field(w, "events", info.event_count);
  field(w, "deleted", info.deleted);
  field(w, "created_at", to_iso8601(info.created_at));
  field(w, "updated_at", to_iso8601(info.updated_at));
  w.EndObject();
}

void write(writer& w, const pool_status& pool) {
  w.StartObject();
  field(w, "health", to_string(pool.health));
  field(w, "pool_size", pool.pool_size);
  field(w, "connections_up", pool.connections_up);
  field(w, "breaker", storage::to_string(pool.breaker));
  field(w, "breaker_window_failures", pool.metrics.breaker_window_failures);
  field(w, "breaker_window_calls", pool.metrics.breaker_window_calls);
  field(w, "breaker_opened", pool.metrics.breaker_opened);
  w.Key("connections");
  w.StartArray();
  for (auto& c : pool.metrics.connections)
    w.String(c.data(), static_cast<rapidjson::SizeType>(c.size()));
  w.EndArray();
  field(w, "queued", pool.queued);
  field(w, "queued_bytes", pool.queued_bytes);
  field(w, "transactions", pool.transactions);
  field(w, "appends", pool.appends);
  field(w, "retried", pool.retried);
  field(w, "timed_out", pool.timed_out);
  field(w, "rejected", pool.rejected);
  w.EndObject();
}

void write(writer& w, const router_status& router) {
  w.StartObject();
  field(w, "active_streams", router.active_streams);
  field(w, "passivated", router.passivated);
  field(w, "crashed", router.crashed);
  w.EndObject();
}

void write(writer& w, const projection_status& st) {
  w.StartObject();
  field(w, "name", st.name);
  field(w, "version", st.version);
  field(w, "model_version", st.model_version);
  field(w, "in_postgres", st.in_postgres);
  field(w, "ready", st.ready);
  field(w, "generation", st.generation);
  field(w, "position", st.position);
  field(w, "applied", st.applied);
  field(w, "duplicates", st.duplicates);
  field(w, "declined", st.declined);
  field(w, "snapshots", st.snapshots);
  field(w, "rebuilds", st.rebuilds);
  field(w, "waits", st.waits);
  field(w, "rebuilding", st.rebuilding);
  key(w, "rebuild");
  w.StartObject();
  field(w, "events_done", st.rebuild.events_done);
  field(w, "events_total", st.rebuild.events_total);
  field(w, "position", st.rebuild.position);
  field(w, "target", st.rebuild.target);
  field(w, "events_per_second", st.rebuild.events_per_second);
  w.EndObject();
  w.EndObject();
}

void write(writer& w, const parked_event& ev) {
  w.StartObject();
  field(w, "position", ev.event.global_position);
  field(w, "attempts", ev.attempts);
  field(w, "reason", ev.reason);
  field(w, "parked_at", to_iso8601(ev.parked_at));
  key(w, "event");
  write(w, ev.event);
  w.EndObject();
}

void write(writer& w, const subscription_record& rec) {
  w.StartObject();
  field(w, "name", rec.name);
  field(w, "position", rec.position);
  field(w, "parked", rec.parked);
  field(w, "created_at", to_iso8601(rec.created_at));
  field(w, "updated_at", to_iso8601(rec.updated_at));
  w.EndObject();
}

std::string event(const recorded_event& ev) {
  rapidjson::StringBuffer sb;
  writer w{sb};
  write(w, ev);
  return done(sb);
}

std::string streams(const stream_page& page) {
  rapidjson::StringBuffer sb;
  writer w{sb};
  w.StartObject();
  key(w, "streams");
  w.StartArray();
  for (auto& info : page.streams)
    write(w, info);
  w.EndArray();
  field(w, "next", page.next);
  field(w, "end", page.end);
  w.EndObject();
  return done(sb);
}

std::string catalog(const registry::catalog& cat) {
  std::map<std::string, std::vector<int32_t>> types;
  for (auto& [type, version] : cat.list())
    types[type].push_back(version);
  rapidjson::StringBuffer sb;
  writer w{sb};
  w.StartObject();
  field(w, "size", cat.size());
  key(w, "types");
  w.StartArray();
  for (auto& [type, versions] : types) {
    w.StartObject();
    field(w, "type", type);
    key(w, "versions");
    w.StartArray();
    for (auto v : versions)
      w.Int(v);
    w.EndArray();
    field(w, "latest", cat.latest_version(type));
    key(w, "upcasters");
    w.StartArray();
    for (auto v : versions) {
      auto* mod = cat.find(type, v);
      auto* next = cat.find(type, v + 1);
      if ((mod != nullptr && mod->upcast) ||
          (next != nullptr && next->upcast_previous))
        str(w, std::to_string(v) + "->" + std::to_string(v + 1));
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return done(sb);
}

} // namespace es::console_json
