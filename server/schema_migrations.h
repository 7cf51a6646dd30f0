#pragma once
// Versioned schema of the SQLite store. The version lives in PRAGMA user_version: it is part of
// the database header, so it cannot drift from the schema it describes, and needs no table.

#include <sqlite3.h>

#include "absl/status/status.h"

namespace convlat::server {

// The newest schema version this code knows.
int LatestSchemaVersion();

// Applies migrations above the database's version, each in its own transaction, up to
// `target_version`. FAILED_PRECONDITION when the database is newer than `target_version`
// (written by a newer convlat): it is left untouched.
absl::Status MigrateSchema(sqlite3* db, int target_version);

}  // namespace convlat::server
