// The SQL of the SQLite store (see sqlite_statements.h). Table layout: sqlite_schema.cpp.
#include "store/sqlite_statements.h"

#include <array>
#include <utility>

namespace b2b::store::sqlite {

namespace {

constexpr const char* kUpsertIdentity =
    "INSERT INTO identities(handle, box_pub, sign_pub, registered_at, updated_at, last_seen_at,"
    " meta_json, inbox_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT(handle) DO UPDATE SET box_pub = excluded.box_pub,"
    " sign_pub = excluded.sign_pub, registered_at = excluded.registered_at,"
    " updated_at = excluded.updated_at, last_seen_at = excluded.last_seen_at,"
    " meta_json = excluded.meta_json, inbox_seq = max(inbox_seq, excluded.inbox_seq)";
constexpr const char* kInsertIdentity =
    "INSERT INTO identities(handle, box_pub, sign_pub, registered_at, updated_at, last_seen_at,"
    " meta_json, inbox_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    " ON CONFLICT(handle) DO NOTHING";
constexpr const char* kUpsertProfile =
    "INSERT INTO profiles(handle, profile_json, profile_sig, updated_at, last_seen_at,"
    " expires_at, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    " ON CONFLICT(handle) DO UPDATE SET profile_json = excluded.profile_json,"
    " profile_sig = excluded.profile_sig, updated_at = excluded.updated_at,"
    " last_seen_at = excluded.last_seen_at, expires_at = excluded.expires_at,"
    " created_at = excluded.created_at";
// REPLACE covers both unique keys, (recipient, seq) and (recipient, id): a retried insert of
// the same envelope is harmless.
constexpr const char* kInsertDm =
    "INSERT OR REPLACE INTO dms(recipient, seq, id, ciphertext, nonce, sender_eph_pub,"
    " from_handle, from_verified, ts, from_sig, from_ts)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
constexpr const char* kUpsertClaimCursor =
    "INSERT INTO claim_cursors(handle, room_key, cursor, touched_at) VALUES(?1, ?2, ?3, ?4)"
    " ON CONFLICT(handle, room_key) DO UPDATE SET cursor = excluded.cursor,"
    " touched_at = excluded.touched_at";
constexpr const char* kUpsertRoomHighWater =
    "INSERT INTO room_high_water(room_key, next_seq) VALUES(?1, ?2)"
    " ON CONFLICT(room_key) DO UPDATE SET next_seq = max(next_seq, excluded.next_seq)";
constexpr const char* kUpsertWebhook =
    "INSERT OR REPLACE INTO webhooks(id, handle, room_key, url, secret, created_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kUpsertWebhookDelivery =
    "INSERT OR REPLACE INTO webhook_deliveries(id, hook_id, body, created_at, attempts,"
    " next_attempt_at, state, last_status, last_error, updated_at)"
    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

// Binds parameters left to right; remembers the first failure.
class Binder {
 public:
  explicit Binder(const Statement& s) : stmt_(s.get()) {}
  Binder& text(std::string_view v) {
    return check(
        sqlite3_bind_text64(stmt_, next_++, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8));
  }
  Binder& integer(int64_t v) { return check(sqlite3_bind_int64(stmt_, next_++, v)); }
  Binder& opt_text(const std::optional<std::string>& v) {
    return v ? text(*v) : check(sqlite3_bind_null(stmt_, next_++));
  }
  Binder& opt_integer(const std::optional<int64_t>& v) {
    return v ? integer(*v) : check(sqlite3_bind_null(stmt_, next_++));
  }
  // Steps once, then resets and unbinds (the bound views die with the caller's record).
  int run() {
    int rc = rc_;
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt_);
      if (rc == SQLITE_DONE || rc == SQLITE_ROW) rc = SQLITE_OK;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return rc;
  }

 private:
  Binder& check(int rc) {
    if (rc_ == SQLITE_OK) rc_ = rc;
    return *this;
  }
  sqlite3_stmt* stmt_;
  int next_ = 1;
  int rc_ = SQLITE_OK;
};

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
}

std::optional<std::string> column_opt_text(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return column_text(s, i);
}

std::optional<int64_t> column_opt_int(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_int64(s, i);
}

// Runs `sql` and hands each row to `row`; returns an SQLite result code.
template <class RowFn>
int for_each_row(sqlite3* db, const char* sql, RowFn&& row) {
  Statement s;
  int rc = s.prepare(db, sql);
  if (rc != SQLITE_OK) return rc;
  while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) row(s.get());
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

}  // namespace

core::Error storage_error(int rc, std::string_view what) {
  std::string detail(what);
  detail += ": ";
  detail += sqlite3_errstr(rc);
  return core::Error{(rc & 0xff) == SQLITE_FULL ? "storage full" : "storage error",
                     std::move(detail)};
}

Statement::~Statement() {
  finalize();
}

int Statement::prepare(sqlite3* db, const char* sql) {
  finalize();
  return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
}

void Statement::finalize() {
  sqlite3_finalize(stmt_);  // a no-op on nullptr
  stmt_ = nullptr;
}

const Statements::Table& Statements::table() {
  static const Table kTable{{
      {&Statements::begin_, "BEGIN IMMEDIATE"},
      {&Statements::commit_, "COMMIT"},
      {&Statements::rollback_, "ROLLBACK"},
      {&Statements::insert_identity_, kInsertIdentity},
      {&Statements::upsert_identity_, kUpsertIdentity},
      {&Statements::delete_identity_, "DELETE FROM identities WHERE handle = ?1"},
      {&Statements::delete_identity_profile_, "DELETE FROM profiles WHERE handle = ?1"},
      {&Statements::delete_identity_dms_, "DELETE FROM dms WHERE recipient = ?1"},
      {&Statements::delete_identity_cursors_, "DELETE FROM claim_cursors WHERE handle = ?1"},
      {&Statements::delete_identity_webhook_deliveries_,
       "DELETE FROM webhook_deliveries WHERE hook_id IN (SELECT id FROM webhooks WHERE handle = "
       "?1)"},
      {&Statements::delete_identity_webhooks_, "DELETE FROM webhooks WHERE handle = ?1"},
      {&Statements::upsert_profile_, kUpsertProfile},
      {&Statements::delete_profile_, "DELETE FROM profiles WHERE handle = ?1"},
      {&Statements::insert_dm_, kInsertDm},
      {&Statements::delete_dm_, "DELETE FROM dms WHERE recipient = ?1 AND id = ?2"},
      {&Statements::delete_dms_older_than_, "DELETE FROM dms WHERE ts < ?1"},
      {&Statements::set_inbox_seq_,
       "UPDATE identities SET inbox_seq = max(inbox_seq, ?2) WHERE handle = ?1"},
      {&Statements::upsert_claim_cursor_, kUpsertClaimCursor},
      {&Statements::delete_claim_cursor_,
       "DELETE FROM claim_cursors WHERE handle = ?1 AND room_key = ?2"},
      {&Statements::upsert_room_high_water_, kUpsertRoomHighWater},
      {&Statements::upsert_webhook_, kUpsertWebhook},
      {&Statements::delete_webhook_, "DELETE FROM webhooks WHERE id = ?1"},
      {&Statements::delete_webhook_deliveries_of_hook_,
       "DELETE FROM webhook_deliveries WHERE hook_id = ?1"},
      {&Statements::upsert_webhook_delivery_, kUpsertWebhookDelivery},
      {&Statements::delete_webhook_deliveries_before_,
       "DELETE FROM webhook_deliveries WHERE state != 'pending' AND updated_at < ?1"},
  }};
  return kTable;
}

int Statements::prepare_all(sqlite3* db) {
  db_ = db;
  for (const auto& [member, sql] : table()) {
    if (int rc = (this->*member).prepare(db, sql); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

void Statements::finalize_all() {
  for (const auto& entry : table()) (this->*entry.first).finalize();
}

int Statements::begin() {
  return Binder(begin_).run();
}
int Statements::commit() {
  return Binder(commit_).run();
}
void Statements::rollback() {
  // After some errors (SQLITE_FULL, SQLITE_IOERR, ...) SQLite has already rolled back.
  if (!sqlite3_get_autocommit(db_)) (void)Binder(rollback_).run();
}

// Both identity statements take the record's columns in one order.
static int run_with_identity(const Statement& statement, const IdentityRecord& r) {
  return Binder(statement)
      .text(r.handle)
      .text(r.box_pub)
      .text(r.sign_pub)
      .integer(r.registered_at)
      .integer(r.updated_at)
      .integer(r.last_seen_at)
      .text(r.meta_json)
      .integer(r.inbox_seq)
      .run();
}

int Statements::upsert_identity(const IdentityRecord& r) {
  return run_with_identity(upsert_identity_, r);
}

int Statements::insert_identity(const IdentityRecord& r, bool* inserted) {
  const int rc = run_with_identity(insert_identity_, r);
  *inserted = rc == SQLITE_OK && sqlite3_changes(db_) == 1;
  return rc;
}

int Statements::delete_identity(const std::string& handle) {
  for (const Statement* s :
       {&delete_identity_profile_, &delete_identity_dms_, &delete_identity_cursors_,
        &delete_identity_webhook_deliveries_, &delete_identity_webhooks_, &delete_identity_}) {
    if (int rc = Binder(*s).text(handle).run(); rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

int Statements::upsert_profile(const ProfileRecord& r) {
  return Binder(upsert_profile_)
      .text(r.handle)
      .text(r.profile_json)
      .text(r.profile_sig)
      .integer(r.updated_at)
      .integer(r.last_seen_at)
      .integer(r.expires_at)
      .integer(r.created_at)
      .run();
}

int Statements::delete_profile(const std::string& handle) {
  return Binder(delete_profile_).text(handle).run();
}

int Statements::insert_dm(const DmRecord& r) {
  return Binder(insert_dm_)
      .text(r.recipient)
      .integer(r.seq)
      .text(r.id)
      .text(r.ciphertext)
      .text(r.nonce)
      .text(r.sender_eph_pub)
      .opt_text(r.from_handle)
      .integer(r.from_verified ? 1 : 0)
      .integer(r.ts)
      .opt_text(r.from_sig)
      .opt_integer(r.from_ts)
      .run();
}

int Statements::delete_dm(const std::string& recipient, const std::string& id) {
  return Binder(delete_dm_).text(recipient).text(id).run();
}

int Statements::delete_dms_older_than(int64_t ts) {
  return Binder(delete_dms_older_than_).integer(ts).run();
}

int Statements::set_inbox_seq(const std::string& handle, int64_t seq) {
  return Binder(set_inbox_seq_).text(handle).integer(seq).run();
}

int Statements::upsert_claim_cursor(const ClaimCursorRecord& r) {
  return Binder(upsert_claim_cursor_)
      .text(r.handle)
      .text(r.room_key)
      .integer(r.cursor)
      .integer(r.touched_at)
      .run();
}

int Statements::delete_claim_cursor(const std::string& handle, const std::string& room_key) {
  return Binder(delete_claim_cursor_).text(handle).text(room_key).run();
}

int Statements::upsert_room_high_water(const RoomHighWater& r) {
  return Binder(upsert_room_high_water_).text(r.room_key).integer(r.next_seq).run();
}

int Statements::upsert_webhook(const WebhookRecord& r) {
  return Binder(upsert_webhook_)
      .text(r.id)
      .text(r.handle)
      .text(r.room_key)
      .text(r.url)
      .text(r.secret)
      .integer(r.created_at)
      .run();
}

int Statements::delete_webhook(const std::string& id) {
  if (int rc = Binder(delete_webhook_deliveries_of_hook_).text(id).run(); rc != SQLITE_OK) {
    return rc;
  }
  return Binder(delete_webhook_).text(id).run();
}

int Statements::upsert_webhook_delivery(const WebhookDeliveryRecord& r) {
  return Binder(upsert_webhook_delivery_)
      .text(r.id)
      .text(r.hook_id)
      .text(r.body)
      .integer(r.created_at)
      .integer(r.attempts)
      .integer(r.next_attempt_at)
      .text(r.state)
      .integer(r.last_status)
      .text(r.last_error)
      .integer(r.updated_at)
      .run();
}

int Statements::delete_webhook_deliveries_before(int64_t ts) {
  return Binder(delete_webhook_deliveries_before_).integer(ts).run();
}

core::Result<Snapshot> read_snapshot(sqlite3* db, const std::string& path) {
  Snapshot snap;
  int rc = for_each_row(
      db,
      "SELECT handle, box_pub, sign_pub, registered_at, updated_at,"
      " last_seen_at, meta_json, inbox_seq FROM identities ORDER BY handle",
      [&](sqlite3_stmt* s) {
        snap.identities.push_back(IdentityRecord{
            column_text(s, 0), column_text(s, 1), column_text(s, 2), sqlite3_column_int64(s, 3),
            sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5), column_text(s, 6),
            sqlite3_column_int64(s, 7)});
      });
  if (rc == SQLITE_OK) {
    rc = for_each_row(
        db,
        "SELECT handle, profile_json, profile_sig, updated_at, last_seen_at,"
        " expires_at, created_at FROM profiles ORDER BY handle",
        [&](sqlite3_stmt* s) {
          snap.profiles.push_back(ProfileRecord{
              column_text(s, 0), column_text(s, 1), column_text(s, 2), sqlite3_column_int64(s, 3),
              sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5), sqlite3_column_int64(s, 6)});
        });
  }
  if (rc == SQLITE_OK) {
    rc = for_each_row(
        db,
        "SELECT recipient, seq, id, ciphertext, nonce, sender_eph_pub, from_handle,"
        " from_verified, ts, from_sig, from_ts FROM dms ORDER BY recipient, seq",
        [&](sqlite3_stmt* s) {
          snap.dms.push_back(DmRecord{column_text(s, 0), sqlite3_column_int64(s, 1),
                                      column_text(s, 2), column_text(s, 3), column_text(s, 4),
                                      column_text(s, 5), column_opt_text(s, 6),
                                      sqlite3_column_int64(s, 7) != 0, sqlite3_column_int64(s, 8),
                                      column_opt_text(s, 9), column_opt_int(s, 10)});
        });
  }
  if (rc == SQLITE_OK) {
    rc = for_each_row(db,
                      "SELECT handle, room_key, cursor, touched_at FROM claim_cursors"
                      " ORDER BY handle, room_key",
                      [&](sqlite3_stmt* s) {
                        snap.claim_cursors.push_back(ClaimCursorRecord{
                            column_text(s, 0), column_text(s, 1), sqlite3_column_int64(s, 2),
                            sqlite3_column_int64(s, 3)});
                      });
  }
  if (rc == SQLITE_OK) {
    rc = for_each_row(db, "SELECT room_key, next_seq FROM room_high_water ORDER BY room_key",
                      [&](sqlite3_stmt* s) {
                        snap.room_high_waters.push_back(
                            RoomHighWater{column_text(s, 0), sqlite3_column_int64(s, 1)});
                      });
  }
  if (rc == SQLITE_OK) {
    rc = for_each_row(db,
                      "SELECT id, handle, room_key, url, secret, created_at FROM webhooks"
                      " ORDER BY id",
                      [&](sqlite3_stmt* s) {
                        snap.webhooks.push_back(WebhookRecord{
                            column_text(s, 0), column_text(s, 1), column_text(s, 2),
                            column_text(s, 3), column_text(s, 4), sqlite3_column_int64(s, 5)});
                      });
  }
  if (rc == SQLITE_OK) {
    rc = for_each_row(
        db,
        "SELECT id, hook_id, body, created_at, attempts, next_attempt_at, state, last_status,"
        " last_error, updated_at FROM webhook_deliveries ORDER BY created_at, id",
        [&](sqlite3_stmt* s) {
          snap.webhook_deliveries.push_back(WebhookDeliveryRecord{
              column_text(s, 0), column_text(s, 1), column_text(s, 2), sqlite3_column_int64(s, 3),
              sqlite3_column_int64(s, 4), sqlite3_column_int64(s, 5), column_text(s, 6),
              sqlite3_column_int64(s, 7), column_text(s, 8), sqlite3_column_int64(s, 9)});
        });
  }
  if (rc != SQLITE_OK) return storage_error(rc, "cannot read " + path);
  return snap;
}

}  // namespace b2b::store::sqlite
