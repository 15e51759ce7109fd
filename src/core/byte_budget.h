// ROOMS.md §2.7: all rooms together hold at most `max` accounted bytes. Shared by every
// shard, hence atomic; rooms reserve before appending and release when pruning.
#pragma once

#include <atomic>
#include <cstdint>

namespace b2b::core {

class ByteBudget {
 public:
  explicit ByteBudget(int64_t max_bytes) : max_(max_bytes) {}

  bool try_reserve(int64_t n) {
    int64_t cur = used_.load(std::memory_order_relaxed);
    do {
      if (cur + n > max_) return false;
    } while (!used_.compare_exchange_weak(cur, cur + n, std::memory_order_relaxed));
    return true;
  }
  // Cluster mode: a message another node already accepted is held even past the budget (the
  // room then trims its oldest), since every node must show the same log.
  void reserve_anyway(int64_t n) { used_.fetch_add(n, std::memory_order_relaxed); }
  void release(int64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }
  bool would_fit(int64_t n) const { return used() + n <= max_; }
  int64_t used() const { return used_.load(std::memory_order_relaxed); }

 private:
  const int64_t max_;
  std::atomic<int64_t> used_{0};
};

}  // namespace b2b::core
