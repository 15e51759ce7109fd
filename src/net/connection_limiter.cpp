#include "net/connection_limiter.h"

#include <functional>

namespace b2b::net {

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = std::move(o.owner_);
    key_ = std::move(o.key_);
  }
  return *this;
}

void ConnectionSlot::release() {
  if (owner_ == nullptr) return;
  owner_->release(key_);
  owner_.reset();
}

ConnectionLimiter::Stripe& ConnectionLimiter::stripe_for(const std::string& address) {
  return stripes_[std::hash<std::string>{}(address) % kStripes];
}

ConnectionSlot ConnectionLimiter::try_acquire(const std::string& address) {
  Stripe& s = stripe_for(address);
  std::lock_guard lock(s.mu);
  std::int64_t& n = s.counts[address];
  if (n >= max_) return {};
  ++n;
  return ConnectionSlot(shared_from_this(), address);
}

std::int64_t ConnectionLimiter::count(const std::string& address) {
  Stripe& s = stripe_for(address);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(address);
  return it == s.counts.end() ? 0 : it->second;
}

void ConnectionLimiter::release(const std::string& address) {
  Stripe& s = stripe_for(address);
  std::lock_guard lock(s.mu);
  auto it = s.counts.find(address);
  if (it == s.counts.end()) return;
  // Forget addresses with nothing open, so the map holds only live peers.
  if (--it->second <= 0) s.counts.erase(it);
}

}  // namespace b2b::net
