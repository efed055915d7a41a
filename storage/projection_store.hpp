// What the storage layer keeps of projections (es_projections, migration 5)
// and the leaderboard's rows (es_leaderboard), as free functions over an
// `event_store`'s connection, for the connection workers
// (actors/connection_worker.hpp) and the tests.
//
// Exactly-once effect for read models in PostgreSQL: `commit_projection`
// writes a batch's rows and moves the position of the batch's generation in
// ONE transaction, and only if the stored position is the one the caller
// expects (compare-and-set). A batch applied twice (the subscription
// delivers at least once) fails the check the second time and writes
// nothing; so does a batch of a projection instance that fell behind
// another one.
//
// Blue/green: a rebuild writes rows of a new generation beside the active
// one (`begin_projection_rebuild`), queries read the active generation
// only, and `swap_projection` makes the rebuilt generation active and drops
// every other generation's rows in one transaction.
//
// Threading and errors as for `event_store`: one thread at a time, nothing
// throws, errors are `es::ec` values that name the projection.
#pragma once

#include "messages/event.hpp"
#include "messages/projection.hpp"
#include "storage/event_store.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace es::storage {

/// Writes a batch's rows of a read model kept in PostgreSQL, inside the
/// transaction that moves its position. Runs on a connection worker's
/// thread: it must only use `store` (never block otherwise).
using row_writer = std::function<caf::error(event_store& store)>;

/// Deletes the rows of every generation of a projection but `keep`, inside
/// the transaction that starts a rebuild or swaps generations.
using generation_cleaner =
    std::function<caf::error(event_store& store, int64_t keep)>;

/// The projection `name`, created (generation 1, position 0, `version`)
/// when new. Names are checked as subscription names are.
caf::expected<projection_record>
open_projection(event_store& store, std::string_view name, int32_t version);

/// Stores an in-memory model's `snapshot` (a JSON object) at `position`,
/// built by code of `version`; returns the stored position. A position
/// below the stored one is refused (`wrong_expected_version`): snapshots
/// never move backwards.
caf::expected<int64_t> save_projection_snapshot(event_store& store,
                                                std::string_view name,
                                                int32_t version,
                                                int64_t position,
                                                std::string_view snapshot);

/// In one transaction: moves the position of `generation` (the active one
/// or the one being rebuilt) from `expected` to `next` and runs `rows`
/// (may be empty). `wrong_expected_version` (naming the stored position)
/// when the generation is not at `expected`: nothing is written then.
caf::error commit_projection(event_store& store, std::string_view name,
                             int64_t generation, int64_t expected,
                             int64_t next, const row_writer& rows);

/// In one transaction: starts a rebuild in a new generation (position 0,
/// `version`), dropping every generation's rows but the active one's
/// (leftovers of an earlier rebuild) with `clean`. Returns the new
/// generation.
caf::expected<int64_t>
begin_projection_rebuild(event_store& store, std::string_view name,
                         int32_t version, const generation_cleaner& clean);

/// In one transaction: the rebuilt `generation` becomes the active one (with
/// its version and position; the snapshot is cleared) and `clean` drops the
/// other generations' rows. Returns the new active position. `not_found`
/// when `generation` is not being rebuilt.
caf::expected<int64_t> swap_projection(event_store& store,
                                       std::string_view name,
                                       int64_t generation,
                                       const generation_cleaner& clean);

/// Deletes the projection and its leaderboard rows.
caf::error delete_projection(event_store& store, std::string_view name);

/// How many events of the log up to its horizon pass `filter`, and the
/// highest position among them: the size of a replay from the origin.
/// Only `log_filter::all` and `log_filter::category` can be counted
/// (`invalid_argument` otherwise).
struct log_count {
  uint64_t events = 0;
  int64_t last_position = 0;
};
caf::expected<log_count> count_events(event_store& store,
                                      const log_filter& filter);

// -- the leaderboard's rows ---------------------------------------------------

/// Adds `changes` to the rows of (`projection`, `generation`): counts are
/// added, a non-empty display name replaces the stored one.
caf::error add_to_leaderboard(event_store& store, std::string_view projection,
                              int64_t generation,
                              const std::vector<leaderboard_entry>& changes);

/// Deletes the rows of every generation of `projection` but `keep`.
caf::error drop_leaderboard_generations(event_store& store,
                                        std::string_view projection,
                                        int64_t keep);

/// The best `limit` players of `guild` in the active generation: most
/// points first, then most correct guesses, then by player id.
caf::expected<std::vector<leaderboard_entry>>
leaderboard_top(event_store& store, std::string_view projection,
                std::string_view guild, size_t limit);

/// One player's row in the active generation, if any.
caf::expected<std::optional<leaderboard_entry>>
leaderboard_find(event_store& store, std::string_view projection,
                 std::string_view guild, std::string_view player);

/// Every row of the active generation, by guild and player.
caf::expected<std::vector<leaderboard_entry>>
leaderboard_all(event_store& store, std::string_view projection);

} // namespace es::storage
