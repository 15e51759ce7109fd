// ROOMS.md §7.2: verifying a signed room post is the identity layer's job. The room core
// only needs this interface; until identities exist no handle is registered, so every
// signed post fails exactly as an unknown handle does (401 "bad sender_sig").
#pragma once

#include <string>
#include <string_view>

#include "core/message.h"
#include "core/message_validation.h"
#include "core/result.h"

namespace b2b::core {

struct VerifiedSender {
  std::string handle;  // lowercase, without '@'
  RelayedSignature signature;
};

// The expensive, stateless half of a verification (parse, look up, Ed25519): it changes
// nothing, so it may run on the connection's shard — one busy room then uses every core.
struct SignatureCheck {
  bool ok = false;
  std::string detail;     // why not, when !ok
  VerifiedSender sender;  // when ok
};

class SenderVerifier {
 public:
  virtual ~SenderVerifier() = default;
  // Thread-safe and side-effect free.
  virtual SignatureCheck check(std::string_view room_id, const IncomingMessage& message,
                               int64_t now_ms) = 0;
  // The stateful half, on the room's shard after the rate limits and budget checks (§6.1
  // step 6), so a post refused for those keeps its nonce: record the nonce (a replay is
  // refused with "bad sender_sig"; a full cache with another error, answered 429).
  virtual Result<VerifiedSender> admit(const SignatureCheck& check, int64_t now_ms) = 0;
};

class NoIdentities final : public SenderVerifier {
 public:
  SignatureCheck check(std::string_view, const IncomingMessage&, int64_t) override {
    return SignatureCheck{false, "no such identity is registered", {}};
  }
  Result<VerifiedSender> admit(const SignatureCheck& c, int64_t) override { return c.sender; }
};

}  // namespace b2b::core
