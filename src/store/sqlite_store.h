// The default Store backend: one SQLite file, `<data_dir>/bot2bot.db`, in WAL mode with
// synchronous=FULL, so a write is on disk before its Done runs (DESIGN.md principle 7).
//
// One writer thread owns the connection (STYLE.md: I/O threads never wait on fsync). It takes
// every queued write at once, runs them in one transaction and commits — group commit: a burst
// of writes costs one fsync — then runs their Dones in order. If that transaction fails, each
// write is retried in its own transaction so one bad write fails alone. At most
// kSqliteMaxPendingWrites writes wait at a time; beyond that a write is refused at once with
// "storage busy" (its Done then runs on the caller's thread, before the call returns).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace b2b::store {

inline constexpr std::size_t kSqliteMaxPendingWrites = 100'000;

// Creates `data_dir` if needed, opens or creates bot2bot.db in it and migrates the schema.
// A database that cannot be opened (corrupt, not a database, unreadable, from a newer build)
// is an Error whose detail names the file; the server prints it and exits 1.
core::Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& data_dir);

// The files of a data dir ("" = the current directory): the database open_sqlite_store()
// opens, and the lock file it holds (flock) for the store's lifetime.
std::string sqlite_database_path(const std::string& data_dir);
std::string sqlite_lock_path(const std::string& data_dir);

// Caps the database at `pages` pages (PRAGMA max_page_count; 0 lifts the cap): beyond it,
// writes fail with "storage full". Applies after every write queued before the call. An
// operator's size limit, and the portable way for tests to fill the disk. Returns false if
// `store` is not a SQLite store or is closed.
bool set_sqlite_max_page_count(Store& store, int64_t pages);

// The same cap in bytes (`serve --store-max-bytes`; 0 lifts it), rounded down to whole pages,
// at least one. It bounds the database file; the WAL beside it grows by up to ~4 MiB between
// checkpoints. A cap below the current size keeps the database as it is and refuses writes
// that need a new page.
bool set_sqlite_max_bytes(Store& store, uint64_t bytes);

}  // namespace b2b::store
