// IDENTITY.md §1.10 steps 6–10: checking a parsed `Authorization: Bot2Bot` header against
// the handle's key and the shared request replay cache. Pure: the caller looks up the
// handle's sign_pub (step 7) and passes nullptr for an unknown handle.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"
#include "identity/auth_header.h"
#include "identity/replay_cache.h"

namespace b2b::identity {

// 429 text when the replay cache cannot take the nonce (§20.7: capacity is never a 401).
inline constexpr std::string_view kReplayCacheFull = "replay-cache full for this handle";

inline constexpr int64_t kSignatureSkewMs = 60'000;  // §1.7 SIG_MAX_SKEW_MS

// Runs §1.10 steps 1–10 in order. Errors: kBadSignature (401) or kReplayCacheFull (429);
// `detail` says which step failed. On success the nonce is recorded; the caller then
// touches the identity (§2.5).
//   method: upper-case HTTP method; target: the raw request target as received.
core::Result<RequestAuth> authenticate_request(std::string_view authorization_header,
                                               std::string_view method, std::string_view target,
                                               std::string_view handle, const std::string* sign_pub,
                                               int64_t now, ReplayCache& cache);

}  // namespace b2b::identity
