// ROOMS.md §10.1 token bucket: continuous fractional refill, each request costs one
// token and needs at least one. New buckets start full.
#pragma once

#include <algorithm>
#include <cstdint>

namespace b2b::core {

struct TokenBucket {
  double tokens = 0;
  int64_t updated_ms = 0;

  static TokenBucket full(double capacity, int64_t now_ms) { return {capacity, now_ms}; }

  bool take(double capacity, double refill_per_sec, int64_t now_ms) {
    if (now_ms > updated_ms) {
      tokens = std::min(capacity, tokens + (now_ms - updated_ms) * refill_per_sec / 1000.0);
      updated_ms = now_ms;
    }
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }
};

}  // namespace b2b::core
