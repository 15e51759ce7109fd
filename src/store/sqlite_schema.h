// Opening the SQLite database file: connection settings, versioned schema migrations and the
// per-data-dir room key secret. Runs once, on the thread that opens the store.
#pragma once

#include <sqlite3.h>

#include <string>

#include "core/result.h"

namespace b2b::store::sqlite {

// The schema version this build writes (PRAGMA user_version after migrating).
int latest_schema_version();

// Opens or creates the database at `path` in WAL mode with synchronous=FULL and migrates it to
// latest_schema_version(). A file that is not a database, is corrupt, or was written by a newer
// build is an Error whose detail names `path`. On success the caller owns the connection.
core::Result<sqlite3*> open_database(const std::string& path);

// The 32-byte room key secret (store.h room_key_for), created on first use.
core::Result<std::string> load_or_create_room_key_secret(sqlite3* db, const std::string& path);

}  // namespace b2b::store::sqlite
