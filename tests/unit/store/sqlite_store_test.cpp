// src/store/sqlite_store.cpp and sqlite_statements.cpp: every record type survives a
// close/reopen, deletes cascade, monotonic fields never go down, and the store behaves once
// closed.
#include "store/sqlite_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store_test_util.h"

namespace b2b::store {
namespace {

using testing::dm;
using testing::identity;
using testing::must_load;
using testing::must_open;
using testing::profile;
using testing::ScratchDir;
using testing::sync;

TEST(SqliteStore, RoundTripsEveryRecordTypeAcrossReopen) {
  ScratchDir dir;
  IdentityRecord alice = identity("alice");
  alice.inbox_seq = 1767225600001;
  ProfileRecord alice_profile = profile("alice");
  DmRecord anonymous = dm("alice", 1767225600001);  // optional fields absent
  DmRecord signed_dm = dm("alice", 1767225600002);
  signed_dm.from_handle = "bob";
  signed_dm.from_verified = true;
  signed_dm.from_sig = "sig==";
  signed_dm.from_ts = 1767225600100;
  constexpr char kOdd[] = "with\0nul and ünïcode";
  signed_dm.ciphertext = std::string(kOdd, sizeof kOdd - 1);
  ClaimCursorRecord cursor{"alice", "0123456789abcdef0123456789abcdef", 42, 777};
  RoomHighWater high_water{"fedcba9876543210fedcba9876543210", 1767225609999};
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    // Issued without waiting, in an order that does not match the snapshot's.
    store->insert_dm(signed_dm, testing::ignore());
    store->insert_dm(anonymous, testing::ignore());
    store->upsert_identity(alice, testing::ignore());
    store->upsert_profile(alice_profile, testing::ignore());
    store->upsert_claim_cursor(cursor, testing::ignore());
    store->upsert_room_high_water(high_water, testing::ignore());
    store->close();
  }
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  Snapshot snap = must_load(*store);
  EXPECT_EQ(snap.identities, std::vector<IdentityRecord>{alice});
  EXPECT_EQ(snap.profiles, std::vector<ProfileRecord>{alice_profile});
  EXPECT_EQ(snap.dms, (std::vector<DmRecord>{anonymous, signed_dm}));
  EXPECT_EQ(snap.claim_cursors, std::vector<ClaimCursorRecord>{cursor});
  EXPECT_EQ(snap.room_high_waters, std::vector<RoomHighWater>{high_water});
}

TEST(SqliteStore, InsertIdentityWritesOnlyANewHandle) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  IdentityRecord alice = identity("alice");
  IdentityRecord rival = identity("alice");
  rival.sign_pub = "another-key";
  auto won = sync([&](Done d) { store->insert_identity(alice, std::move(d)); });
  auto lost = sync([&](Done d) { store->insert_identity(rival, std::move(d)); });
  ASSERT_TRUE(won.ok() && lost.ok());
  EXPECT_TRUE(won.value());
  EXPECT_FALSE(lost.value());
  EXPECT_EQ(must_load(*store).identities, std::vector<IdentityRecord>{alice});
  alice.box_pub = "box2";
  ASSERT_TRUE(sync([&](Done d) { store->upsert_identity(alice, std::move(d)); }).ok());
  EXPECT_EQ(must_load(*store).identities, std::vector<IdentityRecord>{alice});
}

TEST(SqliteStore, UpsertsReplaceInPlace) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  IdentityRecord alice = identity("alice");
  store->upsert_identity(alice, testing::ignore());
  alice.box_pub = "box2";
  alice.last_seen_at = 9999;
  alice.meta_json = "{}";
  store->upsert_identity(alice, testing::ignore());
  ProfileRecord p = profile("alice");
  store->upsert_profile(p, testing::ignore());
  p.profile_json = R"({"v":2})";
  p.updated_at = 20;
  store->upsert_profile(p, testing::ignore());
  ClaimCursorRecord c{"alice", "k", 5, 1};
  store->upsert_claim_cursor(c, testing::ignore());
  c.cursor = 9;
  c.touched_at = 2;
  store->upsert_claim_cursor(c, testing::ignore());
  Snapshot snap = must_load(*store);
  EXPECT_EQ(snap.identities, std::vector<IdentityRecord>{alice});
  EXPECT_EQ(snap.profiles, std::vector<ProfileRecord>{p});
  EXPECT_EQ(snap.claim_cursors, std::vector<ClaimCursorRecord>{c});
}

TEST(SqliteStore, InboxSeqAndRoomHighWaterNeverGoDown) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  store->upsert_identity(identity("alice"), testing::ignore());
  store->set_inbox_seq("alice", 50, testing::ignore());
  store->set_inbox_seq("alice", 40, testing::ignore());  // stale: ignored
  IdentityRecord stale = identity("alice");              // inbox_seq 0
  store->upsert_identity(stale, testing::ignore());
  store->set_inbox_seq("nobody", 7, testing::ignore());  // unknown handle: no row appears
  store->upsert_room_high_water({"room", 100}, testing::ignore());
  store->upsert_room_high_water({"room", 90}, testing::ignore());
  Snapshot snap = must_load(*store);
  ASSERT_EQ(snap.identities.size(), 1u);
  EXPECT_EQ(snap.identities[0].inbox_seq, 50);
  ASSERT_EQ(snap.room_high_waters.size(), 1u);
  EXPECT_EQ(snap.room_high_waters[0].next_seq, 100);
}

TEST(SqliteStore, DeleteIdentityCascadesToProfileDmsAndCursorsOfThatHandleOnly) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  for (const char* h : {"alice", "bob"}) {
    store->upsert_identity(identity(h), testing::ignore());
    store->upsert_profile(profile(h), testing::ignore());
    store->insert_dm(dm(h, 1), testing::ignore());
    store->insert_dm(dm(h, 2), testing::ignore());
    store->upsert_claim_cursor({h, "room-a", 1, 1}, testing::ignore());
    store->upsert_claim_cursor({h, "room-b", 1, 1}, testing::ignore());
  }
  store->upsert_room_high_water({"room-a", 10}, testing::ignore());
  auto deleted = sync([&](Done d) { store->delete_identity("alice", std::move(d)); });
  ASSERT_TRUE(deleted.ok()) << deleted.error().detail;
  store->close();

  store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  Snapshot snap = must_load(*store);
  ASSERT_EQ(snap.identities.size(), 1u);
  EXPECT_EQ(snap.identities[0].handle, "bob");
  ASSERT_EQ(snap.profiles.size(), 1u);
  EXPECT_EQ(snap.profiles[0].handle, "bob");
  ASSERT_EQ(snap.dms.size(), 2u);
  for (const auto& d : snap.dms) EXPECT_EQ(d.recipient, "bob");
  ASSERT_EQ(snap.claim_cursors.size(), 2u);
  for (const auto& c : snap.claim_cursors) EXPECT_EQ(c.handle, "bob");
  EXPECT_EQ(snap.room_high_waters.size(), 1u);  // rooms are nobody's
}

TEST(SqliteStore, TargetedDeletes) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  store->upsert_identity(identity("alice"), testing::ignore());
  store->upsert_profile(profile("alice"), testing::ignore());
  store->insert_dm(dm("alice", 1, /*ts=*/100), testing::ignore());
  store->insert_dm(dm("alice", 2, /*ts=*/200), testing::ignore());
  store->insert_dm(dm("alice", 3, /*ts=*/300), testing::ignore());
  store->insert_dm(dm("bob", 1, /*ts=*/100), testing::ignore());
  store->upsert_claim_cursor({"alice", "room-a", 1, 1}, testing::ignore());
  store->upsert_claim_cursor({"alice", "room-b", 1, 1}, testing::ignore());

  store->delete_profile("alice", testing::ignore());
  store->delete_dm("alice", dm("alice", 3).id, testing::ignore());
  store->delete_dm("bob", dm("alice", 2).id, testing::ignore());  // another inbox's id: no-op
  store->delete_dms_older_than(200, testing::ignore());           // strictly older
  store->delete_claim_cursor("alice", "room-a", testing::ignore());
  auto last = sync([&](Done d) { store->delete_dm("alice", "no-such-id", std::move(d)); });
  EXPECT_TRUE(last.ok());  // deleting nothing is not an error

  Snapshot snap = must_load(*store);
  EXPECT_EQ(snap.identities.size(), 1u);
  EXPECT_TRUE(snap.profiles.empty());
  EXPECT_EQ(snap.dms, std::vector<DmRecord>{dm("alice", 2, 200)});
  ASSERT_EQ(snap.claim_cursors.size(), 1u);
  EXPECT_EQ(snap.claim_cursors[0].room_key, "room-b");
}

TEST(SqliteStore, InsertDmIsIdempotent) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  DmRecord first = dm("alice", 1);
  store->insert_dm(first, testing::ignore());
  auto again = sync([&](Done d) { store->insert_dm(first, std::move(d)); });
  EXPECT_TRUE(again.ok()) << again.error().detail;
  Snapshot snap = must_load(*store);
  EXPECT_EQ(snap.dms, std::vector<DmRecord>{first});
}

TEST(SqliteStore, LoadSeesWritesQueuedBeforeItWithoutFlush) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 100; ++i) store->insert_dm(dm("alice", i), testing::ignore());
  EXPECT_EQ(must_load(*store).dms.size(), 100u);
}

TEST(SqliteStore, ConcurrentWritersFromManyThreads) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store->insert_dm(dm("h" + std::to_string(t), i), [&](core::Result<bool> r) {
          if (r.ok()) ok.fetch_add(1);
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  store->flush();
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(must_load(*store).dms.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(store->stats().pending, 0u);
}

TEST(SqliteStore, DoneMayQueueAnotherWrite) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  auto chained = sync([&](Done outer) {
    store->upsert_identity(identity("alice"),
                           [&store, outer = std::move(outer)](core::Result<bool>) mutable {
                             store->set_inbox_seq("alice", 9, std::move(outer));
                           });
  });
  ASSERT_TRUE(chained.ok());
  EXPECT_EQ(must_load(*store).identities.at(0).inbox_seq, 9);
}

TEST(SqliteStore, ThrowingDoneDoesNotStopTheWriter) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  store->upsert_identity(identity("alice"),
                         [](core::Result<bool>) { throw std::runtime_error("caller bug"); });
  auto next = sync([&](Done d) { store->upsert_identity(identity("bob"), std::move(d)); });
  EXPECT_TRUE(next.ok());
  EXPECT_EQ(must_load(*store).identities.size(), 2u);
}

TEST(SqliteStore, AfterCloseWritesFailAtOnceAndLoadIsAnError) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  store->upsert_identity(identity("alice"), testing::ignore());
  store->close();
  store->close();  // idempotent
  store->flush();  // returns at once
  bool called = false;
  store->upsert_identity(identity("bob"), [&](core::Result<bool> r) {
    called = true;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().error, "storage error");
  });
  EXPECT_TRUE(called);  // synchronously: nobody is left to run it later
  auto loaded = store->load();
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().error, "storage error");
  EXPECT_FALSE(set_sqlite_max_page_count(*store, 10));
}

TEST(SqliteStore, DestructorCommitsQueuedWrites) {
  ScratchDir dir;
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 50; ++i) store->insert_dm(dm("alice", i), testing::ignore());
  }
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(must_load(*store).dms.size(), 50u);
}

}  // namespace
}  // namespace b2b::store
