// The cluster-wide token bucket of --global-rate-limits (src/cluster/shared_bucket.*) against a
// real redis-server: charges from several nodes add up, overspending leaves a debt, the bucket
// refills on Redis's clock, and it expires once it would be full again.
#include "cluster/shared_bucket.h"

#include <gtest/gtest.h>

#include <thread>

#include "redis_server.h"
#include "test_loop.h"

namespace b2b::cluster {
namespace {

using testing::Loop;
using testing::RedisServer;

#define REQUIRE_REDIS() \
  if (!testing::redis_server_available()) GTEST_SKIP() << "redis-server is not installed"

double charge(Loop& loop, const std::shared_ptr<RedisConnection>& redis, const SharedBucket& b,
              double tokens, double capacity = 10, double refill_per_sec = 5) {
  std::optional<core::Result<double>> out;
  b.charge(redis, "b2b:rl:test", tokens, capacity, refill_per_sec,
           [&out](core::Result<double> r) { out = std::move(r); });
  EXPECT_TRUE(loop.until([&] { return out.has_value(); }));
  EXPECT_TRUE(*out) << (*out ? "" : out->error().detail);
  return *out ? out->value() : 0;
}

TEST(SharedBucket, ChargesAddUpIntoADebtThatRefills) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  auto redis =
      RedisConnection::create(loop.ioc.get_executor(), parse_redis_url(server.url()).value());
  redis->start();
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }));
  const SharedBucket node_a, node_b;                    // two nodes' copies of the script
  EXPECT_DOUBLE_EQ(charge(loop, redis, node_a, 4), 6);  // created full: 10 - 4
  const double after_b = charge(loop, redis, node_b, 10);
  EXPECT_GE(after_b, -4.0);  // 6 - 10, plus what refilled in between (5 per second)
  EXPECT_LT(after_b, -3.0);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const double refilled = charge(loop, redis, node_a, 0);
  EXPECT_GE(refilled, after_b + 1.9);  // 0.4 s × 5 per second
  EXPECT_LT(refilled, after_b + 3.0);
  const auto ttl = loop.call(*redis, {"PTTL", "b2b:rl:test"});
  ASSERT_TRUE(ttl && *ttl);
  // Full again in (10 - refilled) / 5 s; the key outlives that by a second, not much more.
  EXPECT_GT(ttl->value().integer, 1000);
  EXPECT_LE(ttl->value().integer, static_cast<int64_t>((10 - refilled) / 5 * 1000) + 1001);
}

}  // namespace
}  // namespace b2b::cluster
