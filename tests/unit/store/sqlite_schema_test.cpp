// src/store/sqlite_schema.cpp: migrations from nothing and from an empty file, idempotent
// re-open, the room key secret, and every way opening can fail naming the file.
#include "store/sqlite_schema.h"

#include <gtest/gtest.h>

#include <fstream>

#include "store/sqlite_store.h"
#include "store_test_util.h"

namespace b2b::store {
namespace {

using testing::identity;
using testing::must_open;
using testing::RawDb;
using testing::ScratchDir;

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

core::Error open_error(const std::string& data_dir) {
  auto opened = open_sqlite_store(data_dir);
  EXPECT_FALSE(opened.ok());
  return opened.ok() ? core::Error{} : opened.error();
}

TEST(SqliteSchema, CreatesTheDataDirAndMigratesToTheLatestVersion) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  RawDb outsider(dir.db_file());
  ASSERT_TRUE(outsider.ok());
  EXPECT_EQ(outsider.scalar("PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
  EXPECT_EQ(outsider.scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'table'"), "8");
}

TEST(SqliteSchema, MigratesAnEmptyFile) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.data_dir());
  write_file(dir.db_file(), "");
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  RawDb outsider(dir.db_file());
  EXPECT_EQ(outsider.scalar("PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
}

TEST(SqliteSchema, ReopeningAnExistingDatabaseIsIdempotent) {
  ScratchDir dir;
  std::string secret;
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    secret = store->room_key_secret();
    store->upsert_identity(identity("alice"), testing::ignore());
  }
  for (int i = 0; i < 3; ++i) {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->room_key_secret(), secret);
    auto snap = store->load();
    ASSERT_TRUE(snap.ok());
    EXPECT_EQ(snap.value().identities, std::vector<IdentityRecord>{identity("alice")});
  }
  RawDb outsider(dir.db_file());
  EXPECT_EQ(outsider.scalar("PRAGMA user_version"),
            std::to_string(sqlite::latest_schema_version()));
}

TEST(SqliteSchema, RoomKeySecretIs32RandomBytesPerDataDir) {
  ScratchDir a;
  ScratchDir b;
  auto store_a = must_open(a.data_dir());
  auto store_b = must_open(b.data_dir());
  ASSERT_NE(store_a, nullptr);
  ASSERT_NE(store_b, nullptr);
  EXPECT_EQ(store_a->room_key_secret().size(), 32u);
  EXPECT_NE(store_a->room_key_secret(), store_b->room_key_secret());
}

TEST(SqliteSchema, GarbageFileIsAnErrorNamingTheFile) {
  ScratchDir dir;
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    store->upsert_identity(identity("alice"), testing::ignore());
  }
  write_file(dir.db_file(), std::string(8192, 'x'));
  core::Error e = open_error(dir.data_dir());
  EXPECT_EQ(e.error, "storage error");
  EXPECT_NE(e.detail.find(dir.db_file()), std::string::npos) << e.detail;
}

TEST(SqliteSchema, DamagedPagesAreAnErrorNamingTheFile) {
  ScratchDir dir;
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 200; ++i) store->insert_dm(testing::dm("alice", i), testing::ignore());
  }
  // Keep the 100-byte header, wreck every page after the first.
  std::fstream f(dir.db_file(), std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(4096);
  const std::string junk(64 * 1024, '\xA5');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  f.close();
  auto opened = open_sqlite_store(dir.data_dir());
  if (opened.ok()) {  // the damage may only show when the data is read
    auto snap = opened.value()->load();
    ASSERT_FALSE(snap.ok());
    EXPECT_NE(snap.error().detail.find(dir.db_file()), std::string::npos) << snap.error().detail;
  } else {
    EXPECT_NE(opened.error().detail.find(dir.db_file()), std::string::npos)
        << opened.error().detail;
  }
}

TEST(SqliteSchema, NewerSchemaVersionIsRefused) {
  ScratchDir dir;
  { auto store = must_open(dir.data_dir()); }
  {
    RawDb raw(dir.db_file(), SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(raw.ok());
    ASSERT_EQ(sqlite3_exec(raw.get(), "PRAGMA user_version = 999", nullptr, nullptr, nullptr),
              SQLITE_OK);
  }
  core::Error e = open_error(dir.data_dir());
  EXPECT_NE(e.detail.find(dir.db_file()), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("999"), std::string::npos) << e.detail;
}

TEST(SqliteSchema, UncreatableDataDirIsAnErrorNamingTheFile) {
  ScratchDir dir;
  const std::string blocker = dir.path() + "/file";
  write_file(blocker, "not a directory");
  core::Error e = open_error(blocker + "/data");
  EXPECT_EQ(e.error, "storage error");
  EXPECT_NE(e.detail.find(blocker + "/data/bot2bot.db"), std::string::npos) << e.detail;
}

TEST(SqliteSchema, SecondStoreOnTheSameDataDirIsRefusedUntilTheFirstCloses) {
  ScratchDir dir;
  auto first = must_open(dir.data_dir());
  ASSERT_NE(first, nullptr);
  core::Error e = open_error(dir.data_dir());
  EXPECT_NE(e.detail.find("in use"), std::string::npos) << e.detail;
  first->close();
  EXPECT_NE(must_open(dir.data_dir()), nullptr);
}

}  // namespace
}  // namespace b2b::store
