#include "api/shared_rate_limits.h"

#include <sodium.h>

#include <boost/asio/post.hpp>

#include "api/cluster_rooms.h"
#include "api/relay_state.h"

namespace b2b::api {

SharedRateLimits::SharedRateLimits(RelayState& state, ClusterRooms& redis, std::string secret)
    : state_(state), redis_(redis), secret_(std::move(secret)), timer_(state.pool().context(0)) {
  state_.keyed_rate.count_taken();
  state_.global_rate.count_taken();
}

void SharedRateLimits::start() {
  boost::asio::post(state_.pool().context(0), [this] { arm(); });
}

void SharedRateLimits::arm() {
  timer_.expires_after(kSyncInterval);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    sync();
    arm();
  });
}

void SharedRateLimits::sync() {
  charge(state_.keyed_rate, "room");
  charge(state_.global_rate, "ip");
}

void SharedRateLimits::charge(core::RateLimiter& limiter, const char* family) {
  auto taken = limiter.drain_taken();
  if (taken.empty()) return;
  redis_.on_redis([this, &limiter, family, taken = std::move(taken)](
                      const std::shared_ptr<cluster::RedisConnection>& redis) {
    for (const auto& t : taken) {
      bucket_.charge(redis, bucket_key(family, t.key), t.tokens, limiter.capacity(),
                     limiter.refill_per_sec(), [&limiter, key = t.key](core::Result<double> left) {
                       // Unreachable Redis: each node keeps its own bucket meanwhile.
                       if (left) limiter.clamp(key, left.value());
                     });
    }
  });
}

std::string SharedRateLimits::bucket_key(const char* family, const std::string& key) const {
  unsigned char mac[crypto_generichash_BYTES];
  crypto_generichash(mac, sizeof mac, reinterpret_cast<const unsigned char*>(key.data()),
                     key.size(), reinterpret_cast<const unsigned char*>(secret_.data()),
                     std::min<std::size_t>(secret_.size(), crypto_generichash_KEYBYTES_MAX));
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string("b2b:rl:") + family + ":" + hex;
}

}  // namespace b2b::api
