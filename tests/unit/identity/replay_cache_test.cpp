// The time-bucketed replay cache (IDENTITY.md §1.10, §9 W14; ROOMS.md §20.7).
#include "identity/replay_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace b2b::identity {
namespace {

using Outcome = ReplayCache::Outcome;
constexpr int64_t kNow = 1'767'225'600'000;

TEST(ReplayCache, SecondUseIsAReplayPerHandle) {
  ReplayCache cache;
  EXPECT_EQ(cache.check_and_record("alice", "nonce-1", kNow, kNow), Outcome::kFresh);
  EXPECT_EQ(cache.check_and_record("alice", "nonce-1", kNow, kNow + 1), Outcome::kReplay);
  EXPECT_EQ(cache.check_and_record("alice", "nonce-1", kNow + 5000, kNow + 1), Outcome::kReplay);
  EXPECT_EQ(cache.check_and_record("bob", "nonce-1", kNow, kNow), Outcome::kFresh);
  EXPECT_EQ(cache.check_and_record("alice", "nonce-2", kNow, kNow), Outcome::kFresh);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(ReplayCache, HandleAndNonceCannotCollide) {
  ReplayCache cache;
  EXPECT_EQ(cache.check_and_record("ab", "c", kNow, kNow), Outcome::kFresh);
  EXPECT_EQ(cache.check_and_record("a", "bc", kNow, kNow), Outcome::kFresh);
}

TEST(ReplayCache, CheckAndSeenDoNotRecord) {
  ReplayCache cache;
  EXPECT_EQ(cache.check("alice", "n", kNow, kNow), Outcome::kFresh);
  EXPECT_FALSE(cache.seen("alice", "n", kNow));
  EXPECT_EQ(cache.check_and_record("alice", "n", kNow, kNow), Outcome::kFresh);
  EXPECT_TRUE(cache.seen("alice", "n", kNow));
  EXPECT_EQ(cache.check("alice", "n", kNow, kNow), Outcome::kReplay);
}

TEST(ReplayCache, TsOutsideTheWindowIsNotRecorded) {
  ReplayCache cache(60'000);
  EXPECT_EQ(cache.check_and_record("alice", "n", kNow - 60'001, kNow), Outcome::kOutOfWindow);
  EXPECT_EQ(cache.check_and_record("alice", "n", kNow + 60'001, kNow), Outcome::kOutOfWindow);
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ReplayCache, EntryLivesWhileItsTsCanPassTheSkewCheck) {
  // skew 1000 ms, buckets of 250 ms: ts = 10'000 lies in bucket [10'000, 10'249].
  ReplayCache cache(1000, 100, 100, 250);
  ASSERT_EQ(cache.check_and_record("alice", "n", 10'000, 10'000), Outcome::kFresh);
  // Still blocked at the last instant a request with ts 10'000 is acceptable.
  EXPECT_TRUE(cache.seen("alice", "n", 11'000));
  EXPECT_TRUE(cache.seen("alice", "n", 11'249));  // the bucket's newest ts is still live
  // Once even ts 10'249 is out of the window, the whole bucket is gone.
  EXPECT_FALSE(cache.seen("alice", "n", 11'250));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(ReplayCache, ExpiryDropsWholeBucketsAndFreesHandleCapacity) {
  ReplayCache cache(1000, 2, 100, 250);
  EXPECT_EQ(cache.check_and_record("alice", "a", 10'000, 10'000), Outcome::kFresh);
  EXPECT_EQ(cache.check_and_record("alice", "b", 10'300, 10'300), Outcome::kFresh);
  EXPECT_EQ(cache.check_and_record("alice", "c", 10'300, 10'300), Outcome::kFull);
  // At 11'250 the first bucket expired, the second ([10'250, 10'499]) has not.
  EXPECT_EQ(cache.check_and_record("alice", "c", 11'250, 11'250), Outcome::kFresh);
  EXPECT_TRUE(cache.seen("alice", "b", 11'250));
  EXPECT_EQ(cache.size(), 2u);
}

TEST(ReplayCache, FullNeverEvictsLiveNonces) {
  ReplayCache cache(60'000, 3, 1000);
  for (const char* n : {"n1", "n2", "n3"}) {
    ASSERT_EQ(cache.check_and_record("alice", n, kNow, kNow), Outcome::kFresh);
  }
  EXPECT_EQ(cache.check("alice", "n4", kNow, kNow), Outcome::kFull);
  EXPECT_EQ(cache.check_and_record("alice", "n4", kNow, kNow), Outcome::kFull);
  EXPECT_FALSE(cache.seen("alice", "n4", kNow));  // not recorded
  EXPECT_EQ(cache.check_and_record("alice", "n1", kNow, kNow), Outcome::kReplay);
  EXPECT_EQ(cache.check_and_record("bob", "n4", kNow, kNow), Outcome::kFresh);  // own budget
}

TEST(ReplayCache, GlobalCapIsRespectedAndReclaimedAfterExpiry) {
  ReplayCache cache(1000, 100, 3, 250);
  ASSERT_EQ(cache.check_and_record("a", "1", 10'000, 10'000), Outcome::kFresh);
  ASSERT_EQ(cache.check_and_record("b", "1", 10'000, 10'000), Outcome::kFresh);
  ASSERT_EQ(cache.check_and_record("c", "1", 10'000, 10'000), Outcome::kFresh);
  EXPECT_EQ(cache.check_and_record("d", "1", 10'000, 10'000), Outcome::kFull);
  // Later, the old entries of other handles (other stripes) are reclaimed for "d".
  EXPECT_EQ(cache.check_and_record("d", "1", 11'300, 11'300), Outcome::kFresh);
  EXPECT_EQ(cache.size(), 1u);
}

TEST(ReplayCache, ConcurrentUseRecordsEachNonceExactlyOnce) {
  ReplayCache cache;
  constexpr int kThreads = 4, kNonces = 2000;
  std::atomic<int> fresh{0}, replays{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kNonces; ++i) {
        // Every thread tries every nonce of a handle shared by all threads, and some of
        // its own handle, so stripes are contended and not.
        const std::string handle = "h" + std::to_string(i % 16);
        const auto r = cache.check_and_record(handle, "n" + std::to_string(i), kNow + i % 7, kNow);
        (r == Outcome::kFresh ? fresh : replays)++;
        cache.check_and_record("own" + std::to_string(t), "n" + std::to_string(i), kNow, kNow);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(fresh.load(), kNonces);
  EXPECT_EQ(replays.load(), kNonces * (kThreads - 1));
  EXPECT_EQ(cache.size(), static_cast<std::size_t>(kNonces + kThreads * kNonces));
}

}  // namespace
}  // namespace b2b::identity
