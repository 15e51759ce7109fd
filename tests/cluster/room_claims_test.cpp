// Cluster claim state (src/cluster/room_claims.*): the codec, and the compare-and-set script
// against a real redis-server — of writers racing from one read, exactly one wins, and
// retrying losers lose no update.
#include "cluster/room_claims.h"

#include <gtest/gtest.h>

#include <vector>

#include "redis_server.h"
#include "test_loop.h"

namespace b2b::cluster {
namespace {

using testing::Loop;
using testing::RedisServer;
using Expect = ClaimSwap::Expect;

#define REQUIRE_REDIS() \
  if (!testing::redis_server_available()) GTEST_SKIP() << "redis-server is not installed"

std::shared_ptr<RedisConnection> connect_to(Loop& loop, const RedisServer& server) {
  auto redis =
      RedisConnection::create(loop.ioc.get_executor(), parse_redis_url(server.url()).value());
  redis->start();
  EXPECT_TRUE(loop.until([&] { return redis->ready(); }));
  return redis;
}

ClaimSwap swap_of(Expect expect, std::string expected, std::string desired) {
  return ClaimSwap{"roomk", "alice", expect, std::move(expected), std::move(desired), 60'000};
}

ClaimSwapResult run_swap(Loop& loop, const std::shared_ptr<RedisConnection>& redis,
                         const ClaimSwap& swap) {
  std::optional<core::Result<ClaimSwapResult>> out;
  swap_claim_state(redis, swap, [&out](auto r) { out = std::move(r); });
  EXPECT_TRUE(loop.until([&] { return out.has_value(); }));
  EXPECT_TRUE(*out) << (*out ? "" : out->error().detail);
  return *out ? out->value() : ClaimSwapResult{};
}

core::ClaimCursor leased(int64_t cursor, int64_t seq) {
  return core::ClaimCursor{cursor, core::Inflight{"c-" + std::to_string(seq), seq, 1'700, 60'000}};
}

TEST(RoomClaims, KeyIsInTheRoomsHashTag) {
  EXPECT_EQ(room_claims_key("0f3a"), "{r:0f3a}:claims");
}

TEST(RoomClaims, CodecRoundTripsAndIsDeterministic) {
  const core::ClaimCursor idle{41, std::nullopt};
  EXPECT_EQ(encode_claim_state(idle), R"({"c":41})");
  const core::ClaimCursor busy = leased(41, 1'764'000'000'123);
  const std::string text = encode_claim_state(busy);
  EXPECT_EQ(text, R"({"c":41,"i":{"id":"c-1764000000123","s":1764000000123,"a":1700,"t":60000}})");
  auto back = decode_claim_state(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cursor, 41);
  ASSERT_TRUE(back->inflight);
  EXPECT_EQ(back->inflight->claim_id, "c-1764000000123");
  EXPECT_EQ(back->inflight->seq, 1'764'000'000'123);
  EXPECT_EQ(encode_claim_state(*back), text);
  for (const char* bad : {"", "[]", "{}", R"({"c":"1"})", R"({"c":1,"i":5})",
                          R"({"c":1,"i":{"id":"x","s":2,"a":3}})", "{\"c\":1"}) {
    EXPECT_FALSE(decode_claim_state(bad)) << bad;
  }
}

TEST(RoomClaims, SwapWritesOnlyWhenTheExpectationHolds) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  auto redis = connect_to(loop, server);
  const std::string first = encode_claim_state(leased(0, 5));
  const std::string second = encode_claim_state(core::ClaimCursor{5, std::nullopt});

  auto read = run_swap(loop, redis, swap_of(Expect::kRead, "", ""));
  EXPECT_FALSE(read.matched);
  EXPECT_FALSE(read.current);  // nothing stored yet

  EXPECT_TRUE(run_swap(loop, redis, swap_of(Expect::kAbsent, "", first)).matched);
  auto again = run_swap(loop, redis, swap_of(Expect::kAbsent, "", second));
  EXPECT_FALSE(again.matched);
  EXPECT_EQ(again.current, first);  // the loser learns the current value in the same reply

  auto wrong = run_swap(loop, redis, swap_of(Expect::kEquals, second, second));
  EXPECT_FALSE(wrong.matched);
  EXPECT_EQ(wrong.current, first);

  // Confirming without writing leaves the value as it is.
  EXPECT_TRUE(run_swap(loop, redis, swap_of(Expect::kEquals, first, "")).matched);
  EXPECT_EQ(run_swap(loop, redis, swap_of(Expect::kRead, "", "")).current, first);

  EXPECT_TRUE(run_swap(loop, redis, swap_of(Expect::kEquals, first, second)).matched);
  EXPECT_EQ(run_swap(loop, redis, swap_of(Expect::kRead, "", "")).current, second);

  auto ttl = loop.call(*redis, {"PTTL", room_claims_key("roomk")});
  ASSERT_TRUE(ttl && *ttl);
  EXPECT_GT(ttl->value().integer, 0);  // the room's retention rides on every write
  EXPECT_LE(ttl->value().integer, 60'000);
}

TEST(RoomClaims, OfWritersRacingFromOneReadExactlyOneWins) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  constexpr int kWriters = 8;
  std::vector<std::shared_ptr<RedisConnection>> nodes;
  for (int i = 0; i < kWriters; ++i) nodes.push_back(connect_to(loop, server));
  const std::string base = encode_claim_state(core::ClaimCursor{10, std::nullopt});
  ASSERT_TRUE(run_swap(loop, nodes[0], swap_of(Expect::kAbsent, "", base)).matched);

  // Every writer read `base` and leases a different seq: all swaps are in flight at once.
  std::vector<std::optional<core::Result<ClaimSwapResult>>> results(kWriters);
  for (int i = 0; i < kWriters; ++i) {
    swap_claim_state(nodes[i],
                     swap_of(Expect::kEquals, base, encode_claim_state(leased(10, 11 + i))),
                     [&results, i](auto r) { results[i] = std::move(r); });
  }
  ASSERT_TRUE(loop.until([&] {
    for (const auto& r : results) {
      if (!r) return false;
    }
    return true;
  }));
  int winners = 0;
  std::string winner_value;
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_TRUE(*results[i]);
    if (results[i]->value().matched) {
      ++winners;
      winner_value = encode_claim_state(leased(10, 11 + i));
    }
  }
  ASSERT_EQ(winners, 1);
  for (const auto& r : results) {
    if (!r->value().matched) {
      EXPECT_EQ(r->value().current, winner_value);  // each loser sees the one lease
    }
  }
  EXPECT_EQ(run_swap(loop, nodes[0], swap_of(Expect::kRead, "", "")).current, winner_value);
}

// Optimistic increments from several connections, retrying with the value a lost swap
// returns: no update is lost.
TEST(RoomClaims, RetryingLosersLoseNoUpdate) {
  REQUIRE_REDIS();
  RedisServer server;
  Loop loop;
  constexpr int kWriters = 4, kEach = 50;
  std::vector<std::shared_ptr<RedisConnection>> nodes;
  for (int i = 0; i < kWriters; ++i) nodes.push_back(connect_to(loop, server));
  int done = 0, lost = 0;
  std::function<void(int, int, std::optional<std::string>)> bump =
      [&](int writer, int left, std::optional<std::string> seen) {
        if (left == 0) return void(++done);
        const int64_t cursor = seen ? decode_claim_state(*seen)->cursor : 0;
        const std::string next = encode_claim_state(core::ClaimCursor{cursor + 1, std::nullopt});
        const ClaimSwap swap =
            seen ? swap_of(Expect::kEquals, *seen, next) : swap_of(Expect::kAbsent, "", next);
        swap_claim_state(nodes[writer], swap, [&, writer, left, next](auto r) {
          ASSERT_TRUE(r);
          if (r.value().matched) return bump(writer, left - 1, next);
          ++lost;
          bump(writer, left, r.value().current);
        });
      };
  for (int i = 0; i < kWriters; ++i) bump(i, kEach, std::nullopt);
  ASSERT_TRUE(loop.until([&] { return done == kWriters; }, std::chrono::seconds(30)));
  auto final =
      decode_claim_state(*run_swap(loop, nodes[0], swap_of(Expect::kRead, "", "")).current);
  ASSERT_TRUE(final);
  EXPECT_EQ(final->cursor, kWriters * kEach);
  EXPECT_GT(lost, 0);  // the writers did race
}

}  // namespace
}  // namespace b2b::cluster
