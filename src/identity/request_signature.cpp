// IDENTITY.md §1.10 steps 6–10.
#include "identity/request_signature.h"

#include "identity/crypto.h"
#include "identity/signing_texts.h"

namespace b2b::identity {
namespace {

core::Error bad(std::string detail) {
  return core::Error{std::string(kBadSignature), std::move(detail)};
}

core::Error full() {
  return core::Error{std::string(kReplayCacheFull), "too many live nonces; retry shortly"};
}

}  // namespace

core::Result<RequestAuth> authenticate_request(std::string_view authorization_header,
                                               std::string_view method, std::string_view target,
                                               std::string_view handle, const std::string* sign_pub,
                                               int64_t now, ReplayCache& cache) {
  core::Result<RequestAuth> parsed = parse_authorization_header(authorization_header);
  if (!parsed) return parsed;
  const RequestAuth& auth = parsed.value();
  if (auth.ts < now - kSignatureSkewMs || auth.ts > now + kSignatureSkewMs) {
    return bad("ts is more than 60 s away from the server clock");
  }
  if (sign_pub == nullptr) return bad("handle is not registered");
  // Step 8 before the verification, so replays and a full cache cost no signature check.
  switch (cache.check(handle, auth.nonce, auth.ts, now)) {
    case ReplayCache::Outcome::kReplay:
      return bad("nonce already used");
    case ReplayCache::Outcome::kFull:
      return full();
    case ReplayCache::Outcome::kOutOfWindow:
      return bad("ts is more than 60 s away from the server clock");
    case ReplayCache::Outcome::kFresh:
      break;
  }
  if (!verify_detached(*sign_pub, request_text(method, target, auth.ts, auth.nonce), auth.sig)) {
    return bad("signature does not verify over \"<METHOD> <target> <ts> <nonce>\"");
  }
  // Step 10, atomically: a concurrent request with the same nonce may have won meanwhile.
  switch (cache.check_and_record(handle, auth.nonce, auth.ts, now)) {
    case ReplayCache::Outcome::kFresh:
      return parsed;
    case ReplayCache::Outcome::kFull:
      return full();
    default:
      return bad("nonce already used");
  }
}

}  // namespace b2b::identity
