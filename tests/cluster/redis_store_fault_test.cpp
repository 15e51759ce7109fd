// RedisStore when Redis is not there or not well: writes fail at once while it is down and work
// again when it is back, nothing acknowledged is lost to a kill -9 of Redis (AOF fsync always),
// maxmemory is "storage full", and a figure of the store's write rate on this machine.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <sstream>
#include <thread>

#include "cluster/redis_store.h"
#include "store_test_util.h"
#include "test_loop.h"

namespace b2b::cluster {
namespace {

using namespace store;
using testing::identity;
using testing::must_load;
using testing::open_store;
using testing::RedisServer;
using testing::sync;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

#define REQUIRE_REDIS() \
  if (!testing::redis_server_available()) GTEST_SKIP() << "redis-server is not installed"

TEST(RedisStoreFaults, OpenFailsWhenRedisIsUnreachable) {
  REQUIRE_REDIS();
  RedisEndpoint nowhere{"127.0.0.1", testing::free_loopback_port(), 0, "", ""};
  RedisStoreOptions options;
  options.startup_timeout = 300ms;
  const auto start = Clock::now();
  auto opened = open_redis_store(nowhere, options);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().error, "storage error");
  EXPECT_TRUE(opened.error().detail.starts_with("redis unavailable")) << opened.error().detail;
  EXPECT_LT(Clock::now() - start, 3s);
}

TEST(RedisStoreFaults, WritesWhileRedisIsDownFailAtOnceAndWorkWhenItIsBack) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(sync([&](Done d) { store->upsert_identity(identity("before"), std::move(d)); }));

  server.stop();
  // The connection notices the loss at once (the socket closes); give it a moment.
  std::this_thread::sleep_for(50ms);
  const auto start = Clock::now();
  auto refused = sync([&](Done d) { store->upsert_identity(identity("during"), std::move(d)); });
  const auto took = Clock::now() - start;
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().error, "storage error");
  EXPECT_TRUE(refused.error().detail.starts_with("redis unavailable")) << refused.error().detail;
  EXPECT_LT(took, 100ms) << "a write while Redis is down must fail fast, not wait";
  EXPECT_EQ(store->stats().writes_failed, 1u);

  server.start();
  const auto back = Clock::now();
  core::Result<bool> after = core::Error{"", ""};
  while (Clock::now() - back < 10s) {
    after = sync([&](Done d) { store->upsert_identity(identity("after"), std::move(d)); });
    if (after.ok()) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(after.ok()) << "no write succeeded within 10 s of Redis coming back";
  std::printf(
      "[ figures  ] writes accepted again %lld ms after redis-server came back\n",
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - back).count()));
  std::vector<std::string> handles;
  for (const auto& i : must_load(*store).identities) handles.push_back(i.handle);
  EXPECT_EQ(handles, (std::vector<std::string>{"after", "before"}));
}

// With `appendfsync always` no acknowledged write is lost to a killed Redis, even mid-stream.
// (With everysec a slow background fsync lets Redis reply before writing the AOF for up to
// 2 s: see RoomLog.WithFsyncEverysecAppendsOlderThanTwoSecondsSurviveAKill9.)
TEST(RedisStoreFaults, WithFsyncAlwaysAcknowledgedWritesSurviveAKill9OfRedis) {
  REQUIRE_REDIS();
  RedisServer server({"--appendfsync", "always"});
  std::vector<std::string> acknowledged;
  std::atomic<std::size_t> count{0};
  {
    auto store = open_store(server);
    ASSERT_NE(store, nullptr);
    std::thread writer([&] {
      for (int i = 0; i < 100'000; ++i) {
        const std::string h = "h" + std::to_string(i);
        auto r = sync([&](Done d) { store->upsert_identity(identity(h), std::move(d)); });
        if (!r.ok()) break;
        acknowledged.push_back(h);
        count.store(acknowledged.size());
      }
    });
    // An fsync per write is slow on a busy disk: wait for a few hundred acknowledgements.
    const auto began = Clock::now();
    while (count.load() < 300 && Clock::now() - began < 10s) std::this_thread::sleep_for(10ms);
    server.stop(SIGKILL);  // mid-stream: some write is in flight
    writer.join();         // it stops at the first failed write
  }
  ASSERT_GT(acknowledged.size(), 50u);
  server.start();
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  std::set<std::string> found;
  for (const auto& i : must_load(*store).identities) found.insert(i.handle);
  std::size_t lost = 0;
  for (const auto& h : acknowledged) lost += found.count(h) == 0;
  EXPECT_EQ(lost, 0u) << "of " << acknowledged.size() << " acknowledged writes";
  std::printf("[ figures  ] %zu writes acknowledged before the kill -9, %zu lost\n",
              acknowledged.size(), lost);
}

TEST(RedisStoreFaults, ARedisThatLostItsDataGetsTheRoomKeySecretBack) {
  REQUIRE_REDIS();
  RedisServer server;
  auto running = open_store(server);
  ASSERT_NE(running, nullptr);
  {
    testing::Loop loop;
    auto admin =
        RedisConnection::create(loop.ioc.get_executor(), parse_redis_url(server.url()).value());
    admin->start();
    ASSERT_TRUE(loop.until([&] { return admin->ready(); }));
    auto wiped = loop.call(*admin, {"FLUSHALL"});  // the AOF records it: the data is gone
    ASSERT_TRUE(wiped && *wiped);
    admin->stop();
  }
  server.restart();
  // The running node reconnects and puts the secret back before any new node reads it.
  const auto back = Clock::now();
  while (Clock::now() - back < 10s) {
    if (sync([&](Done d) { running->upsert_identity(identity("probe"), std::move(d)); }).ok()) {
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  auto joining = open_store(server);
  ASSERT_NE(joining, nullptr);
  EXPECT_EQ(joining->room_key_secret(), running->room_key_secret());
}

TEST(RedisStoreFaults, MaxmemoryIsStorageFull) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  {
    testing::Loop loop;
    auto admin =
        RedisConnection::create(loop.ioc.get_executor(), parse_redis_url(server.url()).value());
    admin->start();
    ASSERT_TRUE(loop.until([&] { return admin->ready(); }));
    auto set = loop.call(*admin, {"CONFIG", "SET", "maxmemory", "1"});  // below what it uses
    ASSERT_TRUE(set && *set);
    admin->stop();
  }
  auto full = sync([&](Done d) { store->upsert_identity(identity("alice"), std::move(d)); });
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().error, "storage full");
  EXPECT_TRUE(must_load(*store).identities.empty());  // nothing half-written
}

// Not a benchmark with a bar: it prints what this machine does (docs/SCALING.md quotes it) and
// checks that a burst of writes completes, in order, without a failure.
TEST(RedisStoreFaults, WriteRateOnThisMachine) {
  REQUIRE_REDIS();
  RedisServer server;
  auto store = open_store(server);
  ASSERT_NE(store, nullptr);
  constexpr int kWrites = 20'000;
  std::atomic<int> ok{0};
  const auto start = Clock::now();
  for (int i = 0; i < kWrites; ++i) {
    store->upsert_claim_cursor(
        {"h" + std::to_string(i % 100), "room" + std::to_string(i % 50), i, i},
        [&ok](core::Result<bool> r) { ok += r.ok(); });
  }
  store->flush();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_EQ(ok.load(), kWrites);
  std::printf("[ figures  ] %d pipelined claim-cursor writes in %.3f s: %.0f writes/s\n", kWrites,
              seconds, kWrites / seconds);
  // Redis's own account of that burst: commands and CPU per write (INFO commandstats).
  {
    testing::Loop loop;
    auto admin =
        RedisConnection::create(loop.ioc.get_executor(), parse_redis_url(server.url()).value());
    admin->start();
    ASSERT_TRUE(loop.until([&] { return admin->ready(); }));
    auto info = loop.call(*admin, {"INFO", "commandstats"});
    ASSERT_TRUE(info && *info);
    std::istringstream lines(info->value().str);
    for (std::string line; std::getline(lines, line);) {
      // cmdstat_hset:calls=20000,usec=12345,usec_per_call=0.62,...
      for (const char* cmd : {"evalsha", "eval", "hset", "sadd", "publish"}) {
        const std::string prefix = std::string("cmdstat_") + cmd + ":calls=";
        if (!line.starts_with(prefix)) continue;
        const long long calls = std::stoll(line.substr(prefix.size()));
        const auto per = line.find("usec_per_call=");
        std::printf("[ figures  ] per claim-cursor write: %.2f %s at %s us\n",
                    static_cast<double>(calls) / kWrites, cmd,
                    line.substr(per + 14, line.find(',', per) - per - 14).c_str());
      }
    }
    admin->stop();
  }
  // One at a time (each waits for its Done): the round-trip-bound rate.
  constexpr int kSerial = 2'000;
  const auto serial_start = Clock::now();
  for (int i = 0; i < kSerial; ++i) {
    ASSERT_TRUE(sync([&](Done d) { store->set_inbox_seq("nobody", i, std::move(d)); }));
  }
  const double serial = std::chrono::duration<double>(Clock::now() - serial_start).count();
  std::printf("[ figures  ] %d sequential writes: %.1f us each\n", kSerial, serial * 1e6 / kSerial);
}

}  // namespace
}  // namespace b2b::cluster
