#include "api/relay_state.h"

#include <functional>

#include "api/cluster_rooms.h"

namespace b2b::api {

RelayState::RelayState(const RelayConfig& cfg, core::TrustedProxies trusted, std::size_t shards,
                       core::SeqReservations* reservations)
    : config(cfg),
      limits(cfg.limits),
      trusted_proxies(std::move(trusted)),
      budget(cfg.limits.global_max_bytes),
      keyed_rate(cfg.limits.keyed_rate_burst, cfg.limits.keyed_rate_per_sec),
      global_rate(cfg.limits.global_rate_burst, cfg.limits.global_rate_per_sec),
      streams_per_ip(cfg.limits.stream_cap_per_ip),
      waiters_per_ip(cfg.limits.waiter_cap_per_ip),
      sender_verifier(std::make_unique<core::NoIdentities>()),
      started_ms(core::wall_clock_ms()) {
  for (std::size_t i = 0; i < shards; ++i) {
    shards_.push_back(
        std::make_unique<core::RoomShard>(limits, budget, metrics, room_count, reservations));
  }
}

std::size_t RelayState::shard_of(std::string_view room_id) const {
  return std::hash<std::string_view>{}(room_id) % shards_.size();
}

void RelayState::cluster_room_impl(std::size_t s, std::string id, bool create, RoomThen then) {
  cluster->with_room(s, id, create, std::move(then));
}

bool RelayState::allow_rate(const std::string& ip, std::string_view key, int64_t now_ms) {
  std::string keyed = ip;
  keyed.append("|").append(key);
  if (!keyed_rate.allow(keyed, now_ms)) return false;
  // §10.1: an empty IP bypasses the global bucket.
  return ip.empty() || global_rate.allow(ip, now_ms);
}

}  // namespace b2b::api
