// ROOMS.md §10.1 (rate-limit bucket families) and §10.2/§18.5 (concurrency caps whose
// units are released exactly once).
#include "core/limiters.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace b2b::core {
namespace {

TEST(RateLimiter, KeysHaveIndependentBuckets) {
  RateLimiter rl(2, 1);
  EXPECT_TRUE(rl.allow("1.2.3.4|room:abcd", 0));
  EXPECT_TRUE(rl.allow("1.2.3.4|room:abcd", 0));
  EXPECT_FALSE(rl.allow("1.2.3.4|room:abcd", 0));
  EXPECT_TRUE(rl.allow("1.2.3.4|room:efgh", 0));  // new bucket starts full
  EXPECT_TRUE(rl.allow("5.6.7.8|room:abcd", 0));
  EXPECT_EQ(rl.size(), 3u);
}

TEST(RateLimiter, RefillsOverTime) {
  RateLimiter rl(1, 10);  // one token per 100 ms
  ASSERT_TRUE(rl.allow("k", 0));
  EXPECT_FALSE(rl.allow("k", 50));
  EXPECT_TRUE(rl.allow("k", 100));
  EXPECT_FALSE(rl.allow("k", 100));
}

TEST(RateLimiter, SweepDropsOnlyIdleBuckets) {
  RateLimiter rl(5, 1);
  rl.allow("old", 0);
  rl.allow("fresh", 200'000);
  rl.sweep(300'000, 300'000);  // "old" idle exactly 300 s: kept
  EXPECT_EQ(rl.size(), 2u);
  rl.sweep(300'001, 300'000);
  EXPECT_EQ(rl.size(), 1u);
  // A swept key comes back full.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(rl.allow("old", 300'002));
  EXPECT_FALSE(rl.allow("old", 300'002));
}

TEST(RateLimiter, ConcurrentCallersNeverExceedCapacity) {
  RateLimiter rl(1000, 0);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) allowed += rl.allow("shared", 0);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1000);
}

// --global-rate-limits: what a node took is drained once per sync, refusals count nothing, and
// a clamp to the shared bucket's level (even a debt) holds the local bucket down until it
// refills past it.
TEST(RateLimiter, CountsTakenTokensAndClampsToTheSharedLevel) {
  RateLimiter rl(5, 1);
  rl.count_taken();
  for (int i = 0; i < 7; ++i) rl.allow("a", 1000);  // 5 taken, 2 refused
  rl.allow("b", 1000);
  auto taken = rl.drain_taken();
  std::sort(taken.begin(), taken.end(), [](auto& x, auto& y) { return x.key < y.key; });
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].key, "a");
  EXPECT_EQ(taken[0].tokens, 5.0);
  EXPECT_EQ(taken[1].key, "b");
  EXPECT_EQ(taken[1].tokens, 1.0);
  EXPECT_TRUE(rl.drain_taken().empty());

  rl.clamp("b", -2.0);  // the other nodes spent b's bucket and more
  EXPECT_FALSE(rl.allow("b", 1000));
  EXPECT_FALSE(rl.allow("b", 3000));  // -2 + 2 s of refill = 0
  EXPECT_TRUE(rl.allow("b", 4000));   // 1 token
  rl.clamp("b", 10.0);                // a clamp never raises a bucket
  EXPECT_FALSE(rl.allow("b", 4000));
  rl.clamp("unknown", 0.0);  // nothing to clamp: no bucket appears
  EXPECT_TRUE(rl.allow("unknown", 4000));
}

TEST(RateLimiter, CountsNothingUnlessAsked) {
  RateLimiter rl(5, 1);
  EXPECT_TRUE(rl.allow("a", 0));
  EXPECT_TRUE(rl.drain_taken().empty());
}

TEST(ConcurrencyLimiter, AcquiresUpToTheCap) {
  ConcurrencyLimiter cl(2);
  Slot a = cl.try_acquire("ip");
  Slot b = cl.try_acquire("ip");
  Slot c = cl.try_acquire("ip");
  EXPECT_TRUE(a.held());
  EXPECT_TRUE(b.held());
  EXPECT_FALSE(c.held());
  EXPECT_EQ(cl.count("ip"), 2);
  Slot other = cl.try_acquire("other-ip");
  EXPECT_TRUE(other.held());
  EXPECT_EQ(cl.count("other-ip"), 1);
}

TEST(ConcurrencyLimiter, DestroyingASlotReleasesItsUnit) {
  ConcurrencyLimiter cl(1);
  {
    Slot a = cl.try_acquire("ip");
    ASSERT_TRUE(a.held());
    EXPECT_FALSE(cl.try_acquire("ip").held());
  }
  EXPECT_EQ(cl.count("ip"), 0);
  EXPECT_TRUE(cl.try_acquire("ip").held());
}

TEST(ConcurrencyLimiter, ExplicitReleaseIsIdempotent) {
  ConcurrencyLimiter cl(3);
  Slot a = cl.try_acquire("ip");
  Slot b = cl.try_acquire("ip");
  a.release();
  EXPECT_FALSE(a.held());
  EXPECT_EQ(cl.count("ip"), 1);
  a.release();  // second release: nothing
  EXPECT_EQ(cl.count("ip"), 1);
  EXPECT_TRUE(b.held());
}

TEST(ConcurrencyLimiter, MoveConstructionTransfersOwnership) {
  ConcurrencyLimiter cl(5);
  {
    Slot a = cl.try_acquire("ip");
    Slot b(std::move(a));
    EXPECT_FALSE(a.held());  // NOLINT(bugprone-use-after-move)
    EXPECT_TRUE(b.held());
    EXPECT_EQ(cl.count("ip"), 1);
  }
  EXPECT_EQ(cl.count("ip"), 0);  // released once, not twice (count would go negative/erase)
  Slot x = cl.try_acquire("ip");
  Slot y = cl.try_acquire("ip");
  EXPECT_EQ(cl.count("ip"), 2);
}

TEST(ConcurrencyLimiter, MoveAssignReleasesTheOverwrittenSlotOnce) {
  ConcurrencyLimiter cl(5);
  Slot a = cl.try_acquire("A");
  Slot b = cl.try_acquire("B");
  Slot a2 = cl.try_acquire("A");
  EXPECT_EQ(cl.count("A"), 2);
  a = std::move(b);  // a's "A" unit released, a now holds "B"
  EXPECT_EQ(cl.count("A"), 1);
  EXPECT_EQ(cl.count("B"), 1);
  EXPECT_TRUE(a.held());
  EXPECT_FALSE(b.held());  // NOLINT(bugprone-use-after-move)
  a.release();
  EXPECT_EQ(cl.count("B"), 0);
  EXPECT_EQ(cl.count("A"), 1);  // a2 untouched
}

TEST(ConcurrencyLimiter, MoveAssignIntoEmptyAndSelfMoveAreSafe) {
  ConcurrencyLimiter cl(5);
  Slot empty;
  EXPECT_FALSE(empty.held());
  Slot a = cl.try_acquire("ip");
  empty = std::move(a);
  EXPECT_TRUE(empty.held());
  EXPECT_EQ(cl.count("ip"), 1);
  Slot& self = empty;
  empty = std::move(self);
  EXPECT_TRUE(empty.held());
  EXPECT_EQ(cl.count("ip"), 1);
  empty = Slot{};  // assigning an empty slot releases the held one
  EXPECT_FALSE(empty.held());
  EXPECT_EQ(cl.count("ip"), 0);
}

TEST(ConcurrencyLimiter, ZeroCapRefusesEverything) {
  ConcurrencyLimiter cl(0);
  EXPECT_FALSE(cl.try_acquire("ip").held());
  EXPECT_EQ(cl.count("ip"), 0);
}

TEST(ConcurrencyLimiter, ConcurrentAcquireReleaseBalances) {
  ConcurrencyLimiter cl(1'000'000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        Slot s = cl.try_acquire("ip");
        Slot moved = std::move(s);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(cl.count("ip"), 0);
}

}  // namespace
}  // namespace b2b::core
