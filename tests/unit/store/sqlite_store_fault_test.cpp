// Issue 8 §6: the byte cap behind `serve --store-max-bytes`. The database file never grows past
// it, a write that needs a page beyond it fails alone with "storage full", and a larger cap (or
// none) lets writes through again with the database intact.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store_test_util.h"

namespace b2b::store::testing {
namespace {

constexpr uint64_t kCap = 128 * 1024;

TEST(SqliteStoreFault, ByteCapBoundsTheDatabaseAndRefusesWritesBeyondIt) {
  ScratchDir dir;
  int acknowledged = 0;
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(set_sqlite_max_bytes(*store, kCap));
    ASSERT_TRUE(sync([&](Done d) { store->upsert_identity(identity("alice"), std::move(d)); }));
    core::Result<bool> last = true;
    for (int seq = 1; seq <= 1000 && last.ok(); ++seq) {
      DmRecord r = dm("alice", seq);
      r.ciphertext.assign(1024, 'c');
      last = sync([&](Done d) { store->insert_dm(r, std::move(d)); });
      if (last.ok()) ++acknowledged;
    }
    ASSERT_FALSE(last.ok()) << "1000 KiB of DMs fit under a 128 KiB cap";
    EXPECT_EQ(last.error().error, "storage full");
    EXPECT_GT(acknowledged, 10);
    EXPECT_LT(acknowledged, 128);

    // A write that needs no new page still succeeds at the cap.
    EXPECT_TRUE(sync([&](Done d) { store->set_inbox_seq("alice", 7, std::move(d)); }).ok());

    ASSERT_TRUE(set_sqlite_max_bytes(*store, 0));  // room again
    DmRecord more = dm("alice", acknowledged + 1);
    more.ciphertext.assign(64 * 1024, 'c');
    auto retried = sync([&](Done d) { store->insert_dm(more, std::move(d)); });
    EXPECT_TRUE(retried.ok()) << retried.error().detail;
    ++acknowledged;
  }
  RawDb outsider(dir.db_file());
  ASSERT_TRUE(outsider.ok());
  EXPECT_EQ(outsider.scalar("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(outsider.scalar("SELECT count(*) FROM dms"), std::to_string(acknowledged));
}

TEST(SqliteStoreFault, CapBelowTheCurrentSizeKeepsTheDataAndRefusesGrowth) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(sync([&](Done d) { store->upsert_identity(identity("alice"), std::move(d)); }));
  ASSERT_TRUE(set_sqlite_max_bytes(*store, 1));  // below one page: clamps to the current size
  DmRecord big = dm("alice", 1);
  big.ciphertext.assign(64 * 1024, 'c');
  auto r = sync([&](Done d) { store->insert_dm(big, std::move(d)); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, "storage full");
  auto snap = store->load();
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().identities.size(), 1u);
  EXPECT_TRUE(snap.value().dms.empty());
}

}  // namespace
}  // namespace b2b::store::testing
