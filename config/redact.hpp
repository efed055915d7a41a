// Passwords out of connection strings, before anything prints them.
//
// Every log line, error message and console or status output that shows a
// DSN shows `redact_dsn(dsn)`, never the DSN itself (the pool, the store
// facade, es-demo's summary and the console all do).
#pragma once

#include <string>
#include <string_view>

namespace es {

/// `dsn` with every password replaced by `***`. Handles libpq's two forms:
/// - key=value: `password=...` (and `sslpassword=...`), a value in single
///   quotes with backslash escapes included, spaces around `=` allowed;
/// - URIs (`postgresql://` or `postgres://`): the password of the user
///   info (`user:secret@host`) and `password=` / `sslpassword=` query
///   parameters (up to the next `&` or `#`).
/// Everything else is returned unchanged.
std::string redact_dsn(std::string_view dsn);

} // namespace es
