// Event metadata: who caused an event, from where, and which events belong
// together.
//
// Every stored event carries an `event_metadata` object next to its data.
// The storage layer indexes some of its keys (metadata->>'correlation_id',
// 'causation_id', 'actor_id', 'guild_id'), so the JSON keys written by
// `fields` below are part of the schema and must not change.
//
// Correlation and causation follow the usual event-sourcing convention: a
// Discord interaction (a slash command or a message) starts a new
// correlation; every event written in reaction to an event names that event
// as its cause and keeps its correlation id, so one query finds everything a
// user action led to. Plain values; the helpers are pure apart from drawing
// a new UUIDv7, and thread-safe.
#pragma once

#include "messages/uuid.hpp"

#include <optional>
#include <string>

namespace es {

/// The version of this server, written into every event's metadata.
inline constexpr char server_version[] = "gamebot-es/0.1.0";

/// Where a Discord interaction or message came from. Ids are snowflakes
/// (decimal strings); `guild_id` is empty for direct messages.
struct discord_source {
  std::optional<std::string> guild_id;
  std::string channel_id;
  std::string user_id;
  bool direct_message = false;
};

template<class F>
bool fields(F& f, discord_source& x) {
  return f("guild_id", x.guild_id) && f("channel_id", x.channel_id) &&
         f("user_id", x.user_id) && f("direct_message", x.direct_message);
}

/// The metadata of one event (JSON keys as the member names).
struct event_metadata {
  /// The event this one reacts to; empty for events a user action caused.
  std::optional<uuid> causation_id;
  /// Shared by every event that one user action led to.
  uuid correlation_id;
  /// The Discord user (or the bot's own id) on whose behalf it happened.
  std::string actor_id;
  /// The bot client that received the action, e.g. "gamebot/2.3.1".
  std::string client_version;
  /// The server that wrote the event (`es::server_version`).
  std::string server_version = es::server_version;
  std::optional<std::string> guild_id;
  std::optional<std::string> channel_id;

  /// Metadata of an event caused directly by a Discord interaction: a new
  /// correlation id (UUIDv7), no causation, the user as actor, no guild for
  /// direct messages (even if `src` names one).
  static event_metadata from_discord(const discord_source& src,
                                     std::string client_version);

  /// Metadata of an event written in reaction to event `cause_id`, whose
  /// metadata is `cause_meta`: causation is `cause_id`; correlation, guild,
  /// channel and client version are inherited; the server version is ours.
  static event_metadata caused_by(uuid cause_id,
                                  const event_metadata& cause_meta,
                                  std::string actor_id);
};

template<class F>
bool fields(F& f, event_metadata& x) {
  return f("causation_id", x.causation_id) &&
         f("correlation_id", x.correlation_id) && f("actor_id", x.actor_id) &&
         f("client_version", x.client_version) &&
         f("server_version", x.server_version) && f("guild_id", x.guild_id) &&
         f("channel_id", x.channel_id);
}

} // namespace es
