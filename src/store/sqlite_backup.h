// Backup and restore of the SQLite store's database file (`bot2bot backup` / `bot2bot restore`).
//
// A backup is one self-contained SQLite file (rollback-journal mode, no -wal to carry along)
// taken with SQLite's online backup API from a read snapshot, so it is consistent and the
// serving relay keeps writing meanwhile: in WAL mode a reader never blocks the writer.
// A restore refuses while a relay holds the data dir, checks the file first (integrity, schema
// version, room key secret) and keeps the database it replaces as bot2bot.db.bak.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.h"

namespace b2b::store {

// Error texts (core::Error::error) the commands map to exit codes.
inline constexpr const char* kInvalidBackup = "invalid backup";
inline constexpr const char* kDataDirInUse = "data dir in use";

struct BackupProgress {
  int64_t copied_pages = 0;
  int64_t total_pages = 0;
};
using BackupProgressFn = std::function<void(const BackupProgress&)>;

// What a verified database file holds.
struct DatabaseFacts {
  int schema_version = 0;
  int64_t bytes = 0;
  int64_t identities = 0;
  int64_t profiles = 0;
  int64_t dms = 0;
};

// Copies `<data_dir>/bot2bot.db` to `out_path` (written to a temporary file beside it, fsynced,
// checked like a restore input, then renamed into place; mode 0600). Safe while a relay serves
// from `data_dir`. `progress` runs after every chunk of pages.
core::Result<DatabaseFacts> backup_sqlite_store(const std::string& data_dir,
                                                const std::string& out_path,
                                                const BackupProgressFn& progress);

// Checks that `path` is a bot2bot database this build can open: PRAGMA integrity_check passes,
// the schema version is between 1 and latest_schema_version(), and the room key secret is
// there. Failures are kInvalidBackup errors whose detail says what is wrong. `path` is opened
// read-write (a WAL-mode file cannot always be read otherwise) but its content is not changed.
core::Result<DatabaseFacts> check_sqlite_database(const std::string& path);

struct RestoreResult {
  DatabaseFacts facts;
  std::string previous;  // where the replaced database was kept ("" when there was none)
};

// Replaces `<data_dir>/bot2bot.db` with a checked copy of `in_path`. Holds the data dir's lock
// (bot2bot.lock) throughout, so it fails with kDataDirInUse while a relay serves from it and
// no relay can start mid-restore. The old database (and its -wal) becomes bot2bot.db.bak. Run
// as root, the restored file is given to the data dir's owner (the user the relay runs as).
core::Result<RestoreResult> restore_sqlite_store(const std::string& data_dir,
                                                 const std::string& in_path);

}  // namespace b2b::store
