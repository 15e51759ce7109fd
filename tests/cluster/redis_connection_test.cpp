// The async Redis client against a real redis-server (tests/cluster/redis_server.h).
#include "cluster/redis_connection.h"

#include <gtest/gtest.h>

#include "redis_server.h"
#include "test_loop.h"

namespace b2b::cluster {
namespace {

using testing::Loop;
using testing::RedisServer;
using namespace std::chrono_literals;

#define REQUIRE_REDIS() \
  if (!testing::redis_server_available()) GTEST_SKIP() << "redis-server is not installed"

std::shared_ptr<RedisConnection> connect_to(Loop& loop, const std::string& url) {
  auto ep = parse_redis_url(url);
  EXPECT_TRUE(ep);
  auto redis = RedisConnection::create(loop.ioc.get_executor(), ep.value());
  redis->start();
  return redis;
}

TEST(RedisConnection, RoundTripsEveryReplyType) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  auto redis = connect_to(loop, server.url());
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }));

  const std::string binary("a\0b\r\nc", 6);
  auto set = loop.call(*redis, {"SET", "k", binary});
  ASSERT_TRUE(set && *set);
  EXPECT_EQ(set->value().type, RedisReply::Type::kStatus);
  EXPECT_EQ(set->value().str, "OK");
  auto get = loop.call(*redis, {"GET", "k"});
  ASSERT_TRUE(get && *get);
  EXPECT_EQ(get->value().str, binary);
  auto missing = loop.call(*redis, {"GET", "nope"});
  ASSERT_TRUE(missing && *missing);
  EXPECT_TRUE(missing->value().is_nil());
  auto n = loop.call(*redis, {"INCRBY", "n", "41"});
  ASSERT_TRUE(n && *n);
  EXPECT_EQ(n->value().integer, 41);
  loop.call(*redis, {"RPUSH", "l", "x", "y"});
  auto list = loop.call(*redis, {"LRANGE", "l", "0", "-1"});
  ASSERT_TRUE(list && *list);
  ASSERT_EQ(list->value().elements.size(), 2u);
  EXPECT_EQ(list->value().elements[1].str, "y");
  auto bad = loop.call(*redis, {"NOSUCHCOMMAND"});
  ASSERT_TRUE(bad);
  ASSERT_FALSE(*bad);
  EXPECT_EQ(bad->error().error, kRedisError);
  EXPECT_NE(bad->error().detail.find("ERR"), std::string::npos);
  auto sub = loop.call(*redis, {"subscribe", "ch"});
  ASSERT_TRUE(sub && !*sub);
  EXPECT_EQ(sub->error().error, kRedisError);
  EXPECT_EQ(redis->connects(), 1u);
}

TEST(RedisConnection, PipelinedCommandsAnswerInOrder) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  auto redis = connect_to(loop, server.url());
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }));
  std::vector<int64_t> got;
  constexpr int kN = 2000;
  for (int i = 0; i < kN; ++i) {
    redis->command({"INCR", "c"}, [&got](core::Result<RedisReply> r) {
      got.push_back(r ? r.value().integer : -1);
    });
  }
  ASSERT_TRUE(loop.until([&] { return got.size() == kN; }));
  for (int i = 0; i < kN; ++i) ASSERT_EQ(got[i], i + 1);
}

TEST(RedisConnection, WithoutRedisCommandsFailAtOnce) {
  Loop loop;
  const uint16_t port = testing::free_loopback_port();  // nothing listens there
  auto redis = connect_to(loop, "redis://127.0.0.1:" + std::to_string(port));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = loop.call(*redis, {"PING"});
  ASSERT_TRUE(r);
  ASSERT_FALSE(*r);
  EXPECT_EQ(r->error().error, kRedisUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  loop.until([] { return false; }, 300ms);  // a few refused reconnects
  EXPECT_FALSE(redis->ready());
  EXPECT_EQ(redis->connects(), 0u);
}

TEST(RedisConnection, ReconnectsAfterARedisRestartAndRunsOnReadyAgain) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  auto ep = parse_redis_url(server.url());
  auto redis = RedisConnection::create(loop.ioc.get_executor(), ep.value());
  int ready_calls = 0;
  redis->on_ready([&ready_calls] { ++ready_calls; });
  redis->start();
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }));
  auto set = loop.call(*redis, {"SET", "acked", "before the restart"});
  ASSERT_TRUE(set && *set);

  server.stop();  // SIGTERM: Redis writes its AOF and exits
  ASSERT_TRUE(loop.until([&] { return !redis->ready(); }));
  auto during = loop.call(*redis, {"GET", "acked"});
  ASSERT_TRUE(during && !*during);
  EXPECT_EQ(during->error().error, kRedisUnavailable);

  server.start();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  EXPECT_EQ(ready_calls, 2);
  EXPECT_EQ(redis->connects(), 2u);
  auto after = loop.call(*redis, {"GET", "acked"});
  ASSERT_TRUE(after && *after);
  EXPECT_EQ(after->value().str, "before the restart");  // from the AOF
}

TEST(RedisConnection, InFlightCommandsFailWhenTheConnectionDrops) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  auto redis = connect_to(loop, server.url());
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }));
  std::optional<core::Result<RedisReply>> blocked;
  redis->command({"BLPOP", "never", "30"},
                 [&blocked](core::Result<RedisReply> r) { blocked = std::move(r); });
  loop.until([] { return false; }, 100ms);
  server.stop(SIGKILL);
  ASSERT_TRUE(loop.until([&] { return blocked.has_value(); }, 5s));
  ASSERT_FALSE(*blocked);
  EXPECT_EQ(blocked->error().error, kRedisUnavailable);
}

TEST(RedisConnection, AuthenticatesAndSelectsTheDatabase) {
  REQUIRE_REDIS();
  RedisServer server({"--requirepass", "s3cret"});
  Loop loop;
  auto redis =
      connect_to(loop, "redis://:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/3");
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }));
  ASSERT_TRUE(loop.call(*redis, {"SET", "in3", "yes"}).value());
  auto db0 = connect_to(loop, "redis://:s3cret@127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(loop.until([&] { return db0->ready(); }));
  auto r = loop.call(*db0, {"GET", "in3"});
  ASSERT_TRUE(r && *r);
  EXPECT_TRUE(r->value().is_nil());

  auto wrong = connect_to(loop, "redis://:nope@127.0.0.1:" + std::to_string(server.port()));
  loop.until([] { return false; }, 500ms);
  EXPECT_FALSE(wrong->ready());
  EXPECT_EQ(wrong->connects(), 0u);
}

TEST(RedisConnection, StopEndsReconnecting) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  auto redis = connect_to(loop, server.url());
  ASSERT_TRUE(loop.until([&] { return redis->ready(); }));
  redis->stop();
  EXPECT_FALSE(redis->ready());
  loop.until([] { return false; }, 300ms);
  EXPECT_FALSE(redis->ready());
  EXPECT_EQ(redis->connects(), 1u);
  auto r = loop.call(*redis, {"PING"});
  ASSERT_TRUE(r && !*r);
  EXPECT_EQ(r->error().error, kRedisUnavailable);
}

}  // namespace
}  // namespace b2b::cluster
