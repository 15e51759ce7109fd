// net::SendQueue: the per-connection byte bound of ROOMS.md §20.15 (live traffic counts,
// the connect-time replay of §20.15a does not).
#include "net/send_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace b2b::net {
namespace {

SharedBytes bytes(std::size_t n, char c = 'x') {
  return SharedBytes::copy_of(std::string(n, c));
}

TEST(SendQueue, CountedPushesAreBoundedByLiveBytes) {
  SendQueue q(10);
  EXPECT_EQ(q.push(bytes(4), true), PushResult::kQueued);
  EXPECT_EQ(q.push(bytes(6), true), PushResult::kQueued);  // exactly at the bound
  EXPECT_EQ(q.live_bytes(), 10);
  EXPECT_EQ(q.push(bytes(1), true), PushResult::kOverLimit);
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.live_bytes(), 10);
}

TEST(SendQueue, SingleOversizedPushIsOverLimit) {
  SendQueue q(10);
  EXPECT_EQ(q.push(bytes(11), true), PushResult::kOverLimit);
  EXPECT_TRUE(q.empty());
}

TEST(SendQueue, UncountedReplayEntriesAreExempt) {
  SendQueue q(10);
  EXPECT_EQ(q.push(bytes(1000), false), PushResult::kQueued);
  EXPECT_EQ(q.push(bytes(1000), false), PushResult::kQueued);
  EXPECT_EQ(q.live_bytes(), 0);
  EXPECT_EQ(q.push(bytes(10), true), PushResult::kQueued);  // replay does not eat the bound
  EXPECT_EQ(q.size(), 3u);
}

TEST(SendQueue, PopReleasesOnlyCountedBytes) {
  SendQueue q(10);
  ASSERT_EQ(q.push(bytes(100), false), PushResult::kQueued);
  ASSERT_EQ(q.push(bytes(7), true), PushResult::kQueued);
  ASSERT_EQ(q.push(bytes(3), true), PushResult::kQueued);
  q.pop(1);  // the uncounted one
  EXPECT_EQ(q.live_bytes(), 10);
  EXPECT_EQ(q.push(bytes(1), true), PushResult::kOverLimit);
  q.pop(1);
  EXPECT_EQ(q.live_bytes(), 3);
  EXPECT_EQ(q.push(bytes(7), true), PushResult::kQueued);
  q.pop(10);  // more than queued: empties without underflow
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.live_bytes(), 0);
}

TEST(SendQueue, BatchesFollowPushOrderAcrossPartialPopsAndRefills) {
  SendQueue q(1'000'000);
  for (int i = 0; i < 200; ++i)
    ASSERT_EQ(q.push(bytes(1, char('a' + i % 26)), true), PushResult::kQueued);
  std::vector<boost::asio::const_buffer> out;
  q.pop(150);  // far enough to compact the storage
  ASSERT_EQ(q.push(bytes(1, '!'), true), PushResult::kQueued);
  EXPECT_EQ(q.size(), 51u);
  EXPECT_EQ(q.front_batch(out, 100, 1'000'000), 51u);
  EXPECT_EQ(*static_cast<const char*>(out.front().data()), char('a' + 150 % 26));
  EXPECT_EQ(*static_cast<const char*>(out.back().data()), '!');
  EXPECT_EQ(q.live_bytes(), 51);
  q.pop(51);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.live_bytes(), 0);
  ASSERT_EQ(q.push(bytes(2), true), PushResult::kQueued);  // usable again once drained
  EXPECT_EQ(q.size(), 1u);
}

TEST(SendQueue, ClosedQueueRefuses) {
  SendQueue q(10);
  ASSERT_EQ(q.push(bytes(1), true), PushResult::kQueued);
  q.close();
  EXPECT_TRUE(q.closed());
  EXPECT_EQ(q.push(bytes(1), true), PushResult::kClosed);
  EXPECT_EQ(q.push(bytes(1), false), PushResult::kClosed);
  EXPECT_EQ(q.size(), 1u);  // what was queued stays for the flush
}

TEST(SendQueue, FrontBatchRespectsItemAndByteLimits) {
  SendQueue q(1000);
  q.push(SharedBytes::copy_of("aaaa"), true);
  q.push(SharedBytes::copy_of("bbbb"), false);
  q.push(SharedBytes::copy_of("cccc"), true);
  std::vector<boost::asio::const_buffer> out;
  EXPECT_EQ(q.front_batch(out, 2, 1000), 2u);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::string(static_cast<const char*>(out[0].data()), out[0].size()), "aaaa");
  EXPECT_EQ(std::string(static_cast<const char*>(out[1].data()), out[1].size()), "bbbb");

  out.clear();
  EXPECT_EQ(q.front_batch(out, 10, 8), 2u);  // 4 + 4 fits, the third would not
  out.clear();
  EXPECT_EQ(q.front_batch(out, 10, 7), 1u);
  out.clear();
  EXPECT_EQ(q.front_batch(out, 10, 1), 1u);  // the first entry always goes, even if larger
  EXPECT_EQ(out[0].size(), 4u);
  EXPECT_EQ(q.size(), 3u);  // front_batch does not consume

  SendQueue empty(10);
  out.clear();
  EXPECT_EQ(empty.front_batch(out, 10, 10), 0u);
  EXPECT_TRUE(out.empty());
}

TEST(SendQueue, FrontBatchAppendsToTheCallersVector) {
  SendQueue q(1000);
  q.push(SharedBytes::copy_of("zz"), true);
  std::vector<boost::asio::const_buffer> out(1);
  EXPECT_EQ(q.front_batch(out, 5, 100), 1u);
  EXPECT_EQ(out.size(), 2u);
}

TEST(SendQueue, SharedBytesKeepTheOwnerAlive) {
  auto owner = std::make_shared<const std::string>("payload");
  SharedBytes b{owner, *owner};
  SendQueue q(100);
  q.push(b, true);
  q.push(b, true);
  b = SharedBytes{};
  owner.reset();
  std::vector<boost::asio::const_buffer> out;
  ASSERT_EQ(q.front_batch(out, 2, 100), 2u);
  EXPECT_EQ(std::string(static_cast<const char*>(out[1].data()), out[1].size()), "payload");
  EXPECT_EQ(out[0].data(), out[1].data());  // one shared buffer, no copy
  EXPECT_EQ(q.live_bytes(), 14);
}

}  // namespace
}  // namespace b2b::net
