#include "actors/console_commands.hpp"

#include "messages/error.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>
#include <optional>

#ifndef ES_VERSION
#define ES_VERSION "unknown"
#endif

namespace es {

namespace {

caf::error usage_error(const std::string& what, console_verb verb) {
  for (auto& h : command_table())
    if (h.verb == verb)
      return make_error(ec::invalid_argument, what + "; usage: " + h.usage);
  return make_error(ec::invalid_argument, what);
}

/// A non-negative integer, whole word.
std::optional<int64_t> to_int(std::string_view text) {
  int64_t out = 0;
  auto [end, err] =
      std::from_chars(text.data(), text.data() + text.size(), out);
  if (err != std::errc{} || end != text.data() + text.size() || out < 0)
    return std::nullopt;
  return out;
}

} // namespace

const char* store_version() noexcept {
  return ES_VERSION;
}

const char* to_string(console_verb x) noexcept {
  switch (x) {
  case console_verb::help:
    return "help";
  case console_verb::status:
    return "status";
  case console_verb::health:
    return "health";
  case console_verb::streams:
    return "streams";
  case console_verb::stream:
    return "stream";
  case console_verb::tail:
    return "tail";
  case console_verb::subscriptions:
    return "subscriptions";
  case console_verb::parked:
    return "parked";
  case console_verb::replay:
    return "replay";
  case console_verb::registry:
    return "registry";
  case console_verb::metrics:
    return "metrics";
  case console_verb::projections:
    return "projections";
  case console_verb::rebuild:
    return "rebuild";
  }
  return "?";
}

const std::vector<command_help>& command_table() {
  static const std::vector<command_help> table{
      {console_verb::status, "status", "components, uptime and versions"},
      {console_verb::health, "health",
       "connection pool, circuit breaker and outage queue"},
      {console_verb::streams, "streams [AFTER] [COUNT]",
       "streams in id order with their versions (a page after AFTER)"},
      {console_verb::stream, "stream ID [FROM] [COUNT]",
       "events of a stream from version FROM (default 1, 20 events)"},
      {console_verb::tail, "tail [FILTER]",
       "follow new events until Ctrl-C; FILTER: all, category:NAME, "
       "type:T1,T2, guild:ID, actor:ID, correlation:ID, causation:ID"},
      {console_verb::subscriptions, "subscriptions",
       "subscriptions: position, lag, in flight, parked, owner"},
      {console_verb::parked, "parked NAME",
       "the parked events of a subscription"},
      {console_verb::replay, "replay NAME",
       "deliver the parked events of a subscription again"},
      {console_verb::registry, "registry",
       "event types, their versions and upcasters"},
      {console_verb::metrics, "metrics",
       "append rate, group sizes, dispatch and subscription lag"},
      {console_verb::projections, "projections [NAME]",
       "projections known to the console, with their state"},
      {console_verb::rebuild, "rebuild PROJECTION",
       "rebuild a projection blue/green, with a progress bar"},
      {console_verb::help, "help", "this list"},
  };
  return table;
}

std::string help_text() {
  std::string out = "Commands:\n";
  size_t width = 0;
  for (auto& h : command_table())
    width = std::max(width, std::string_view{h.usage}.size());
  for (auto& h : command_table()) {
    std::string usage = h.usage;
    usage.resize(width, ' ');
    out += "  " + usage + "  " + h.summary + "\n";
  }
  return out;
}

caf::expected<log_filter> parse_filter(std::string_view text) {
  if (text.empty() || text == "all")
    return log_filter::all();
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon + 1 == text.size())
    return make_error(ec::invalid_argument,
                      "bad filter '" + std::string{text} +
                          "': expected all, category:NAME, type:T1,T2, "
                          "guild:ID, actor:ID, correlation:ID or "
                          "causation:ID");
  auto key = text.substr(0, colon);
  std::string value{text.substr(colon + 1)};
  if (key == "category")
    return log_filter::category(value);
  if (key == "type") {
    std::vector<std::string> types;
    size_t start = 0;
    for (;;) {
      auto comma = value.find(',', start);
      auto one =
          value.substr(start, comma == std::string::npos ? std::string::npos
                                                         : comma - start);
      if (!one.empty())
        types.push_back(one);
      if (comma == std::string::npos)
        break;
      start = comma + 1;
    }
    return log_filter::event_types(std::move(types));
  }
  using kind = log_filter::kind;
  if (key == "guild")
    return log_filter::metadata(kind::guild, value);
  if (key == "actor")
    return log_filter::metadata(kind::actor, value);
  if (key == "correlation")
    return log_filter::metadata(kind::correlation, value);
  if (key == "causation")
    return log_filter::metadata(kind::causation, value);
  return make_error(ec::invalid_argument, "bad filter '" + std::string{text} +
                                              "': unknown key '" +
                                              std::string{key} + "'");
}

std::string to_string(const log_filter& filter) {
  using kind = log_filter::kind;
  auto first = filter.values.empty() ? std::string{} : filter.values.front();
  switch (filter.by) {
  case kind::all:
    return "all";
  case kind::category:
    return "category:" + first;
  case kind::event_types: {
    std::string out = "type:";
    for (size_t i = 0; i < filter.values.size(); ++i)
      out += (i ? "," : "") + filter.values[i];
    return out;
  }
  case kind::guild:
    return "guild:" + first;
  case kind::actor:
    return "actor:" + first;
  case kind::correlation:
    return "correlation:" + first;
  case kind::causation:
    return "causation:" + first;
  }
  return "?";
}

caf::expected<console_command>
parse_command(const std::vector<std::string>& words) {
  if (words.empty())
    return make_error(ec::invalid_argument,
                      "no command; type help for the list");
  console_command cmd;
  const auto& name = words.front();
  const command_help* found = nullptr;
  for (auto& h : command_table())
    if (name == to_string(h.verb))
      found = &h;
  if (found == nullptr)
    return make_error(ec::invalid_argument,
                      "unknown command '" + name + "'; type help for the list");
  cmd.verb = found->verb;
  auto args = words.size() - 1;
  auto arity = [&](size_t min, size_t max) -> caf::error {
    if (args < min)
      return usage_error("missing argument", cmd.verb);
    if (args > max)
      return usage_error("too many arguments", cmd.verb);
    return {};
  };
  auto count_at = [&](size_t i) -> caf::error {
    if (args < i)
      return {};
    auto n = to_int(words[i]);
    if (!n || *n == 0 || static_cast<size_t>(*n) > console_max_count)
      return usage_error("COUNT must be a number from 1 to " +
                             std::to_string(console_max_count) + ", not '" +
                             words[i] + "'",
                         cmd.verb);
    cmd.count = static_cast<size_t>(*n);
    return {};
  };
  switch (cmd.verb) {
  case console_verb::help:
  case console_verb::status:
  case console_verb::health:
  case console_verb::subscriptions:
  case console_verb::registry:
  case console_verb::metrics:
    if (auto err = arity(0, 0))
      return err;
    return cmd;
  case console_verb::streams:
    if (auto err = arity(0, 2))
      return err;
    if (args >= 1)
      cmd.after = words[1];
    if (auto err = count_at(2))
      return err;
    return cmd;
  case console_verb::stream:
    if (auto err = arity(1, 3))
      return err;
    cmd.name = words[1];
    if (args >= 2) {
      auto n = to_int(words[2]);
      if (!n || *n == 0)
        return usage_error("FROM must be a stream version (1 or more), not '" +
                               words[2] + "'",
                           cmd.verb);
      cmd.from = *n;
    }
    if (auto err = count_at(3))
      return err;
    return cmd;
  case console_verb::tail: {
    if (auto err = arity(0, 1))
      return err;
    auto filter = parse_filter(args >= 1 ? words[1] : std::string{});
    if (!filter)
      return std::move(filter.error());
    cmd.filter = std::move(*filter);
    return cmd;
  }
  case console_verb::parked:
  case console_verb::replay:
  case console_verb::rebuild:
    if (auto err = arity(1, 1))
      return err;
    cmd.name = words[1];
    return cmd;
  case console_verb::projections:
    if (auto err = arity(0, 1))
      return err;
    if (args >= 1)
      cmd.name = words[1];
    return cmd;
  }
  return cmd;
}

std::vector<std::string> split_words(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
      ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t')
      ++i;
    if (i > start)
      out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

std::string encode_words(const std::vector<std::string>& words) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w{sb};
  w.StartArray();
  for (auto& word : words)
    w.String(word.data(), static_cast<rapidjson::SizeType>(word.size()));
  w.EndArray();
  return {sb.GetString(), sb.GetSize()};
}

caf::expected<std::vector<std::string>> decode_words(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsArray())
    return make_error(ec::invalid_argument,
                      "a console command must be a JSON array of words");
  std::vector<std::string> out;
  for (auto& v : doc.GetArray()) {
    if (!v.IsString())
      return make_error(ec::invalid_argument,
                        "a console command must be a JSON array of words");
    out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

} // namespace es
