// Backup and restore of the SQLite store (see sqlite_backup.h).
//
// The backup pins one read transaction on the source for the whole copy and feeds the online
// backup API a chunk of pages per step. Holding the snapshot means the copy never restarts when
// the relay commits meanwhile (a backup without it restarts on every foreign write and could
// chase a busy relay forever); in WAL mode the snapshot blocks no writer, it only keeps the
// relay's checkpoints from recycling the WAL until the copy ends.
#include "store/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "store/sqlite_schema.h"
#include "store/sqlite_statements.h"
#include "store/sqlite_store.h"

namespace b2b::store {

namespace fs = std::filesystem;

namespace {

constexpr int kChunkPages = 256;  // 1 MiB of 4 KiB pages per backup step
constexpr int kBusyTimeoutMs = 5000;
constexpr int kMaxBusyRetries = 250;  // × 20 ms: give up after 5 s of a locked destination
constexpr std::size_t kRoomKeySecretBytes = 32;

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;

core::Error invalid(const std::string& path, const std::string& what) {
  return core::Error{kInvalidBackup, path + ": " + what};
}

core::Error storage(const std::string& what) {
  return core::Error{"storage error", what};
}

core::Error storage(int rc, const std::string& what) {
  return sqlite::storage_error(rc, what);
}

std::string errno_text() {
  return std::strerror(errno);
}

// fsync a file or directory so a rename that follows is durable, not just visible.
bool sync_path(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

fs::path parent_or_dot(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  fs::remove(p, ec);
}

// Runs a query that yields one integer; `out` receives it.
int query_int(sqlite3* db, const char* sql, int64_t& out) {
  sqlite::Statement s;
  int rc = s.prepare(db, sql);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(s.get());
  if (rc == SQLITE_ROW) {
    out = sqlite3_column_int64(s.get(), 0);
    return SQLITE_OK;
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

// PRAGMA integrity_check returns "ok" or one row per problem found.
int integrity_rows(sqlite3* db, std::vector<std::string>& rows) {
  sqlite::Statement s;
  int rc = s.prepare(db, "PRAGMA integrity_check(20)");
  if (rc != SQLITE_OK) return rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
    rows.emplace_back(text ? text : "");
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

core::Error unreadable(const std::string& path, int rc) {
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return invalid(path, "not a SQLite database");
    case SQLITE_CORRUPT:
      return invalid(path, "the database is corrupt (" + std::string(sqlite3_errstr(rc)) + ")");
    default:
      return invalid(path, std::string("cannot be read: ") + sqlite3_errstr(rc));
  }
}

// Run as root (the usual case for an operator's restore), hands `path` to the owner of `dir`: the
// relay runs as that user (under systemd's DynamicUser, one root cannot pick in advance) and
// could not open a root-owned 0600 database. Otherwise the file is already the caller's.
core::Result<bool> give_to_dir_owner(const fs::path& path, const fs::path& dir) {
  if (::geteuid() != 0) return true;
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || ::chown(path.c_str(), st.st_uid, st.st_gid) != 0) {
    return storage("cannot hand " + path.string() + " to the owner of " + dir.string() + ": " +
                   errno_text());
  }
  return true;
}

// An exclusive, non-blocking flock on the data dir's lock file, the one the serving store
// holds for its lifetime; released when this object goes away.
class DataDirLock {
 public:
  DataDirLock() = default;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  core::Result<bool> acquire(const fs::path& dir) {
    const fs::path path = sqlite_lock_path(dir.string());
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return storage("cannot open " + path.string() + ": " + errno_text());
    if (auto owned = give_to_dir_owner(path, dir); !owned) return owned.error();  // if created
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      return core::Error{kDataDirInUse, "a relay is serving from " + dir.string() + " (" +
                                            path.string() + " is locked); stop it first"};
    }
    return true;
  }

 private:
  int fd_ = -1;
};

// Creates `path` empty with mode 0600 (identities and inboxes are nobody else's business);
// SQLite treats an empty file as an empty database.
core::Result<bool> create_private_file(const fs::path& path) {
  remove_quietly(path);
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return storage("cannot create " + path.string() + ": " + errno_text());
  ::close(fd);
  return true;
}

// Copies every page of `src` (already inside a read transaction) into `dest`, a chunk at a time.
core::Result<bool> copy_pages(sqlite3* src, sqlite3* dest, const std::string& src_path,
                              const BackupProgressFn& progress) {
  sqlite3_backup* backup = sqlite3_backup_init(dest, "main", src, "main");
  if (backup == nullptr) return storage(sqlite3_extended_errcode(dest), "starting the backup");
  int rc = SQLITE_OK;
  int busy_retries = 0;
  while (true) {
    rc = sqlite3_backup_step(backup, kChunkPages);
    if (rc == SQLITE_OK || rc == SQLITE_DONE) {
      const int total = sqlite3_backup_pagecount(backup);
      if (progress) progress({total - sqlite3_backup_remaining(backup), total});
      if (rc == SQLITE_DONE) break;
      continue;
    }
    const int primary = rc & 0xff;
    if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && ++busy_retries <= kMaxBusyRetries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    break;
  }
  const int finish_rc = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return storage(rc, "copying " + src_path);
  if (finish_rc != SQLITE_OK) return storage(finish_rc, "finishing the backup");
  return true;
}

}  // namespace

core::Result<DatabaseFacts> check_sqlite_database(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return invalid(path, "no such file");
  DatabaseFacts facts;
  facts.bytes = static_cast<int64_t>(fs::file_size(path, ec));
  if (facts.bytes == 0) return invalid(path, "the file is empty");

  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) return invalid(path, std::string("cannot open: ") + sqlite3_errstr(rc));
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);

  std::vector<std::string> problems;
  if (rc = integrity_rows(db.get(), problems); rc != SQLITE_OK) return unreadable(path, rc);
  if (problems.size() != 1 || problems.front() != "ok") {
    std::string text = "fails PRAGMA integrity_check: " + problems.front();
    if (problems.size() > 1) text += " (and " + std::to_string(problems.size() - 1) + " more)";
    return invalid(path, text);
  }

  int64_t version = 0;
  if (rc = query_int(db.get(), "PRAGMA user_version", version); rc != SQLITE_OK) {
    return unreadable(path, rc);
  }
  if (version < 1) return invalid(path, "not a bot2bot database (schema version 0)");
  if (version > sqlite::latest_schema_version()) {
    return invalid(path, "schema version " + std::to_string(version) +
                             " is newer than this build supports (" +
                             std::to_string(sqlite::latest_schema_version()) +
                             "); restore it with a newer bot2bot");
  }
  facts.schema_version = static_cast<int>(version);

  int64_t secret_bytes = 0;
  rc = query_int(db.get(), "SELECT length(value) FROM store_meta WHERE key = 'room_key_secret'",
                 secret_bytes);
  if (rc != SQLITE_OK || secret_bytes != static_cast<int64_t>(kRoomKeySecretBytes)) {
    return invalid(path, "not a bot2bot database (no valid room key secret)");
  }
  if (query_int(db.get(), "SELECT count(*) FROM identities", facts.identities) != SQLITE_OK ||
      query_int(db.get(), "SELECT count(*) FROM profiles", facts.profiles) != SQLITE_OK ||
      query_int(db.get(), "SELECT count(*) FROM dms", facts.dms) != SQLITE_OK) {
    return invalid(path, "not a bot2bot database (tables missing)");
  }
  return facts;
}

core::Result<DatabaseFacts> backup_sqlite_store(const std::string& data_dir,
                                                const std::string& out_path,
                                                const BackupProgressFn& progress) {
  const std::string src_path = sqlite_database_path(data_dir);
  std::error_code ec;
  if (!fs::is_regular_file(src_path, ec)) return storage("no database at " + src_path);
  const fs::path out(out_path);
  const fs::path partial = out.string() + ".partial";
  // Renaming a copy over the live database (or its -wal) would corrupt a serving relay.
  const fs::path live = fs::weakly_canonical(src_path, ec);
  const fs::path target = fs::weakly_canonical(out, ec);
  for (const char* suffix : {"", "-wal", "-shm", ".partial"}) {
    if (target == fs::path(live.string() + suffix)) {
      return storage(out_path + " is the live database's own file; write the backup elsewhere");
    }
  }

  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(src_path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  Database src(raw);
  if (rc != SQLITE_OK) return storage(rc, "cannot open " + src_path);
  sqlite3_extended_result_codes(src.get(), 1);
  sqlite3_busy_timeout(src.get(), kBusyTimeoutMs);
  // Pin the snapshot the whole copy comes from (see the top of this file).
  rc = sqlite3_exec(src.get(), "BEGIN; SELECT count(*) FROM sqlite_schema;", nullptr, nullptr,
                    nullptr);
  if (rc != SQLITE_OK) return storage(rc, "cannot read " + src_path);

  if (auto created = create_private_file(partial); !created) return created.error();
  {
    raw = nullptr;
    rc = sqlite3_open_v2(partial.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                         nullptr);
    Database dest(raw);
    if (rc != SQLITE_OK) {
      remove_quietly(partial);
      return storage(rc, "cannot open " + partial.string());
    }
    auto copied = copy_pages(src.get(), dest.get(), src_path, progress);
    // The copy carries the source's WAL flag; a backup is one file, readable without a -wal.
    if (copied) {
      rc = sqlite3_exec(dest.get(), "PRAGMA journal_mode = DELETE", nullptr, nullptr, nullptr);
      if (rc != SQLITE_OK) copied = storage(rc, "finishing " + partial.string());
    }
    if (!copied) {
      dest.reset();
      remove_quietly(partial);
      return copied.error();
    }
  }
  sqlite3_exec(src.get(), "COMMIT", nullptr, nullptr, nullptr);
  src.reset();

  auto facts = check_sqlite_database(partial.string());
  if (!facts) {
    remove_quietly(partial);
    return storage("the copy failed its check: " + facts.error().detail);
  }
  if (!sync_path(partial, false)) {
    remove_quietly(partial);
    return storage("cannot sync " + partial.string() + ": " + errno_text());
  }
  fs::rename(partial, out, ec);
  if (ec) {
    remove_quietly(partial);
    return storage("cannot rename " + partial.string() + " to " + out_path + ": " + ec.message());
  }
  sync_path(parent_or_dot(out), true);
  return facts;
}

core::Result<RestoreResult> restore_sqlite_store(const std::string& data_dir,
                                                 const std::string& in_path) {
  std::error_code ec;
  if (!fs::is_regular_file(in_path, ec)) return invalid(in_path, "no such file");
  const fs::path dir = data_dir.empty() ? "." : data_dir;
  fs::create_directories(dir, ec);
  if (ec) return storage("cannot create " + dir.string() + ": " + ec.message());

  DataDirLock lock;
  if (auto locked = lock.acquire(dir); !locked) return locked.error();

  const fs::path db = sqlite_database_path(dir.string());
  const fs::path incoming = db.string() + ".restoring";
  // Check a private copy, never the operator's file: opening a WAL-mode file writes beside it.
  if (auto created = create_private_file(incoming); !created) return created.error();
  fs::copy_file(in_path, incoming, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    remove_quietly(incoming);
    return storage("cannot copy " + in_path + " to " + incoming.string() + ": " + ec.message());
  }
  auto facts = check_sqlite_database(incoming.string());
  if (!facts) {
    remove_quietly(incoming);
    // Name the operator's file, not our copy.
    core::Error e = facts.error();
    if (e.detail.starts_with(incoming.string())) {
      e.detail = in_path + e.detail.substr(incoming.string().size());
    }
    return e;
  }
  if (auto owned = give_to_dir_owner(incoming, dir); !owned) {
    remove_quietly(incoming);
    return owned.error();
  }
  if (!sync_path(incoming, false)) {
    remove_quietly(incoming);
    return storage("cannot sync " + incoming.string() + ": " + errno_text());
  }

  // A -wal belongs to the database file it sits beside: it moves with the old database (SQLite
  // looks for "<name>-wal", so bot2bot.db.bak-wal pairs with bot2bot.db.bak) and must never be
  // left where the restored file would replay it. The -shm is only an index, rebuilt on open.
  RestoreResult result{facts.value(), ""};
  const std::string wal = db.string() + "-wal";
  const std::string shm = db.string() + "-shm";
  if (fs::exists(db, ec)) {
    const std::string bak = db.string() + ".bak";
    remove_quietly(bak + "-wal");
    remove_quietly(bak + "-shm");
    fs::rename(db, bak, ec);
    if (!ec && fs::exists(wal)) fs::rename(wal, bak + "-wal", ec);
    if (ec) {
      remove_quietly(incoming);
      return storage("cannot keep the old database as " + bak + ": " + ec.message());
    }
    result.previous = bak;
  } else {
    remove_quietly(wal);  // orphans of a database that is gone
  }
  remove_quietly(shm);
  fs::rename(incoming, db, ec);
  if (ec) return storage("cannot move the restored database into place: " + ec.message());
  sync_path(dir, true);
  return result;
}

}  // namespace b2b::store
