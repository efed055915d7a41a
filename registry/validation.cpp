#include "registry/validation.hpp"

#include "messages/error.hpp"

namespace es::registry {

caf::error violations::to_error(std::string_view what) const {
  if (list_.empty())
    return {};
  std::string text{what};
  text += ": ";
  for (size_t i = 0; i < list_.size(); ++i) {
    if (i > 0)
      text += "; ";
    text += list_[i].path.empty() ? "/" : list_[i].path;
    text += ": ";
    text += list_[i].message;
  }
  return make_error(ec::invalid_event, std::move(text));
}

} // namespace es::registry
