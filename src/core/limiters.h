// Cross-shard limits of ROOMS.md §10, keyed by client IP. Any shard may ask, so the maps
// are split into independently locked stripes: two requests contend only when their keys
// hash to the same stripe, and no lock is held for longer than a hash lookup.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/token_bucket.h"

namespace b2b::core {

// A family of token buckets (§10.1). Buckets idle for longer than `idle_ms` are swept.
class RateLimiter {
 public:
  RateLimiter(double capacity, double refill_per_sec)
      : capacity_(capacity), refill_per_sec_(refill_per_sec) {}

  bool allow(std::string_view key, int64_t now_ms);
  void sweep(int64_t now_ms, int64_t idle_ms);
  std::size_t size();

  // Cluster-wide buckets (`serve --global-rate-limits`): the node charges a bucket in Redis with
  // the tokens it took and lowers its own bucket to what the shared one holds, so all nodes
  // together stay within one bucket's rate (api/shared_rate_limits.h).
  struct Taken {
    std::string key;
    double tokens = 0;
  };
  void count_taken() { counting_ = true; }  // before the limiter is used
  // The keys tokens were taken from since the last drain, with how many.
  std::vector<Taken> drain_taken();
  // Lowers `key`'s bucket to at most `tokens` (which may be negative: a debt that refills).
  void clamp(std::string_view key, double tokens);
  double capacity() const { return capacity_; }
  double refill_per_sec() const { return refill_per_sec_; }

 private:
  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, TokenBucket> buckets;
    std::unordered_map<std::string, double> taken;  // only when counting
  };
  static constexpr std::size_t kStripes = 64;
  Stripe& stripe_for(std::string_view key);

  const double capacity_;
  const double refill_per_sec_;
  bool counting_ = false;
  std::array<Stripe, kStripes> stripes_;
};

// Counts concurrent holders per key (streams per IP, parked waits per IP; §10.2).
class ConcurrencyLimiter;

// Held while a stream or a parked wait is open; releases its unit exactly once, on every
// exit path, by being destroyed (§18.5).
class Slot {
 public:
  Slot() = default;
  Slot(ConcurrencyLimiter* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
  Slot(Slot&& o) noexcept : owner_(o.owner_), key_(std::move(o.key_)) { o.owner_ = nullptr; }
  Slot& operator=(Slot&& o) noexcept;
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() { release(); }

  bool held() const { return owner_ != nullptr; }
  void release();

 private:
  ConcurrencyLimiter* owner_ = nullptr;
  std::string key_;
};

class ConcurrencyLimiter {
 public:
  explicit ConcurrencyLimiter(int64_t max_per_key) : max_per_key_(max_per_key) {}

  // An empty Slot when `key` already holds the maximum.
  Slot try_acquire(std::string_view key);
  int64_t count(std::string_view key);

 private:
  friend class Slot;
  void release(const std::string& key);
  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, int64_t> counts;
  };
  static constexpr std::size_t kStripes = 64;
  Stripe& stripe_for(std::string_view key);

  const int64_t max_per_key_;
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace b2b::core
