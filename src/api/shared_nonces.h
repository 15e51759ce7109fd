// Cluster mode: a signature's nonce is single-use across every node, not only on the node that
// saw it first (IDENTITY.md §1.10 step 8 for request signatures, §4.2 for signed DM envelopes,
// §2.2 for registrations).
//
// Each node's ReplayCache still catches a replay to itself, at no cost. What it cannot see is a
// replay to another node, so once the local checks have passed the node claims the nonce in
// Redis (SET NX with an expiry at the end of the signature's time window): exactly one claim
// wins, whichever nodes the copies reach and however close together they arrive. A single
// node has no claimer and goes on at once.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "api/reply.h"
#include "core/result.h"
#include "net/http_types.h"

namespace b2b::api {

class RelayState;

// What the cluster offers (ClusterSync implements it over its Redis connection).
class NonceClaimer {
 public:
  using Claimed = std::function<void(core::Result<bool>)>;
  virtual ~NonceClaimer() = default;
  // done(true) if this is the first claim of `key` while it lives, done(false) if the key was
  // claimed before, an error when Redis cannot answer. `done` runs on the claimer's thread.
  virtual void claim(std::string key, int64_t ttl_ms, Claimed done) = 0;
};

enum class NonceKind { kRequest, kDmEnvelope, kRegistration };

// The Redis key of a claim. It carries the handle's hash tag, so it lives in the same Redis
// Cluster slot as the handle's records; the nonce (or digest) is hashed so the key has a fixed
// size whatever the client sent.
std::string nonce_claim_key(NonceKind kind, std::string_view handle, std::string_view nonce);

// Runs `proceed` on the calling shard once (kind, handle, nonce) is this request's alone: at
// once on a single node, after the claim in cluster mode. A nonce another node claimed first is
// answered with `replayed`; an unreachable Redis with 503 and Retry-After. `signed_at_ms` is the
// signature's timestamp: the claim lives until the replay window closes over it.
void claim_nonce_then(RelayState& state, const Reply& reply, NonceKind kind,
                      std::string_view handle, std::string_view nonce, int64_t signed_at_ms,
                      net::Response replayed, std::function<void()> proceed);

}  // namespace b2b::api
