#include "messages/metadata.hpp"

#include <utility>

namespace es {

event_metadata event_metadata::from_discord(const discord_source& src,
                                            std::string client_version) {
  event_metadata result;
  result.correlation_id = uuid::v7();
  result.actor_id = src.user_id;
  result.client_version = std::move(client_version);
  if (!src.direct_message)
    result.guild_id = src.guild_id;
  result.channel_id = src.channel_id;
  return result;
}

event_metadata event_metadata::caused_by(uuid cause_id,
                                         const event_metadata& cause_meta,
                                         std::string actor_id) {
  event_metadata result;
  result.causation_id = cause_id;
  result.correlation_id = cause_meta.correlation_id;
  result.actor_id = std::move(actor_id);
  result.client_version = cause_meta.client_version;
  result.guild_id = cause_meta.guild_id;
  result.channel_id = cause_meta.channel_id;
  return result;
}

} // namespace es
