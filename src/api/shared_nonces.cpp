#include "api/shared_nonces.h"

#include "api/identity_services.h"
#include "api/relay_state.h"
#include "api/responses.h"
#include "cluster/redis_store_keys.h"
#include "core/clock.h"
#include "identity/crypto.h"
#include "identity/replay_cache.h"
#include "net/shard_pool.h"

namespace b2b::api {
namespace {

// Beyond the window's end, so that a claim never lapses while a replica of the local cache
// would still refuse the nonce (clocks of nodes differ by a little).
constexpr int64_t kClaimMarginMs = 1'000;

const char* kind_name(NonceKind kind) {
  switch (kind) {
    case NonceKind::kRequest:
      return "req";
    case NonceKind::kDmEnvelope:
      return "dm";
    case NonceKind::kRegistration:
      return "reg";
  }
  return "?";
}

}  // namespace

std::string nonce_claim_key(NonceKind kind, std::string_view handle, std::string_view nonce) {
  return cluster::store_keys::handle_key(
      handle, std::string("nonce:") + kind_name(kind) + ":" + identity::sha256_hex(nonce));
}

void claim_nonce_then(RelayState& state, const Reply& reply, NonceKind kind,
                      std::string_view handle, std::string_view nonce, int64_t signed_at_ms,
                      net::Response replayed, std::function<void()> proceed) {
  NonceClaimer* claimer = state.ids->nonce_claimer;
  if (claimer == nullptr) return proceed();
  const int64_t ttl_ms =
      std::max<int64_t>(kClaimMarginMs, signed_at_ms + identity::ReplayCache::kDefaultSkewMs -
                                            core::wall_clock_ms() + kClaimMarginMs);
  const std::size_t shard = net::ShardPool::current_shard();
  claimer->claim(nonce_claim_key(kind, handle, nonce), ttl_ms,
                 [&state, shard, reply, replayed = std::move(replayed),
                  proceed = std::move(proceed)](core::Result<bool> first) mutable {
                   if (!first) {
                     return reply.send(error_response(
                         503, "redis unavailable", "the relay's cluster store is unreachable", 1));
                   }
                   if (!first.value()) return reply.send(std::move(replayed));
                   state.on_shard(shard,
                                  [proceed = std::move(proceed)](core::RoomShard&) { proceed(); });
                 });
}

}  // namespace b2b::api
