#include "messages/event.hpp"

namespace es {

std::string to_string(const expected_version& x) {
  switch (x.mode) {
  case expected_version::kind::any:
    return "any";
  case expected_version::kind::no_stream:
    return "no_stream";
  case expected_version::kind::stream_exists:
    return "stream_exists";
  case expected_version::kind::exact:
    return "exact(" + std::to_string(x.value) + ")";
  }
  return "?";
}

} // namespace es
