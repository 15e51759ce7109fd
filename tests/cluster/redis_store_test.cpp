// src/cluster/redis_store.*: the Store contract against a real redis-server — the same cases as
// the SQLite store's tests (tests/unit/store), with "reopen" meaning a new RedisStore (another
// node, or a restarted one) on the same Redis.
#include "cluster/redis_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "store_test_util.h"

namespace b2b::cluster {
namespace {

using namespace store;
using testing::delivery;
using testing::dm;
using testing::hook;
using testing::identity;
using testing::must_load;
using testing::open_store;
using testing::profile;
using testing::RedisServer;
using testing::sync;

#define REQUIRE_REDIS() \
  if (!testing::redis_server_available()) GTEST_SKIP() << "redis-server is not installed"

TEST(RedisStore, RoundTripsEveryRecordTypeToAnotherNode) {
  REQUIRE_REDIS();
  RedisServer server;
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
  WebhookRecord dm_hook = hook("h1", "alice", "");
  WebhookDeliveryRecord pending = delivery("d1", "h1", "pending", 10);
  {
    auto node = open_store(server);
    ASSERT_NE(node, nullptr);
    // Issued without waiting, in an order that does not match the snapshot's.
    node->insert_dm(signed_dm, testing::ignore());
    node->insert_dm(anonymous, testing::ignore());
    node->upsert_identity(alice, testing::ignore());
    node->upsert_profile(alice_profile, testing::ignore());
    node->upsert_claim_cursor(cursor, testing::ignore());
    node->upsert_room_high_water(high_water, testing::ignore());
    node->upsert_webhook(dm_hook, testing::ignore());
    node->upsert_webhook_delivery(pending, testing::ignore());
    node->close();
    EXPECT_EQ(node->stats().writes_ok, 8u);
  }
  auto other = open_store(server);
  ASSERT_NE(other, nullptr);
  Snapshot snap = must_load(*other);
  EXPECT_EQ(snap.identities, std::vector<IdentityRecord>{alice});
  EXPECT_EQ(snap.profiles, std::vector<ProfileRecord>{alice_profile});
  EXPECT_EQ(snap.dms, (std::vector<DmRecord>{anonymous, signed_dm}));
  EXPECT_EQ(snap.claim_cursors, std::vector<ClaimCursorRecord>{cursor});
  EXPECT_EQ(snap.room_high_waters, std::vector<RoomHighWater>{high_water});
  EXPECT_EQ(snap.webhooks, std::vector<WebhookRecord>{dm_hook});
  EXPECT_EQ(snap.webhook_deliveries, std::vector<WebhookDeliveryRecord>{pending});
}

TEST(RedisStore, EveryNodeSharesOneRoomKeySecret) {
  REQUIRE_REDIS();
  RedisServer server;
  auto a = open_store(server);
  auto b = open_store(server);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(a->room_key_secret().size(), 64u);  // 32 random bytes as hex
  EXPECT_EQ(a->room_key_secret(), b->room_key_secret());
  EXPECT_EQ(room_key_for(a->room_key_secret(), "room"), room_key_for(b->room_key_secret(), "room"));
  EXPECT_NE(a->node_id(), b->node_id());
  RedisServer elsewhere;  // another deployment: another secret
  auto c = open_store(elsewhere);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->room_key_secret(), a->room_key_secret());
}

TEST(RedisStore, UpsertsReplaceInPlace) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
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

// Two nodes registering one handle at once: the first insert wins, the second writes nothing
// and says so, and a later upsert (an owner's refresh) still replaces.
TEST(RedisStore, InsertIdentityWritesOnlyANewHandle) {
  REQUIRE_REDIS();
  RedisServer server;
  auto first = open_store(server);
  auto second = open_store(server);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  IdentityRecord alice = identity("alice");
  IdentityRecord rival = identity("alice");
  rival.sign_pub = "another-key";
  auto won = sync([&](Done d) { first->insert_identity(alice, std::move(d)); });
  auto lost = sync([&](Done d) { second->insert_identity(rival, std::move(d)); });
  ASSERT_TRUE(won.ok() && lost.ok());
  EXPECT_TRUE(won.value());
  EXPECT_FALSE(lost.value());
  EXPECT_EQ(must_load(*second).identities, std::vector<IdentityRecord>{alice});
  auto bob = sync([&](Done d) { second->insert_identity(identity("bob"), std::move(d)); });
  ASSERT_TRUE(bob.ok());
  EXPECT_TRUE(bob.value());
  alice.box_pub = "box2";
  ASSERT_TRUE(sync([&](Done d) { second->upsert_identity(alice, std::move(d)); }).ok());
  EXPECT_EQ(must_load(*first).identities, (std::vector<IdentityRecord>{alice, identity("bob")}));
}

TEST(RedisStore, InboxSeqAndRoomHighWaterNeverGoDown) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  store->upsert_identity(identity("alice"), testing::ignore());
  store->set_inbox_seq("alice", 50, testing::ignore());
  store->set_inbox_seq("alice", 40, testing::ignore());          // stale: ignored
  store->upsert_identity(identity("alice"), testing::ignore());  // inbox_seq 0: keeps 50
  store->set_inbox_seq("nobody", 7, testing::ignore());          // unknown handle: nothing appears
  store->upsert_room_high_water({"room", 1767225600100}, testing::ignore());
  store->upsert_room_high_water({"room", 1767225600090}, testing::ignore());
  Snapshot snap = must_load(*store);
  ASSERT_EQ(snap.identities.size(), 1u);
  EXPECT_EQ(snap.identities[0].inbox_seq, 50);
  ASSERT_EQ(snap.room_high_waters.size(), 1u);
  EXPECT_EQ(snap.room_high_waters[0].next_seq, 1767225600100);
}

TEST(RedisStore, DeleteIdentityCascadesToEverythingOfThatHandleOnly) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  for (const std::string h : {"alice", "bob"}) {
    store->upsert_identity(identity(h), testing::ignore());
    store->upsert_profile(profile(h), testing::ignore());
    store->insert_dm(dm(h, 1), testing::ignore());
    store->insert_dm(dm(h, 2), testing::ignore());
    store->upsert_claim_cursor({h, "room-a", 1, 1}, testing::ignore());
    store->upsert_claim_cursor({h, "room-b", 1, 1}, testing::ignore());
    store->upsert_webhook(hook("dm-" + h, h, ""), testing::ignore());
    store->upsert_webhook(hook("room-" + h, h, "room-a"), testing::ignore());
    store->upsert_webhook_delivery(delivery("d-" + h, "dm-" + h, "pending", 10), testing::ignore());
  }
  store->upsert_room_high_water({"room-a", 10}, testing::ignore());
  auto deleted = sync([&](Done d) { store->delete_identity("alice", std::move(d)); });
  ASSERT_TRUE(deleted.ok()) << deleted.error().detail;

  auto other = open_store(server);
  ASSERT_NE(other, nullptr);
  Snapshot snap = must_load(*other);
  ASSERT_EQ(snap.identities.size(), 1u);
  EXPECT_EQ(snap.identities[0].handle, "bob");
  ASSERT_EQ(snap.profiles.size(), 1u);
  EXPECT_EQ(snap.profiles[0].handle, "bob");
  EXPECT_EQ(snap.dms, (std::vector<DmRecord>{dm("bob", 1), dm("bob", 2)}));
  ASSERT_EQ(snap.claim_cursors.size(), 2u);
  for (const auto& c : snap.claim_cursors) EXPECT_EQ(c.handle, "bob");
  EXPECT_EQ(snap.room_high_waters.size(), 1u);  // rooms are nobody's
  EXPECT_EQ(snap.webhooks, (std::vector<WebhookRecord>{hook("dm-bob", "bob", ""),
                                                       hook("room-bob", "bob", "room-a")}));
  ASSERT_EQ(snap.webhook_deliveries.size(), 1u);
  EXPECT_EQ(snap.webhook_deliveries[0].id, "d-bob");

  // The DM sweep no longer finds alice's envelopes: nothing of hers is left in any index.
  ASSERT_TRUE(sync([&](Done d) { other->delete_dms_older_than(1'000'000, std::move(d)); }));
  EXPECT_TRUE(must_load(*other).dms.empty());
}

TEST(RedisStore, TargetedDeletes) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
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

TEST(RedisStore, InsertDmIsIdempotentByIdAndNeverReplacesAnotherDmsSeq) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  DmRecord first = dm("alice", 1);
  store->insert_dm(first, testing::ignore());
  auto again = sync([&](Done d) { store->insert_dm(first, std::move(d)); });
  EXPECT_TRUE(again.ok()) << again.error().detail;
  EXPECT_EQ(must_load(*store).dms, std::vector<DmRecord>{first});

  DmRecord same_id = dm("alice", 5);  // (recipient, id) taken: the old seq goes
  same_id.id = first.id;
  store->insert_dm(same_id, testing::ignore());
  EXPECT_EQ(must_load(*store).dms, std::vector<DmRecord>{same_id});
  // (recipient, seq) held by another envelope: refused, nothing replaced (two nodes may pick
  // one inbox seq; the second sender gets a 503 and retries).
  DmRecord same_seq = dm("alice", 5);
  same_seq.id = "other";
  auto taken = sync([&](Done d) { store->insert_dm(same_seq, std::move(d)); });
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().error, "storage error");
  EXPECT_NE(taken.error().detail.find("SEQTAKEN"), std::string::npos) << taken.error().detail;
  EXPECT_EQ(must_load(*store).dms, std::vector<DmRecord>{same_id});
}

TEST(RedisStore, DmOrderIsByRecipientThenSeq) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  for (int64_t seq : {30, 4, 200, 1}) {
    store->insert_dm(dm("zed", seq), testing::ignore());
    store->insert_dm(dm("amy", seq), testing::ignore());
  }
  std::vector<std::pair<std::string, int64_t>> order;
  for (const auto& d : must_load(*store).dms) order.emplace_back(d.recipient, d.seq);
  EXPECT_EQ(order, (std::vector<std::pair<std::string, int64_t>>{{"amy", 1},
                                                                 {"amy", 4},
                                                                 {"amy", 30},
                                                                 {"amy", 200},
                                                                 {"zed", 1},
                                                                 {"zed", 4},
                                                                 {"zed", 30},
                                                                 {"zed", 200}}));
}

TEST(RedisStore, SweepsRunInBatchesUntilNothingOldIsLeft) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  constexpr int kOld = 2 * kSweepBatch + 17;
  for (int i = 0; i < kOld; ++i) {
    store->insert_dm(dm("h" + std::to_string(i % 7), i, /*ts=*/100), testing::ignore());
    store->upsert_webhook_delivery(delivery("old" + std::to_string(i), "h1", "failed", 10),
                                   testing::ignore());
  }
  store->insert_dm(dm("h1", 100'000, /*ts=*/900), testing::ignore());
  store->upsert_webhook_delivery(delivery("stuck", "h1", "pending", 10), testing::ignore());
  store->upsert_webhook_delivery(delivery("new", "h1", "delivered", 90), testing::ignore());
  ASSERT_TRUE(sync([&](Done d) { store->delete_dms_older_than(500, std::move(d)); }));
  ASSERT_TRUE(sync([&](Done d) { store->delete_webhook_deliveries_before(50, std::move(d)); }));
  Snapshot s = must_load(*store);
  EXPECT_EQ(s.dms, std::vector<DmRecord>{dm("h1", 100'000, 900)});
  std::vector<std::string> left;
  for (const auto& d : s.webhook_deliveries) left.push_back(d.id);
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"new", "stuck"}));
}

TEST(RedisStore, DeletingAHookDeletesItsDeliveriesAndMovingItChangesItsOwner) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  store->upsert_webhook(hook("h1", "alice", ""), testing::ignore());
  store->upsert_webhook(hook("h2", "alice", "rk"), testing::ignore());
  store->upsert_webhook_delivery(delivery("d1", "h1", "pending", 10), testing::ignore());
  store->upsert_webhook_delivery(delivery("d2", "h2", "pending", 10), testing::ignore());
  auto updated = delivery("d1", "h1", "delivered", 20);
  updated.attempts = 3;
  store->upsert_webhook_delivery(updated, testing::ignore());
  store->upsert_webhook(hook("h2", "carol", "rk"), testing::ignore());  // h2 now carol's
  ASSERT_TRUE(sync([&](Done d) { store->delete_webhook("h1", std::move(d)); }));
  Snapshot s = must_load(*store);
  EXPECT_EQ(s.webhooks, std::vector<WebhookRecord>{hook("h2", "carol", "rk")});
  ASSERT_EQ(s.webhook_deliveries.size(), 1u);
  EXPECT_EQ(s.webhook_deliveries[0].id, "d2");
  ASSERT_TRUE(sync([&](Done d) { store->delete_identity("alice", std::move(d)); }));
  EXPECT_EQ(must_load(*store).webhooks.size(), 1u);  // no longer alice's
  ASSERT_TRUE(sync([&](Done d) { store->delete_identity("carol", std::move(d)); }));
  s = must_load(*store);
  EXPECT_TRUE(s.webhooks.empty());
  EXPECT_TRUE(s.webhook_deliveries.empty());
}

TEST(RedisStore, ConcurrentWritersFromManyThreadsAndLoadWithoutFlush) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::atomic<int> ok{0};
  std::atomic<bool> on_caller_thread{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const auto me = std::this_thread::get_id();
      for (int i = 0; i < kPerThread; ++i) {
        store->insert_dm(dm("h" + std::to_string(t), i), [&ok, &on_caller_thread, me](auto r) {
          if (r.ok()) ok.fetch_add(1);
          if (std::this_thread::get_id() == me) on_caller_thread = true;
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  // load() without flush() sees them all.
  EXPECT_EQ(must_load(*store).dms.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_FALSE(on_caller_thread.load());  // Done runs on the store's thread
  const StoreStats stats = store->stats();
  EXPECT_EQ(stats.pending, 0u);
  EXPECT_EQ(stats.writes_ok, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(stats.writes_failed, 0u);
}

TEST(RedisStore, DoneMayQueueAnotherWriteAndAThrowingDoneStopsNothing) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  auto chained = sync([&](Done outer) {
    store->upsert_identity(identity("alice"),
                           [&store, outer = std::move(outer)](core::Result<bool>) mutable {
                             store->set_inbox_seq("alice", 9, std::move(outer));
                           });
  });
  ASSERT_TRUE(chained.ok());
  store->upsert_identity(identity("bob"),
                         [](core::Result<bool>) { throw std::runtime_error("caller bug"); });
  auto next = sync([&](Done d) { store->upsert_identity(identity("carol"), std::move(d)); });
  EXPECT_TRUE(next.ok());
  Snapshot s = must_load(*store);
  ASSERT_EQ(s.identities.size(), 3u);
  EXPECT_EQ(s.identities[0].inbox_seq, 9);
}

TEST(RedisStore, FlushWaitsForEveryQueuedDone) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  std::atomic<int> done{0};
  for (int i = 0; i < 2000; ++i) {
    store->upsert_claim_cursor({"h", "room" + std::to_string(i), i, i},
                               [&done](core::Result<bool>) { done.fetch_add(1); });
  }
  store->flush();
  EXPECT_EQ(done.load(), 2000);
  EXPECT_EQ(store->stats().pending, 0u);
}

TEST(RedisStore, AfterCloseWritesFailAtOnceAndLoadIsAnError) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
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
  // close() flushed: alice reached Redis.
  auto other = open_store(server);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(must_load(*other).identities.size(), 1u);
}

}  // namespace
}  // namespace b2b::cluster
