// The SQL of the SQLite store: one cached prepared statement per write, the start-up read, and
// the mapping of SQLite result codes to the store's error texts. Used only by the store's
// writer thread (sqlite_store.cpp), which owns the connection.
#pragma once

#include <sqlite3.h>

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "core/result.h"
#include "store/store.h"

namespace b2b::store::sqlite {

// "storage full" for SQLITE_FULL, "storage error" otherwise. The detail is `what` plus SQLite's
// generic text for the code (sqlite3_errstr), never sqlite3_errmsg, which may quote values.
core::Error storage_error(int rc, std::string_view what);

// Owns one prepared statement; finalizes it on destruction.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Prepares `sql` (one statement) for repeated use; returns an SQLite result code.
  int prepare(sqlite3* db, const char* sql);
  sqlite3_stmt* get() const { return stmt_; }
  void finalize();

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Every write the store performs, each a cached prepared statement. Each method binds, steps
// and resets, and returns SQLITE_OK or the failing SQLite result code. Transactions are the
// caller's business (begin/commit/rollback).
class Statements {
 public:
  int prepare_all(sqlite3* db);
  void finalize_all();

  int begin();
  int commit();
  void rollback();  // no-op when no transaction is open

  int upsert_identity(const IdentityRecord& r);
  // Sets `*inserted` to whether the row was new (an existing handle is left as it is).
  int insert_identity(const IdentityRecord& r, bool* inserted);
  int delete_identity(const std::string& handle);  // with profile, DMs and cursors
  int upsert_profile(const ProfileRecord& r);
  int delete_profile(const std::string& handle);
  int insert_dm(const DmRecord& r);
  int delete_dm(const std::string& recipient, const std::string& id);
  int delete_dms_older_than(int64_t ts);
  int set_inbox_seq(const std::string& handle, int64_t seq);
  int upsert_claim_cursor(const ClaimCursorRecord& r);
  int delete_claim_cursor(const std::string& handle, const std::string& room_key);
  int upsert_room_high_water(const RoomHighWater& r);
  int upsert_webhook(const WebhookRecord& r);
  int delete_webhook(const std::string& id);  // with its deliveries
  int upsert_webhook_delivery(const WebhookDeliveryRecord& r);
  int delete_webhook_deliveries_before(int64_t ts);

 private:
  using Table = std::array<std::pair<Statement Statements::*, const char*>, 25>;
  static const Table& table();  // every statement with its SQL

  sqlite3* db_ = nullptr;
  Statement begin_, commit_, rollback_;
  Statement insert_identity_, upsert_identity_, delete_identity_, delete_identity_profile_,
      delete_identity_dms_, delete_identity_cursors_, delete_identity_webhook_deliveries_,
      delete_identity_webhooks_;
  Statement upsert_profile_, delete_profile_;
  Statement insert_dm_, delete_dm_, delete_dms_older_than_;
  Statement set_inbox_seq_;
  Statement upsert_claim_cursor_, delete_claim_cursor_;
  Statement upsert_room_high_water_;
  Statement upsert_webhook_, delete_webhook_, delete_webhook_deliveries_of_hook_;
  Statement upsert_webhook_delivery_, delete_webhook_deliveries_before_;
};

// Reads every record (store.h Snapshot order). `path` names the file in error details.
core::Result<Snapshot> read_snapshot(sqlite3* db, const std::string& path);

}  // namespace b2b::store::sqlite
