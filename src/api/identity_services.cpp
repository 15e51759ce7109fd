#include "api/identity_services.h"

namespace b2b::api {

void RestoredCursors::add(const std::string& handle, const std::string& room_key, int64_t cursor) {
  std::lock_guard lock(mu_);
  cursors_[handle + "\n" + room_key] = cursor;
}

std::optional<int64_t> RestoredCursors::take(const std::string& handle,
                                             const std::string& room_key) {
  std::lock_guard lock(mu_);
  auto it = cursors_.find(handle + "\n" + room_key);
  if (it == cursors_.end()) return std::nullopt;
  int64_t c = it->second;
  cursors_.erase(it);
  return c;
}

IdentityServices::IdentityServices(std::unique_ptr<store::Store> s, IdentityConfig cfg,
                                   std::size_t shards)
    : store(std::move(s)),
      config(std::move(cfg)),
      room_key_secret(store->room_key_secret()),
      registry(*store, config.identity_touch_min_ms),
      // §20.7: sized for honest high-rate agents (a replay entry lives only while its ts is
      // inside the ±60 s window), bounded overall; beyond a cap the answer is 429.
      request_nonces(identity::ReplayCache::kDefaultSkewMs, config.nonces_per_handle_max,
                     config.nonces_total_max),
      room_nonces(identity::ReplayCache::kDefaultSkewMs, config.nonces_per_handle_max,
                  config.nonces_total_max),
      dm_envelopes(identity::ReplayCache::kDefaultSkewMs, config.nonces_per_handle_max,
                   config.nonces_total_max),
      dm_pool(config.dm_pool_max_bytes) {
  for (std::size_t i = 0; i < shards; ++i) {
    inboxes.push_back(std::make_unique<identity::InboxShard>(inbox_limits, dm_pool));
  }
}

identity::EnvelopePtr envelope_from_record(const store::DmRecord& d) {
  return std::make_shared<identity::Envelope>(
      identity::Envelope{d.seq, d.id, d.ciphertext, d.nonce, d.sender_eph_pub, d.from_handle,
                         d.from_verified, d.ts, d.from_sig, d.from_ts});
}

}  // namespace b2b::api
