// Validators of the game's events (messages/game_events.hpp).
//
// `validate_base` checks what every event has (ids, guild id format, round,
// timestamp against `validation_context::now`); one `validate` overload per
// event type, latest and legacy, checks that type's own fields: Discord ids
// are snowflakes, texts are non-empty where required and at most
// `max_text_bytes` long, lists at most `max_list_size` long and free of
// duplicates, numbers within `es::game::limits`, and the cross-field rules
// the event's comment states. Events with a `required_mode` are rejected
// with path "/mode" when the base's mode differs.
//
// The event-specific `validate` does not call `validate_base`; the catalog
// calls both (and then the mode plugins, registry/mode_plugins.hpp). Every
// function appends all violations it finds, each with the JSON pointer of
// the offending field ("/results/1/score"), to `out` and never throws. Pure
// functions, thread-safe.
#pragma once

#include "messages/game_events.hpp"
#include "registry/validation.hpp"

namespace es::registry {

void validate_base(const game::event_base& x, const validation_context& ctx,
                   violations& out);

void validate(const game::game_created& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_started& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_mode_changed& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_paused& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_resumed& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_completed& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_cancelled& x, const validation_context& ctx,
              violations& out);
void validate(const game::player_joined& x, const validation_context& ctx,
              violations& out);
void validate(const game::player_left& x, const validation_context& ctx,
              violations& out);
void validate(const game::player_status_changed& x,
              const validation_context& ctx, violations& out);
void validate(const game::team_created& x, const validation_context& ctx,
              violations& out);
void validate(const game::team_member_added& x, const validation_context& ctx,
              violations& out);
void validate(const game::team_member_removed& x, const validation_context& ctx,
              violations& out);
void validate(const game::team_disbanded& x, const validation_context& ctx,
              violations& out);
void validate(const game::round_started& x, const validation_context& ctx,
              violations& out);
void validate(const game::round_ended& x, const validation_context& ctx,
              violations& out);
void validate(const game::guess_processed& x, const validation_context& ctx,
              violations& out);
void validate(const game::guess_abandoned& x, const validation_context& ctx,
              violations& out);
void validate(const game::pair_guess_result& x, const validation_context& ctx,
              violations& out);
void validate(const game::two_player_target_reached& x,
              const validation_context& ctx, violations& out);
void validate(const game::player_eliminated& x, const validation_context& ctx,
              violations& out);
void validate(const game::team_eliminated& x, const validation_context& ctx,
              violations& out);
void validate(const game::race_time_expired& x, const validation_context& ctx,
              violations& out);
void validate(const game::team_progress_updated& x,
              const validation_context& ctx, violations& out);
void validate(const game::race_match_counted& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_error& x, const validation_context& ctx,
              violations& out);
void validate(const game::recovery_started& x, const validation_context& ctx,
              violations& out);
void validate(const game::recovery_completed& x, const validation_context& ctx,
              violations& out);
void validate(const game::round_check_failed& x, const validation_context& ctx,
              violations& out);
void validate(const game::game_config_changed& x, const validation_context& ctx,
              violations& out);
void validate(const game::custom_variation_created& x,
              const validation_context& ctx, violations& out);

void validate(const game::v1::player_joined& x, const validation_context& ctx,
              violations& out);
void validate(const game::v1::round_ended& x, const validation_context& ctx,
              violations& out);

} // namespace es::registry
