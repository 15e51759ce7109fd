// Connection settings and schema migrations of the SQLite store (see sqlite_schema.h).
//
// Migrations live in code and are applied in order, each in its own transaction together with
// the PRAGMA user_version bump, so a crash mid-migration leaves the previous version intact.
// Never edit a released migration; append a new one.
#include "store/sqlite_schema.h"

#include <sodium.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <string_view>

#include "store/sqlite_statements.h"

namespace b2b::store::sqlite {

namespace {

struct Migration {
  int version;
  const char* sql;
};

// STRICT tables reject values of the wrong type instead of silently storing them.
// The dms table keeps its rowid: its rows carry ciphertexts of up to 64 KiB, which WITHOUT
// ROWID tables store poorly.
constexpr std::array<Migration, 2> kMigrations{{
    {1, R"sql(
CREATE TABLE store_meta(
  key TEXT PRIMARY KEY,
  value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE identities(
  handle TEXT PRIMARY KEY,
  box_pub TEXT NOT NULL,
  sign_pub TEXT NOT NULL,
  registered_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  meta_json TEXT NOT NULL DEFAULT '{}',
  inbox_seq INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE TABLE profiles(
  handle TEXT PRIMARY KEY,
  profile_json TEXT NOT NULL,
  profile_sig TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX profiles_by_expiry ON profiles(expires_at);

CREATE TABLE dms(
  recipient TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  ciphertext TEXT NOT NULL,
  nonce TEXT NOT NULL,
  sender_eph_pub TEXT NOT NULL,
  from_handle TEXT,
  from_verified INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  from_sig TEXT,
  from_ts INTEGER,
  PRIMARY KEY(recipient, seq)
) STRICT;
CREATE UNIQUE INDEX dms_by_id ON dms(recipient, id);
CREATE INDEX dms_by_ts ON dms(ts);

CREATE TABLE claim_cursors(
  handle TEXT NOT NULL,
  room_key TEXT NOT NULL,
  cursor INTEGER NOT NULL,
  touched_at INTEGER NOT NULL,
  PRIMARY KEY(handle, room_key)
) STRICT, WITHOUT ROWID;

CREATE TABLE room_high_water(
  room_key TEXT PRIMARY KEY,
  next_seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
)sql"},
    // Webhooks (issue 10). Deliveries keep their rowid: bodies carry DM ciphertexts.
    {2, R"sql(
CREATE TABLE webhooks(
  id TEXT PRIMARY KEY,
  handle TEXT NOT NULL,
  room_key TEXT NOT NULL,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX webhooks_by_handle ON webhooks(handle);

CREATE TABLE webhook_deliveries(
  id TEXT PRIMARY KEY,
  hook_id TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  last_status INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_by_hook ON webhook_deliveries(hook_id);
CREATE INDEX webhook_deliveries_by_update ON webhook_deliveries(updated_at);
)sql"},
}};

constexpr int kBusyTimeoutMs = 5000;
constexpr std::size_t kRoomKeySecretBytes = 32;
// After a checkpoint the WAL file is truncated to at most this (it is reused, not regrown).
constexpr const char* kSettings =
    "PRAGMA synchronous = FULL;"  // a commit is on disk before its Done runs
    "PRAGMA foreign_keys = OFF;"  // cascades are explicit (Statements::delete_identity)
    "PRAGMA journal_size_limit = 67108864;";

core::Error open_error(int rc, const std::string& path, std::string_view what) {
  core::Error e = storage_error(rc, what);
  e.detail = "cannot open database " + path + ": " + e.detail;
  return e;
}

// Runs a statement that returns one value (a PRAGMA query); `out` receives its text.
int query_text(sqlite3* db, const char* sql, std::string& out) {
  Statement s;
  int rc = s.prepare(db, sql);
  if (rc != SQLITE_OK) return rc;
  rc = sqlite3_step(s.get());
  if (rc == SQLITE_ROW) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s.get(), 0));
    out = p ? p : "";
    return SQLITE_OK;
  }
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int exec(sqlite3* db, const std::string& sql) {
  return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
}

core::Result<bool> migrate(sqlite3* db, const std::string& path) {
  std::string text;
  if (int rc = query_text(db, "PRAGMA user_version", text); rc != SQLITE_OK) {
    return open_error(rc, path, "reading schema version");
  }
  const int current = std::atoi(text.c_str());
  if (current > latest_schema_version()) {
    return core::Error{"storage error", "cannot open database " + path + ": schema version " +
                                            std::to_string(current) +
                                            " is newer than this build supports (" +
                                            std::to_string(latest_schema_version()) + ")"};
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= current) continue;
    std::string sql = "BEGIN IMMEDIATE;";
    sql += m.sql;
    sql += "PRAGMA user_version = " + std::to_string(m.version) + "; COMMIT;";
    if (int rc = exec(db, sql); rc != SQLITE_OK) {
      if (!sqlite3_get_autocommit(db)) exec(db, "ROLLBACK");
      return open_error(rc, path, "migration " + std::to_string(m.version));
    }
  }
  return true;
}

core::Result<bool> configure(sqlite3* db, const std::string& path) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // The first statement reads the file header: a file that is not a database fails here.
  std::string mode;
  if (int rc = query_text(db, "PRAGMA journal_mode = WAL", mode); rc != SQLITE_OK) {
    return open_error(rc, path, "setting WAL mode");
  }
  if (mode != "wal") {
    return core::Error{"storage error", "cannot open database " + path +
                                            ": WAL mode unavailable (got " + mode + ")"};
  }
  if (int rc = exec(db, kSettings); rc != SQLITE_OK) return open_error(rc, path, "settings");
  return migrate(db, path);
}

}  // namespace

int latest_schema_version() {
  return kMigrations.back().version;
}

core::Result<sqlite3*> open_database(const std::string& path) {
  std::error_code ec;
  const bool existed = std::filesystem::exists(path, ec);
  sqlite3* db = nullptr;
  // NOMUTEX: the connection is used by one thread at a time (the opener, then the writer).
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_close(db);
    return open_error(rc, path, "open");
  }
  auto configured = configure(db, path);
  if (!configured) {
    sqlite3_close(db);
    return configured.error();
  }
  if (!existed) {
    // Identities and inboxes are nobody else's business; SQLite gives the -wal and -shm
    // files the same permissions as the database.
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace, ec);
  }
  return db;
}

core::Result<std::string> load_or_create_room_key_secret(sqlite3* db, const std::string& path) {
  Statement select;
  int rc = select.prepare(db, "SELECT value FROM store_meta WHERE key = 'room_key_secret'");
  if (rc == SQLITE_OK) rc = sqlite3_step(select.get());
  if (rc == SQLITE_ROW) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(select.get(), 0));
    const auto n = static_cast<std::size_t>(sqlite3_column_bytes(select.get(), 0));
    if (n != kRoomKeySecretBytes || p == nullptr) {
      return core::Error{"storage error",
                         "cannot open database " + path + ": room key secret is damaged"};
    }
    return std::string(p, n);
  }
  if (rc != SQLITE_DONE) return open_error(rc, path, "reading room key secret");

  std::string secret(kRoomKeySecretBytes, '\0');
  randombytes_buf(secret.data(), secret.size());
  Statement insert;
  rc = insert.prepare(db, "INSERT INTO store_meta(key, value) VALUES('room_key_secret', ?1)");
  if (rc == SQLITE_OK) {
    rc = sqlite3_bind_blob(insert.get(), 1, secret.data(), static_cast<int>(secret.size()),
                           SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) rc = sqlite3_step(insert.get());
  if (rc != SQLITE_DONE) return open_error(rc, path, "creating room key secret");
  return secret;
}

}  // namespace b2b::store::sqlite
