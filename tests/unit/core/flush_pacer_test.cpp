// Issue 6: when a shard writes its streams' queues. Quiet streams write at once; a stream
// that wrote less than an interval ago, and every stream while rounds run, waits for the
// shard's next round, and rounds run at most once per interval (core::FlushPacer). The asio
// side (net::FlushRounds) runs the deferred flushes of one round together.
#include "core/flush_pacer.h"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <chrono>
#include <initializer_list>
#include <vector>

#include "net/send_queue.h"

namespace b2b::core {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT = 1'000 * kMs;

WriteTimes wrote_at(std::initializer_list<int64_t> times) {
  WriteTimes w;
  for (int64_t t : times) w.wrote(t);
  return w;
}

TEST(FlushPacer, QuietStreamsWriteAtOnce) {
  FlushPacer p(kMs);
  EXPECT_FALSE(p.must_wait(kT, WriteTimes{}));
  EXPECT_FALSE(p.must_wait(kT, wrote_at({kT - 3 * kMs, kT - 2 * kMs})));
  EXPECT_FALSE(p.must_wait(kT, wrote_at({kT - kMs, kT - 10})));  // exactly one interval
}

TEST(FlushPacer, AnEchoThenAReplyIsNotLoad) {
  // A chat client gets its own message back and the answer a moment later: one recent write
  // alone must not delay the next (bench/latency.sh, WS p50 ~0.12 ms).
  FlushPacer p(kMs);
  EXPECT_FALSE(p.must_wait(kT, wrote_at({kT - 2 * kMs, kT - 100'000})));
}

TEST(FlushPacer, AStreamThatWroteTwiceWithinAnIntervalWaitsForARound) {
  FlushPacer p(kMs);
  EXPECT_TRUE(p.must_wait(kT, wrote_at({kT - kMs + 1, kT - 10})));
  EXPECT_TRUE(p.must_wait(kT, wrote_at({kT, kT})));
}

TEST(FlushPacer, ManyImmediateWritesWithinAnIntervalMeanAFanOut) {
  FlushPacer p(kMs);
  for (int i = 0; i < FlushPacer::kManyWrites; ++i) {
    ASSERT_FALSE(p.must_wait(kT + i, WriteTimes{})) << i;
  }
  EXPECT_TRUE(p.must_wait(kT + 100, WriteTimes{}));  // the rest of the fan-out joins a round
  // A new interval counts afresh (a quiet room's next post, much later).
  EXPECT_FALSE(p.must_wait(kT + kMs, WriteTimes{}));
}

TEST(FlushPacer, WhileARoundIsPendingEveryStreamJoinsIt) {
  FlushPacer p(kMs);
  EXPECT_EQ(p.schedule_round(kT), kT);  // no round ran recently: the first one runs at once
  EXPECT_TRUE(p.round_pending());
  EXPECT_TRUE(p.must_wait(kT + 10, WriteTimes{}));  // even a stream that never wrote
}

TEST(FlushPacer, RoundsRunAtMostOncePerInterval) {
  FlushPacer p(kMs);
  p.schedule_round(kT);
  p.round_started(kT, 1);
  p.round_finished(kT + 10);
  EXPECT_FALSE(p.round_pending());
  EXPECT_EQ(p.schedule_round(kT + kMs / 2), kT + kMs);
  p.round_started(kT + kMs + 300, 1);  // the timer fired late: the next round counts from here
  p.round_finished(kT + kMs + 310);
  EXPECT_EQ(p.schedule_round(kT + kMs + 400), kT + 2 * kMs + 300);
}

TEST(FlushPacer, ALongRoundIsFollowedByAPauseAsLongAsItself) {
  FlushPacer p(kMs);
  p.schedule_round(kT);
  p.round_started(kT, 5'000);
  p.round_finished(kT + 3 * kMs);  // thousands of writes took 3 ms
  EXPECT_EQ(p.schedule_round(kT + 3 * kMs), kT + 6 * kMs);
  p.round_started(kT + 6 * kMs, 50);
  p.round_finished(kT + 6 * kMs + 200'000);  // a short round: the interval bounds again
  EXPECT_EQ(p.schedule_round(kT + 6 * kMs + 300'000), kT + 7 * kMs);
}

TEST(FlushPacer, OnlyALargeRoundKeepsTheShardWaitingAfterIt) {
  FlushPacer p(kMs);
  p.schedule_round(kT);
  p.round_started(kT, FlushPacer::kManyWrites - 1);
  p.round_finished(kT + 10);
  EXPECT_FALSE(p.must_wait(kT + 20, WriteTimes{}));  // a ping-pong's small round
  p.schedule_round(kT + kMs);
  p.round_started(kT + kMs, FlushPacer::kManyWrites);  // a fan-out
  p.round_finished(kT + 3 * kMs);                      // that took 2 ms
  // Busy for an interval after the round ended, for every stream.
  EXPECT_TRUE(p.must_wait(kT + 3 * kMs + 10, WriteTimes{}));
  EXPECT_TRUE(p.must_wait(kT + 4 * kMs - 1, WriteTimes{}));
  // Then the shard writes at once again.
  EXPECT_FALSE(p.must_wait(kT + 4 * kMs, WriteTimes{}));
}

TEST(FlushRounds, AQuietStreamIsNotDeferred) {
  boost::asio::io_context io;
  auto& rounds = net::FlushRounds::of(io.get_executor());
  bool ran = false;
  std::function<void()> flush = [&] { ran = true; };
  EXPECT_FALSE(rounds.defer(WriteTimes{}, flush));
  EXPECT_TRUE(flush);  // handed back to the caller, who writes now
  io.poll();
  EXPECT_FALSE(ran);
}

TEST(FlushRounds, BusyStreamsShareOneRoundAndTheNextWaitsAnInterval) {
  boost::asio::io_context io;
  auto& rounds = net::FlushRounds::of(io.get_executor());
  EXPECT_EQ(&rounds, &net::FlushRounds::of(io.get_executor()));  // one per event loop
  std::vector<int> order;
  std::vector<int64_t> ran_at;
  const int64_t now = net::FlushRounds::now_ns();
  for (int i = 0; i < 3; ++i) {
    std::function<void()> flush = [&, i] {
      order.push_back(i);
      ran_at.push_back(net::FlushRounds::now_ns());
    };
    // The first stream wrote twice just now; the others join the round it started.
    ASSERT_TRUE(rounds.defer(i == 0 ? wrote_at({now, now}) : WriteTimes{}, flush));
  }
  io.poll();  // the first round of a quiet shard runs at once (one queue hop)
  ASSERT_EQ(order, (std::vector<int>{0, 1, 2}));

  const int64_t first_round = ran_at[0];
  std::function<void()> again = [&] { ran_at.push_back(net::FlushRounds::now_ns()); };
  // Within an interval of that round, by a stream that keeps writing.
  ASSERT_TRUE(rounds.defer(wrote_at({now, first_round}), again));
  io.restart();  // the first poll ran out of work, which stops the loop
  io.run_for(std::chrono::milliseconds(50));
  ASSERT_EQ(ran_at.size(), 4u);
  EXPECT_GE(ran_at[3] - first_round, net::FlushRounds::kIntervalNs)
      << "the second round must wait for its interval";
}

TEST(FlushRounds, PendingFlushesAreReleasedWhenTheLoopGoesAway) {
  auto owned = std::make_shared<int>(7);
  std::weak_ptr<int> watch = owned;
  {
    boost::asio::io_context io;
    auto& rounds = net::FlushRounds::of(io.get_executor());
    std::function<void()> flush = [o = std::move(owned)] {};
    const int64_t now = net::FlushRounds::now_ns();
    ASSERT_TRUE(rounds.defer(wrote_at({now, now}), flush));
  }
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace b2b::core
