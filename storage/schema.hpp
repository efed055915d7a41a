// Schema migrations.
//
// `migrate` brings a database to the newest schema in storage/sql.cpp. It
// holds a session advisory lock while it works, so several processes may
// start at once: one migrates, the others wait and then find nothing to do.
// Each migration runs in its own transaction together with its row in
// es_migrations, so a failed migration leaves no trace and is retried on the
// next start. Idempotent.
#pragma once

#include "storage/pg.hpp"

#include <caf/expected.hpp>

namespace es::storage {

/// Applies every migration not yet recorded. Returns how many it applied.
caf::expected<int> migrate(pg::connection& conn);

} // namespace es::storage
