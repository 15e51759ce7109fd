#include "core/limiters.h"

#include <algorithm>
#include <functional>

namespace b2b::core {

RateLimiter::Stripe& RateLimiter::stripe_for(std::string_view key) {
  return stripes_[std::hash<std::string_view>{}(key) % kStripes];
}

bool RateLimiter::allow(std::string_view key, int64_t now_ms) {
  Stripe& s = stripe_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.buckets.find(std::string(key));
  if (it == s.buckets.end()) {
    it = s.buckets.emplace(std::string(key), TokenBucket::full(capacity_, now_ms)).first;
  }
  const bool took = it->second.take(capacity_, refill_per_sec_, now_ms);
  if (took && counting_) s.taken[it->first] += 1.0;
  return took;
}

std::vector<RateLimiter::Taken> RateLimiter::drain_taken() {
  std::vector<Taken> out;
  for (Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    for (auto& [key, tokens] : s.taken) out.push_back(Taken{key, tokens});
    s.taken.clear();
  }
  return out;
}

void RateLimiter::clamp(std::string_view key, double tokens) {
  Stripe& s = stripe_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.buckets.find(std::string(key));
  if (it != s.buckets.end()) it->second.tokens = std::min(it->second.tokens, tokens);
}

void RateLimiter::sweep(int64_t now_ms, int64_t idle_ms) {
  for (Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    std::erase_if(s.buckets,
                  [&](const auto& kv) { return now_ms - kv.second.updated_ms > idle_ms; });
  }
}

std::size_t RateLimiter::size() {
  std::size_t n = 0;
  for (Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

Slot& Slot::operator=(Slot&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = o.owner_;
    key_ = std::move(o.key_);
    o.owner_ = nullptr;
  }
  return *this;
}

void Slot::release() {
  if (owner_) owner_->release(key_);
  owner_ = nullptr;
}

ConcurrencyLimiter::Stripe& ConcurrencyLimiter::stripe_for(std::string_view key) {
  return stripes_[std::hash<std::string_view>{}(key) % kStripes];
}

Slot ConcurrencyLimiter::try_acquire(std::string_view key) {
  Stripe& s = stripe_for(key);
  std::lock_guard lock(s.mu);
  int64_t& n = s.counts[std::string(key)];
  if (n >= max_per_key_) {
    if (n == 0) s.counts.erase(std::string(key));
    return Slot{};
  }
  ++n;
  return Slot{this, std::string(key)};
}

int64_t ConcurrencyLimiter::count(std::string_view key) {
  Stripe& s = stripe_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(std::string(key));
  return it == s.counts.end() ? 0 : it->second;
}

void ConcurrencyLimiter::release(const std::string& key) {
  Stripe& s = stripe_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(key);
  if (it == s.counts.end()) return;
  if (--it->second <= 0) s.counts.erase(it);
}

}  // namespace b2b::core
