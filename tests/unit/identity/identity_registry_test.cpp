// IDENTITY.md §2.5: the registry's write-through, activity touch, inbox seqs and the
// capacity collector (identity/identity_registry.cpp), on a real SQLite store.
#include "identity/identity_registry.h"

#include <gtest/gtest.h>

#include "../store/store_test_util.h"

namespace b2b::identity {
namespace {

using store::testing::must_open;
using store::testing::ScratchDir;

Identity make(const std::string& handle, int64_t active_at) {
  Identity id;
  id.handle = handle;
  id.box_pub = std::string(43, 'B') + "=";
  id.sign_pub = std::string(43, 'S') + "=";
  id.registered_at = id.updated_at = id.last_seen_at = active_at;
  return id;
}

TEST(IdentityRegistry, InsertIsDurableAndRefusesATakenHandle) {
  ScratchDir dir;
  {
    auto s = must_open(dir.data_dir());
    IdentityRegistry reg(*s, 60'000);
    EXPECT_TRUE(reg.insert(make("alice", 1000), store::testing::ignore()));
    EXPECT_FALSE(reg.insert(make("alice", 2000), store::testing::ignore()));
    EXPECT_EQ(reg.find("alice")->registered_at, 1000);
    s->flush();
  }
  auto s = must_open(dir.data_dir());
  IdentityRegistry reg(*s, 60'000);
  reg.load(s->load().value().identities);
  ASSERT_NE(reg.find("alice"), nullptr);
  EXPECT_EQ(reg.size(), 1u);
}

TEST(IdentityRegistry, TouchIsThrottledAndRefreshReplacesTheBoxKey) {
  ScratchDir dir;
  auto s = must_open(dir.data_dir());
  IdentityRegistry reg(*s, 60'000);
  reg.insert(make("alice", 1000), store::testing::ignore());
  reg.touch("alice", 30'000);  // within 60 s of the last activity: skipped
  EXPECT_EQ(reg.find("alice")->last_seen_at, 1000);
  reg.touch("alice", 70'000);
  EXPECT_EQ(reg.find("alice")->last_seen_at, 70'000);
  reg.refresh("alice", "NEWKEY", 80'000, store::testing::ignore());  // §9 W3
  EXPECT_EQ(reg.find("alice")->box_pub, "NEWKEY");
  EXPECT_EQ(reg.find("alice")->registered_at, 1000);
}

TEST(IdentityRegistry, InboxSeqsStartAtTheClockThenRiseByOneAcrossRestarts) {
  ScratchDir dir;
  {
    auto s = must_open(dir.data_dir());
    IdentityRegistry reg(*s, 60'000);
    reg.insert(make("alice", 1000), store::testing::ignore());
    EXPECT_EQ(reg.next_inbox_seq("alice", 5000, store::testing::ignore()), 5001);
    EXPECT_EQ(reg.next_inbox_seq("alice", 9000, store::testing::ignore()), 5002);
    EXPECT_EQ(reg.next_inbox_seq("nobody", 9000, store::testing::ignore()), std::nullopt);
    s->flush();
  }
  auto s = must_open(dir.data_dir());
  IdentityRegistry reg(*s, 60'000);
  reg.load(s->load().value().identities);
  EXPECT_EQ(reg.next_inbox_seq("alice", 1, store::testing::ignore()), 5003);
}

TEST(IdentityRegistry, CollectorRemovesTheLeastRecentlyActiveFirstAndSparesTheKept) {
  ScratchDir dir;
  auto s = must_open(dir.data_dir());
  IdentityRegistry reg(*s, 60'000);
  reg.insert(make("old-b", 100), store::testing::ignore());
  reg.insert(make("old-a", 100), store::testing::ignore());  // same activity: handle order
  reg.insert(make("admin", 50), store::testing::ignore());   // kept (reserved)
  reg.insert(make("recent", 10'000), store::testing::ignore());
  auto removed = reg.collect_inactive(2, /*inactive_before_ms=*/5000,
                                      [](const std::string& h) { return h == "admin"; });
  EXPECT_EQ(removed, (std::vector<std::string>{"old-a", "old-b"}));
  EXPECT_EQ(reg.size(), 2u);
  EXPECT_NE(reg.find("admin"), nullptr);
  EXPECT_NE(reg.find("recent"), nullptr);
  // Nothing inactive enough is left: the collector stops above its target.
  EXPECT_TRUE(
      reg.collect_inactive(0, 5000, [](const std::string& h) { return h == "admin"; }).empty());
  s->flush();
  EXPECT_EQ(s->load().value().identities.size(), 2u);  // the store forgot them too
}

}  // namespace
}  // namespace b2b::identity
