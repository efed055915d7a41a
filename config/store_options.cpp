#include "config/store_options.hpp"

#include "messages/error.hpp"

namespace es {

caf::error validate(const store_options& opts) {
  auto bad = [](const char* name, const char* why) {
    return make_error(ec::invalid_argument,
                      std::string{"option store."} + name + ": " + why);
  };
  if (opts.max_event_bytes == 0 || opts.max_event_bytes > 256 * 1024 * 1024)
    return bad("max-event-bytes", "must be between 1 and 268435456");
  if (opts.max_stream_id_bytes == 0 || opts.max_stream_id_bytes > 2000)
    return bad("max-stream-id-bytes", "must be between 1 and 2000");
  if (opts.max_event_type_bytes == 0 || opts.max_event_type_bytes > 1000)
    return bad("max-event-type-bytes", "must be between 1 and 1000");
  if (opts.max_events_per_append == 0 || opts.max_events_per_append > 1'000'000)
    return bad("max-events-per-append", "must be between 1 and 1000000");
  if (opts.max_page_size == 0 || opts.max_page_size > 1'000'000)
    return bad("max-page-size", "must be between 1 and 1000000");
  return {};
}

} // namespace es
