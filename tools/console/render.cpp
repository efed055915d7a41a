#include "tools/console/render.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace es::console {

namespace {

using value = rapidjson::Value;

/// A scalar as text ("-" when absent or null); objects and arrays as JSON.
std::string text(const value& v) {
  if (v.IsNull())
    return "-";
  if (v.IsString())
    return {v.GetString(), v.GetStringLength()};
  if (v.IsBool())
    return v.GetBool() ? "yes" : "no";
  if (v.IsInt64())
    return std::to_string(v.GetInt64());
  if (v.IsUint64())
    return std::to_string(v.GetUint64());
  if (v.IsNumber()) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", v.GetDouble());
    return buf;
  }
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w{sb};
  v.Accept(w);
  return {sb.GetString(), sb.GetSize()};
}

std::string get(const value& obj, const char* key) {
  if (!obj.IsObject())
    return "-";
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? "-" : text(it->value);
}

double number(const value& obj, const char* key, double fallback = 0) {
  if (!obj.IsObject())
    return fallback;
  auto it = obj.FindMember(key);
  return it != obj.MemberEnd() && it->value.IsNumber() ? it->value.GetDouble()
                                                       : fallback;
}

const value& member(const value& obj, const char* key) {
  static const value null;
  if (!obj.IsObject())
    return null;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? null : it->value;
}

/// The array at `key`, or an empty one.
const value& array(const value& obj, const char* key) {
  static const value empty{rapidjson::kArrayType};
  auto& v = member(obj, key);
  return v.IsArray() ? v : empty;
}

std::string pretty(const value& v, const std::string& indent) {
  rapidjson::StringBuffer sb;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w{sb};
  w.SetIndent(' ', 2);
  v.Accept(w);
  std::string out;
  std::string s{sb.GetString(), sb.GetSize()};
  std::istringstream lines{s};
  for (std::string line; std::getline(lines, line);)
    out += indent + line + "\n";
  return out;
}

std::string rate_text(double r) {
  if (r < 0)
    return "- (not sampled yet)";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f/s", r);
  return buf;
}

std::string event_block(const value& ev) {
  std::string out = "#" + get(ev, "version") + "  " + get(ev, "type") + " v" +
                    get(ev, "type_version") + "  stream " + get(ev, "stream") +
                    "  position " + get(ev, "position") + "  " +
                    get(ev, "created_at") + "\n  id " + get(ev, "id") + "\n";
  out += "  data:\n" + pretty(member(ev, "data"), "    ");
  out += "  metadata:\n" + pretty(member(ev, "metadata"), "    ");
  return out;
}

std::string render_status(const value& r) {
  std::string out = "store " + get(r, "store_version") + " (console protocol " +
                    get(r, "protocol") + ", CAF " + get(r, "caf_version") +
                    ", PostgreSQL " + get(r, "postgres_version") + "), up " +
                    duration_text(number(r, "uptime_s")) + "\n";
  std::vector<std::vector<std::string>> rows;
  for (auto& c : array(r, "components").GetArray())
    rows.push_back(
        {get(c, "name"), member(c, "running").IsTrue() ? "running" : "DOWN"});
  out += table({"COMPONENT", "STATE"}, rows);
  auto& pool = member(r, "pool");
  auto& router = member(r, "router");
  out += "pool: " + get(pool, "health") + ", " + get(pool, "connections_up") +
         " of " + get(pool, "pool_size") + " connections up\n";
  out += "router: " + get(router, "active_streams") + " active streams (" +
         get(router, "passivated") + " passivated, " + get(router, "crashed") +
         " crashed)\n";
  out += "dispatcher head: " + get(r, "dispatcher_head") +
         "; session backend pid: " + get(r, "session_backend_pid") + "\n";
  out += "component restarts: " + get(r, "restarts") +
         "; projections known to the console: " + get(r, "projections") + "\n";
  return out;
}

/// "idle, busy, down" (each pool connection's state).
std::string connections_text(const value& states) {
  std::string out;
  for (auto& c : states.GetArray())
    out += (out.empty() ? "" : ", ") + text(c);
  return out.empty() ? "-" : out;
}

std::string render_health(const value& p) {
  std::vector<std::vector<std::string>> rows{
      {"pool", get(p, "health") + " (" + get(p, "connections_up") + " of " +
                   get(p, "pool_size") + " connections up)"},
      {"connections", connections_text(array(p, "connections"))},
      {"circuit breaker",
       get(p, "breaker") + " (" + get(p, "breaker_window_failures")
           + " connection failures in " + get(p, "breaker_window_calls")
           + " calls of its window; opened " + get(p, "breaker_opened")
           + " times)"},
      {"outage queue",
       get(p, "queued") + " appends, " + get(p, "queued_bytes") + " bytes"},
      {"committed", get(p, "transactions") + " transactions, " +
                        get(p, "appends") + " appends"},
      {"retried", get(p, "retried") + " appends (connection lost mid-commit)"},
      {"failed", get(p, "timed_out") + " timed out or unavailable, " +
                     get(p, "rejected") + " rejected"},
  };
  return table({"WHAT", "STATE"}, rows);
}

std::string render_streams(const value& r) {
  std::vector<std::vector<std::string>> rows;
  for (auto& s : array(r, "streams").GetArray())
    rows.push_back({get(s, "stream"), get(s, "version"), get(s, "events"),
                    get(s, "updated_at")});
  std::string out;
  if (rows.empty())
    out = "no streams\n";
  else
    out = table({"STREAM", "VERSION", "EVENTS", "UPDATED"}, rows);
  if (!member(r, "end").IsTrue())
    out += "more: streams " + get(r, "next") + "\n";
  return out;
}

std::string render_stream(const value& r) {
  auto& info = member(r, "info");
  std::string out = "stream " + get(info, "stream") + ": version " +
                    get(info, "version") + ", " + get(info, "events") +
                    " events, created " + get(info, "created_at") +
                    ", updated " + get(info, "updated_at") + "\n";
  auto& events = array(r, "events");
  if (events.Empty())
    out += "no events from there\n";
  for (auto& ev : events.GetArray())
    out += event_block(ev);
  if (!member(r, "end").IsTrue())
    out += "more: stream " + get(info, "stream") + " " + get(r, "next") + "\n";
  return out;
}

std::string render_subscriptions(const value& r) {
  std::vector<std::vector<std::string>> rows;
  for (auto& s : array(r, "subscriptions").GetArray())
    rows.push_back({get(s, "name"), get(s, "owner"), get(s, "position"),
                    get(s, "lag"), get(s, "in_flight"), get(s, "parked"),
                    get(s, "live")});
  if (rows.empty())
    return "no subscriptions (log horizon " + get(r, "horizon") + ")\n";
  return table({"NAME", "OWNER", "POSITION", "LAG", "IN-FLIGHT", "PARKED",
                "LIVE"},
               rows) +
         "lag: positions of the log behind its horizon (" + get(r, "horizon") +
         ")\n";
}

std::string render_parked(const value& r) {
  std::vector<std::vector<std::string>> rows;
  for (auto& p : array(r, "parked").GetArray()) {
    auto& ev = member(p, "event");
    rows.push_back({get(p, "position"), get(ev, "stream"), get(ev, "type"),
                    get(p, "attempts"), get(p, "reason")});
  }
  if (rows.empty())
    return "subscription " + get(r, "name") + " has no parked events\n";
  return table({"POSITION", "STREAM", "TYPE", "ATTEMPTS", "REASON"}, rows);
}

std::string render_registry(const value& r) {
  std::vector<std::vector<std::string>> rows;
  for (auto& t : array(r, "types").GetArray()) {
    std::string versions;
    for (auto& v : array(t, "versions").GetArray())
      versions += (versions.empty() ? "" : ",") + text(v);
    std::string ups;
    for (auto& u : array(t, "upcasters").GetArray())
      ups += (ups.empty() ? "" : ", ") + text(u);
    rows.push_back(
        {get(t, "type"), versions, get(t, "latest"), ups.empty() ? "-" : ups});
  }
  return table({"TYPE", "VERSIONS", "LATEST", "UPCASTERS"}, rows) +
         get(r, "size") + " (type, version) pairs registered\n";
}

std::string fixed_text(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

/// "p50 2.1 ms, p99 9.8 ms (1234 appends)", from the store's histogram.
std::string latency_text(const value& v) {
  if (!v.IsObject() || number(v, "count", 0) == 0)
    return "no appends yet";
  return "p50 " + fixed_text(number(v, "p50_ms", 0), 1) + " ms, p99 "
         + fixed_text(number(v, "p99_ms", 0), 1) + " ms ("
         + get(v, "count") + " appends)";
}

std::string render_metrics(const value& r) {
  std::vector<std::vector<std::string>> rows{
      {"append rate (10 s)", rate_text(number(r, "append_rate_10s", -1))},
      {"append rate (60 s)", rate_text(number(r, "append_rate_60s", -1))},
      {"transactions (10 s)", rate_text(number(r, "transaction_rate_10s", -1))},
      {"appends since start", get(r, "appends")},
      {"mean group size", get(r, "mean_group_size") + " appends/transaction"},
      {"append latency", latency_text(member(r, "append_latency"))},
      {"events per transaction",
       "mean " + fixed_text(number(r, "group_events_mean", 0), 1) + ", p99 "
           + fixed_text(number(r, "group_events_p99", 0), 0)},
      {"log horizon", get(r, "log_horizon")},
      {"dispatcher head", get(r, "dispatcher_head")},
      {"dispatch lag", get(r, "dispatch_lag") + " positions"},
      {"subscriptions", get(r, "subscriptions")},
      {"max subscription lag",
       get(r, "subscription_lag_max") + " positions" +
           (get(r, "slowest_subscription").empty()
                ? std::string{}
                : " (" + get(r, "slowest_subscription") + ")")},
      {"queued / retried", get(r, "queued") + " / " + get(r, "retried")},
      {"timed out / rejected",
       get(r, "timed_out") + " / " + get(r, "rejected")},
  };
  std::string out = table({"METRIC", "VALUE"}, rows);
  for (auto& n : array(r, "notes").GetArray())
    out += "note: " + text(n) + "\n";
  return out;
}

std::string render_projections(const value& r) {
  std::vector<std::vector<std::string>> rows;
  for (auto& p : array(r, "projections").GetArray()) {
    auto& rb = member(p, "rebuild");
    std::string rebuilding = "-";
    if (member(p, "rebuilding").IsTrue())
      rebuilding =
          progress_bar(static_cast<uint64_t>(number(rb, "events_done")),
                       static_cast<uint64_t>(number(rb, "events_total")), 20);
    rows.push_back({get(p, "name"), get(p, "version"), get(p, "ready"),
                    get(p, "generation"), get(p, "position"), get(p, "applied"),
                    get(p, "rebuilds"), rebuilding});
  }
  if (rows.empty())
    return "no projections are registered with the console\n";
  return table({"NAME", "VERSION", "READY", "GENERATION", "POSITION", "APPLIED",
                "REBUILDS", "REBUILDING"},
               rows);
}

} // namespace

std::string table(const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (auto& h : headers)
    widths.push_back(h.size());
  for (auto& row : rows)
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < widths.size(); ++i) {
      auto cell = i < cells.size() ? cells[i] : std::string{};
      if (i + 1 < widths.size())
        cell.resize(widths[i], ' ');
      out += (i ? "  " : "") + cell;
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers);
  std::vector<std::string> rule;
  for (auto w : widths)
    rule.emplace_back(w, '-');
  out += line(rule);
  for (auto& row : rows)
    out += line(row);
  return out;
}

std::string progress_bar(uint64_t done, uint64_t total, size_t width) {
  if (total == 0)
    return "[" + std::string(width, '.') + "] " + std::to_string(done) +
           " events";
  auto fraction =
      std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
  auto filled = static_cast<size_t>(fraction * static_cast<double>(width));
  char pct[8];
  std::snprintf(pct, sizeof(pct), "%3d%%",
                static_cast<int>(std::floor(fraction * 100)));
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') +
         "] " + pct + " (" + std::to_string(done) + "/" +
         std::to_string(total) + ")";
}

std::string duration_text(double seconds) {
  char buf[48];
  if (seconds < 60) {
    std::snprintf(buf, sizeof(buf), "%.1fs", seconds);
    return buf;
  }
  auto s = static_cast<long long>(seconds);
  if (s < 3600)
    std::snprintf(buf, sizeof(buf), "%lldm %02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof(buf), "%lldh %02lldm %02llds", s / 3600,
                  s / 60 % 60, s % 60);
  return buf;
}

std::string pretty_json(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError())
    return std::string{json};
  auto out = pretty(doc, "");
  if (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

std::string render_event(std::string_view event_json) {
  rapidjson::Document doc;
  doc.Parse(event_json.data(), event_json.size());
  if (doc.HasParseError() || !doc.IsObject())
    return std::string{event_json} + "\n";
  return event_block(doc);
}

rendered render(std::string_view reply) {
  rapidjson::Document doc;
  doc.Parse(reply.data(), reply.size());
  if (doc.HasParseError() || !doc.IsObject())
    return {false, "bad_reply",
            "the store's reply is not the console's JSON: " +
                std::string{reply}};
  if (auto& err = member(doc, "error"); err.IsObject())
    return {false, get(err, "code"), get(err, "message")};
  auto command = get(doc, "command");
  auto& r = member(doc, "result");
  if (command == "status")
    return {true, "", render_status(r)};
  if (command == "health")
    return {true, "", render_health(r)};
  if (command == "streams")
    return {true, "", render_streams(r)};
  if (command == "stream")
    return {true, "", render_stream(r)};
  if (command == "subscriptions")
    return {true, "", render_subscriptions(r)};
  if (command == "parked")
    return {true, "", render_parked(r)};
  if (command == "replay")
    return {true, "",
            "replayed " + get(r, "replayed") + " parked events of " +
                get(r, "name") +
                " (handled now and unparked; the others stay parked)\n"};
  if (command == "registry")
    return {true, "", render_registry(r)};
  if (command == "metrics")
    return {true, "", render_metrics(r)};
  if (command == "projections")
    return {true, "", render_projections(r)};
  if (command == "rebuild")
    return {true, "",
            "rebuild of " + get(r, "name") + " started (generation " +
                get(r, "generation") + ")\n"};
  if (command == "tail")
    return {true, "",
            "following " + get(r, "filter") + " (subscription " +
                get(r, "subscription") + "); Ctrl-C to stop\n"};
  if (command == "help")
    return {true, "", get(r, "text")};
  return {true, "", pretty(r, "")};
}

} // namespace es::console
