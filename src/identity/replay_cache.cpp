// Time-bucketed replay cache; see replay_cache.h for the design and the spec sections.
#include "identity/replay_cache.h"

#include <algorithm>
#include <functional>

namespace b2b::identity {
namespace {

// Length-prefixed so that no (handle, nonce) pair can collide with another.
std::string make_key(std::string_view handle, std::string_view nonce) {
  std::string key = std::to_string(handle.size());
  key += ':';
  key.append(handle).append(nonce);
  return key;
}

int64_t floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

ReplayCache::ReplayCache(int64_t skew_ms, std::size_t max_entries_per_handle,
                         std::size_t max_entries_total, int64_t bucket_ms)
    : skew_ms_(std::max<int64_t>(skew_ms, 0)),
      bucket_ms_(bucket_ms > 0 ? bucket_ms : std::max<int64_t>(skew_ms / 4, 1)),
      max_per_handle_(max_entries_per_handle),
      max_total_(max_entries_total) {}

ReplayCache::Stripe& ReplayCache::stripe_for(std::string_view handle) {
  return stripes_[std::hash<std::string_view>{}(handle) % kStripes];
}

bool ReplayCache::in_window(int64_t ts, int64_t now) const {
  return ts >= now - skew_ms_ && ts <= now + skew_ms_;
}

int64_t ReplayCache::bucket_of(int64_t ts) const {
  return floor_div(ts, bucket_ms_);
}

// Bucket b holds ts in [b·w, (b+1)·w − 1]; the newest of those stops passing the skew
// check once now > (b+1)·w − 1 + skew, so from then on the whole bucket is dead.
void ReplayCache::drop_expired(Stripe& s, int64_t now) {
  while (!s.buckets.empty()) {
    auto oldest = s.buckets.begin();
    if ((oldest->first + 1) * bucket_ms_ + skew_ms_ > now) break;
    for (const auto& [handle, n] : oldest->second.per_handle) {
      auto it = s.handle_counts.find(handle);
      if (it != s.handle_counts.end() && (it->second -= n) == 0) s.handle_counts.erase(it);
    }
    total_.fetch_sub(oldest->second.keys.size(), std::memory_order_relaxed);
    s.buckets.erase(oldest);
  }
}

void ReplayCache::drop_expired_everywhere(int64_t now) {
  for (Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    drop_expired(s, now);
  }
}

bool ReplayCache::contains(const Stripe& s, const std::string& key) const {
  return std::any_of(s.buckets.begin(), s.buckets.end(),
                     [&](const auto& b) { return b.second.keys.count(key) != 0; });
}

ReplayCache::Outcome ReplayCache::check_locked(Stripe& s, std::string_view handle,
                                               const std::string& key) const {
  if (contains(s, key)) return Outcome::kReplay;
  const auto it = s.handle_counts.find(std::string(handle));
  if (it != s.handle_counts.end() && it->second >= max_per_handle_) return Outcome::kFull;
  if (total_.load(std::memory_order_relaxed) >= max_total_) return Outcome::kFull;
  return Outcome::kFresh;
}

bool ReplayCache::reserve_total_slot() {
  std::size_t current = total_.load(std::memory_order_relaxed);
  do {
    if (current >= max_total_) return false;
  } while (!total_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
  return true;
}

ReplayCache::Outcome ReplayCache::decide(std::string_view handle, std::string_view nonce,
                                         int64_t ts, int64_t now, bool record) {
  if (!in_window(ts, now)) return Outcome::kOutOfWindow;
  const std::string key = make_key(handle, nonce);
  Stripe& s = stripe_for(handle);
  for (int attempt = 0;; ++attempt) {
    {
      std::lock_guard lock(s.mu);
      drop_expired(s, now);
      Outcome outcome = check_locked(s, handle, key);
      // A full global count may only be other stripes' dead buckets: retry once after
      // dropping them (rare path, O(stripes)), otherwise refuse. Live nonces are never
      // evicted to make room.
      const bool maybe_stale_full = outcome == Outcome::kFull && attempt == 0 &&
                                    total_.load(std::memory_order_relaxed) >= max_total_;
      if (!maybe_stale_full) {
        if (outcome != Outcome::kFresh || !record) return outcome;
        if (!reserve_total_slot()) return Outcome::kFull;
        Bucket& bucket = s.buckets[bucket_of(ts)];
        bucket.keys.insert(key);
        ++bucket.per_handle[std::string(handle)];
        ++s.handle_counts[std::string(handle)];
        return Outcome::kFresh;
      }
    }
    drop_expired_everywhere(now);
  }
}

ReplayCache::Outcome ReplayCache::check(std::string_view handle, std::string_view nonce, int64_t ts,
                                        int64_t now) {
  return decide(handle, nonce, ts, now, /*record=*/false);
}

ReplayCache::Outcome ReplayCache::check_and_record(std::string_view handle, std::string_view nonce,
                                                   int64_t ts, int64_t now) {
  return decide(handle, nonce, ts, now, /*record=*/true);
}

bool ReplayCache::seen(std::string_view handle, std::string_view nonce, int64_t now) {
  const std::string key = make_key(handle, nonce);
  Stripe& s = stripe_for(handle);
  std::lock_guard lock(s.mu);
  drop_expired(s, now);
  return contains(s, key);
}

}  // namespace b2b::identity
