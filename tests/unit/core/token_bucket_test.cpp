// ROOMS.md §10.1 token bucket: starts full, costs one token, continuous fractional refill,
// capped at capacity.
#include "core/token_bucket.h"

#include <gtest/gtest.h>

namespace b2b::core {
namespace {

TEST(TokenBucket, StartsFullAndEmptiesAfterCapacityTakes) {
  auto b = TokenBucket::full(3, 1000);
  EXPECT_TRUE(b.take(3, 1, 1000));
  EXPECT_TRUE(b.take(3, 1, 1000));
  EXPECT_TRUE(b.take(3, 1, 1000));
  EXPECT_FALSE(b.take(3, 1, 1000));
  EXPECT_DOUBLE_EQ(b.tokens, 0.0);
}

TEST(TokenBucket, RefillsContinuously) {
  auto b = TokenBucket::full(1, 0);
  ASSERT_TRUE(b.take(1, 100, 0));  // 100/s: one token every 10 ms
  EXPECT_FALSE(b.take(1, 100, 9));
  EXPECT_TRUE(b.take(1, 100, 19));  // 0.9 + 1.0 - 1 ... partial tokens are kept
  EXPECT_FALSE(b.take(1, 100, 19));
}

TEST(TokenBucket, FractionalTokensAccumulateAcrossRefusals) {
  auto b = TokenBucket::full(5, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(b.take(5, 1, 0));
  // 1 token per second: a refused take at 500 ms must not lose the half token.
  EXPECT_FALSE(b.take(5, 1, 500));
  EXPECT_DOUBLE_EQ(b.tokens, 0.5);
  EXPECT_EQ(b.updated_ms, 500);
  EXPECT_FALSE(b.take(5, 1, 999));
  EXPECT_TRUE(b.take(5, 1, 1000));
  EXPECT_NEAR(b.tokens, 0.0, 1e-9);
}

TEST(TokenBucket, RefillIsCappedAtCapacity) {
  auto b = TokenBucket::full(2, 0);
  ASSERT_TRUE(b.take(2, 100, 0));
  EXPECT_TRUE(b.take(2, 100, 1'000'000));  // refilled to 2, not 100000
  EXPECT_DOUBLE_EQ(b.tokens, 1.0);
  EXPECT_TRUE(b.take(2, 100, 1'000'000));
  EXPECT_FALSE(b.take(2, 100, 1'000'000));
}

TEST(TokenBucket, ClockGoingBackwardsRefillsNothing) {
  auto b = TokenBucket::full(1, 10'000);
  ASSERT_TRUE(b.take(1, 1000, 10'000));
  EXPECT_FALSE(b.take(1, 1000, 5'000));
  EXPECT_EQ(b.updated_ms, 10'000);
  EXPECT_TRUE(b.take(1, 1000, 10'001));
}

TEST(TokenBucket, SpecDefaultsAllowBurstThenRefillRate) {
  // keyed bucket: 300 burst, 100/s → 300 at once, then one per 10 ms.
  auto b = TokenBucket::full(300, 0);
  int ok = 0;
  for (int i = 0; i < 400; ++i) ok += b.take(300, 100, 0);
  EXPECT_EQ(ok, 300);
  ok = 0;
  for (int t = 1; t <= 1000; ++t) ok += b.take(300, 100, t);  // one second
  // Tokens accrue as 0.1 per ms in floating point; ten 0.1s sum to just under 1.0, so a
  // token can arrive one millisecond late. The rate is 100/s within that rounding.
  EXPECT_GE(ok, 99);
  EXPECT_LE(ok, 100);
  ok = 0;
  for (int t = 1010; t <= 11'000; t += 10) ok += b.take(300, 100, t);  // 10 s, every 10 ms
  EXPECT_GE(ok, 998);
  EXPECT_LE(ok, 1000);
}

}  // namespace
}  // namespace b2b::core
