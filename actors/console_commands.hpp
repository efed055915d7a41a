// The operator console's commands, shared by the console (tools/es_console.cpp)
// and the inspector that answers it (actors/inspector.hpp). Pure: no actors,
// no I/O; tested in tests/tools/console_unit_test.cpp.
//
// Wire format (messages/actors.hpp, inspector_actor): a command travels as
// its words in a JSON array; the reply is one JSON object, either
//   {"command":"status","result":{...}}                or
//   {"error":{"code":"not_found","message":"stream x does not exist"}}.
// The console renders the result as text (tools/console/render.hpp) or
// prints it as it came with --json.
//
// Versions: `console_protocol_version` changes whenever a command, an
// argument or a reply's shape changes incompatibly. The console announces
// its own in the handshake (hello_atom) and refuses to talk to a store
// with another one, naming both.
#pragma once

#include "messages/event.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace es {

/// The console protocol this build speaks (see the file comment).
inline constexpr uint32_t console_protocol_version = 1;

/// The software version of this build (the CMake project's version).
const char* store_version() noexcept;

/// Every command of the console.
enum class console_verb : uint8_t {
  help,
  status,
  health,
  streams,
  stream,
  tail,
  subscriptions,
  parked,
  replay,
  registry,
  metrics,
  projections,
  rebuild,
};

/// "status", "stream", ...
const char* to_string(console_verb x) noexcept;

/// A parsed command. Which fields count depends on `verb`:
/// - streams [AFTER] [COUNT]: `after` (a stream id; "" = from the first),
///   `count`;
/// - stream ID [FROM] [COUNT]: `name`, `from` (a stream version), `count`;
/// - tail [FILTER]: `filter`;
/// - parked NAME, replay NAME: `name` (a subscription);
/// - projections [NAME], rebuild NAME: `name` (a projection).
struct console_command {
  console_verb verb = console_verb::help;
  std::string name;
  std::string after;
  int64_t from = 1;
  size_t count = 20;
  log_filter filter;
};

/// Largest COUNT a command accepts.
inline constexpr size_t console_max_count = 1000;

/// Parses a command's words. Errors (`ec::invalid_argument`) name the
/// problem: an empty line, an unknown command ("unknown command 'x'; type
/// help for the list"), a missing or extra argument, a bad number or
/// filter.
caf::expected<console_command>
parse_command(const std::vector<std::string>& words);

/// Parses a tail filter: empty or "all" (every event), "category:NAME",
/// "type:T1,T2,...", "guild:ID", "actor:ID", "correlation:ID",
/// "causation:ID".
caf::expected<log_filter> parse_filter(std::string_view text);

/// The filter as `parse_filter` reads it back ("all", "category:game").
std::string to_string(const log_filter& filter);

/// Splits a console line into words at spaces and tabs (no quoting).
std::vector<std::string> split_words(std::string_view line);

/// The words as a JSON array, and back (`ec::invalid_argument` when the
/// text is not an array of strings).
std::string encode_words(const std::vector<std::string>& words);
caf::expected<std::vector<std::string>> decode_words(std::string_view json);

/// One command's line of `help`: its usage and what it does.
struct command_help {
  console_verb verb;
  const char* usage;
  const char* summary;
};

/// Every command, in the order `help` lists them.
const std::vector<command_help>& command_table();

/// The text `help` prints.
std::string help_text();

} // namespace es
