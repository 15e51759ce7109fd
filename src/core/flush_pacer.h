// When a shard writes its streams' queued events to their sockets (issue 6: fan-out throughput).
// On loopback and on a NIC alike, every socket write costs a few microseconds of kernel time
// whatever its size, so a room fanning out thousands of events per second to its subscribers
// spends its core in the kernel unless each write carries several events.
//
// A quiet stream writes at once (one queue hop): the single-pair latency stays as it was, even
// when a stream gets its own echo and the reply a moment later. The shard is under load when
// it has written to many streams within one interval (a fan-out), or when one stream wrote
// twice within an interval (a stream of events). Then the streams' writes wait for the shard's
// next flush round, which writes every waiting stream at once; a round that wrote to many
// streams keeps the shard in that mode for another interval after it ended. Rounds run at most
// once per interval, and a round that took longer (a room of thousands, a saturated shard) is
// followed by a pause as long as itself: rounds take at most about half of the shard's thread,
// each write carries more the busier the shard is, and the syscall rate stays bounded at any
// offered rate.
//
// Pure policy on nanosecond timestamps of one monotonic clock; the shard's executor owns the
// timer (net::FlushRounds). Single-threaded, like the shard.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace b2b::core {

// When one stream last wrote, and the time before that.
struct WriteTimes {
  static constexpr int64_t kNever = std::numeric_limits<int64_t>::min() / 4;
  int64_t last = kNever;
  int64_t before_last = kNever;

  void wrote(int64_t now) {
    before_last = last;
    last = now;
  }
};

class FlushPacer {
 public:
  // This many immediate writes within one interval, or a round that wrote to this many streams,
  // mean the shard is fanning out.
  static constexpr int kManyWrites = 16;

  explicit FlushPacer(int64_t interval_ns) : interval_ns_(interval_ns) {}

  int64_t interval_ns() const { return interval_ns_; }
  bool round_pending() const { return round_pending_; }

  // A stream with something queued asks to write at `now`. False: write now (counted towards
  // this interval's immediate writes). True: wait for the next round (see schedule_round()).
  bool must_wait(int64_t now, const WriteTimes& stream) {
    if (round_pending_ || now < busy_until_ || now - stream.before_last < interval_ns_) {
      return true;
    }
    if (now - window_start_ >= interval_ns_) {
      window_start_ = now;
      immediate_writes_ = 0;
    }
    if (immediate_writes_ >= kManyWrites) return true;
    ++immediate_writes_;
    return false;
  }

  // Called when a stream must wait and no round is pending: the round becomes pending and
  // should run at the returned time (`now` or later: one interval after the previous round
  // started, and as long after it ended as it took).
  int64_t schedule_round(int64_t now) {
    round_pending_ = true;
    const int64_t pause_after = last_round_end_ + (last_round_end_ - last_round_);
    return std::max({now, last_round_ + interval_ns_, pause_after});
  }

  // The pending round runs now for `streams` streams; streams that must wait from here on wait
  // for the next one.
  void round_started(int64_t now, std::size_t streams) {
    round_pending_ = false;
    last_round_ = now;
    last_round_end_ = now;
    large_round_ = streams >= static_cast<std::size_t>(kManyWrites);
  }
  // The round's writes were issued.
  void round_finished(int64_t now) {
    last_round_end_ = now;
    if (large_round_) busy_until_ = now + interval_ns_;
  }

 private:
  const int64_t interval_ns_;
  int64_t last_round_ = WriteTimes::kNever;
  int64_t last_round_end_ = WriteTimes::kNever;
  int64_t busy_until_ = WriteTimes::kNever;
  int64_t window_start_ = WriteTimes::kNever;
  int immediate_writes_ = 0;
  bool large_round_ = false;
  bool round_pending_ = false;
};

}  // namespace b2b::core
