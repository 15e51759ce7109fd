// Webhooks in the SQLite store (issue 10): hooks and delivery state survive a reopen, deleting
// a hook or its owner's identity takes its deliveries along, and the sweep keeps pending ones.
#include <gtest/gtest.h>

#include "store/sqlite_store.h"
#include "store_test_util.h"

namespace b2b::store {
namespace {

using testing::delivery;
using testing::hook;
using testing::identity;
using testing::must_load;
using testing::must_open;
using testing::ScratchDir;
using testing::sync;

TEST(SqliteWebhooks, HooksAndDeliveriesSurviveAReopen) {
  ScratchDir dir;
  {
    auto store = must_open(dir.data_dir());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(sync([&](Done d) { store->upsert_webhook(hook("h1", "alice", ""), d); }));
    ASSERT_TRUE(sync([&](Done d) { store->upsert_webhook(hook("h2", "bob", "rk"), d); }));
    ASSERT_TRUE(sync(
        [&](Done d) { store->upsert_webhook_delivery(delivery("d1", "h1", "pending", 10), d); }));
    auto updated = delivery("d1", "h1", "delivered", 20);
    updated.attempts = 3;
    ASSERT_TRUE(sync([&](Done d) { store->upsert_webhook_delivery(updated, d); }));
  }
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  Snapshot s = must_load(*store);
  ASSERT_EQ(s.webhooks.size(), 2u);
  EXPECT_EQ(s.webhooks[0], hook("h1", "alice", ""));
  EXPECT_EQ(s.webhooks[1], hook("h2", "bob", "rk"));
  ASSERT_EQ(s.webhook_deliveries.size(), 1u);
  EXPECT_EQ(s.webhook_deliveries[0].state, "delivered");
  EXPECT_EQ(s.webhook_deliveries[0].attempts, 3);
}

TEST(SqliteWebhooks, DeletingAHookOrItsOwnerDeletesItsDeliveries) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(sync([&](Done d) { store->upsert_identity(identity("alice"), d); }));
  ASSERT_TRUE(sync([&](Done d) { store->upsert_webhook(hook("h1", "alice", ""), d); }));
  ASSERT_TRUE(sync([&](Done d) { store->upsert_webhook(hook("h2", "alice", "rk"), d); }));
  ASSERT_TRUE(sync([&](Done d) { store->upsert_webhook(hook("h3", "carol", ""), d); }));
  for (const char* h : {"h1", "h2", "h3"}) {
    ASSERT_TRUE(sync([&](Done d) {
      store->upsert_webhook_delivery(delivery(std::string("d-") + h, h, "pending", 10), d);
    }));
  }
  ASSERT_TRUE(sync([&](Done d) { store->delete_webhook("h3", d); }));
  Snapshot s = must_load(*store);
  EXPECT_EQ(s.webhooks.size(), 2u);
  EXPECT_EQ(s.webhook_deliveries.size(), 2u);

  ASSERT_TRUE(sync([&](Done d) { store->delete_identity("alice", d); }));
  s = must_load(*store);
  EXPECT_TRUE(s.webhooks.empty());
  EXPECT_TRUE(s.webhook_deliveries.empty());
}

TEST(SqliteWebhooks, SweepForgetsOldFinishedDeliveriesOnly) {
  ScratchDir dir;
  auto store = must_open(dir.data_dir());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(sync([&](Done d) { store->upsert_webhook(hook("h1", "alice", ""), d); }));
  ASSERT_TRUE(sync(
      [&](Done d) { store->upsert_webhook_delivery(delivery("old", "h1", "failed", 10), d); }));
  ASSERT_TRUE(sync(
      [&](Done d) { store->upsert_webhook_delivery(delivery("stuck", "h1", "pending", 10), d); }));
  ASSERT_TRUE(sync(
      [&](Done d) { store->upsert_webhook_delivery(delivery("new", "h1", "delivered", 90), d); }));
  ASSERT_TRUE(sync([&](Done d) { store->delete_webhook_deliveries_before(50, d); }));
  Snapshot s = must_load(*store);
  ASSERT_EQ(s.webhook_deliveries.size(), 2u);
  for (const auto& d : s.webhook_deliveries) EXPECT_NE(d.id, "old");
}

}  // namespace
}  // namespace b2b::store
