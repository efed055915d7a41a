// es-console's pure parts: turning the inspector's JSON replies
// (actors/console_json.hpp) into text tables, and the progress bar of
// `rebuild`. No I/O; tested in tests/tools/console_unit_test.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace es::console {

/// A reply rendered for a person: `ok` false for an error reply (or one
/// that is not the inspector's JSON), with `code` the error's code
/// ("not_found", ...) and `text` its message.
struct rendered {
  bool ok = true;
  std::string code;
  std::string text;
};

/// Renders a reply of the inspector (see the file comment). Unknown
/// commands' results are printed as indented JSON.
rendered render(std::string_view reply);

/// Renders one event that `tail` received (an event object).
std::string render_event(std::string_view event_json);

/// Columns padded to their widest cell, a header row and a rule under it;
/// every line ends with '\n'. Rows shorter than the header are padded.
std::string table(const std::vector<std::string>& headers,
                  const std::vector<std::vector<std::string>>& rows);

/// "[############------------------]  40% (400/1000)"; `width` characters
/// between the brackets. With `total` 0 (unknown): "[...] 400 events".
std::string progress_bar(uint64_t done, uint64_t total, size_t width = 30);

/// "1h 02m 03s", "2m 05s", "7.3s".
std::string duration_text(double seconds);

/// JSON indented by two spaces (as it came if it does not parse).
std::string pretty_json(std::string_view json);

} // namespace es::console
