// Options of the storage layer, with their defaults from config/defaults.hpp.
//
// A plain value type: the configuration class (config/es_config.hpp) fills
// it from the command line, the .ini file and the environment; the storage layer only
// reads it. `validate` names the first option that is out of range.
#pragma once

#include "config/defaults.hpp"

#include <caf/error.hpp>

#include <cstddef>

namespace es {

struct store_options {
  size_t max_event_bytes = defaults::max_event_bytes;
  size_t max_stream_id_bytes = defaults::max_stream_id_bytes;
  size_t max_event_type_bytes = defaults::max_event_type_bytes;
  size_t max_events_per_append = defaults::max_events_per_append;
  size_t max_page_size = defaults::max_page_size;
  bool allow_stream_recreate = defaults::allow_stream_recreate;
  bool enable_hard_deletes = defaults::enable_hard_deletes;
};

/// Returns an `ec::invalid_argument` error naming the first option out of
/// range, or a default-constructed (empty) error.
caf::error validate(const store_options& opts);

} // namespace es
