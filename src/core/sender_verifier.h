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

class SenderVerifier {
 public:
  virtual ~SenderVerifier() = default;
  // Called on the room's shard after rate limits and budget checks (§6.1 step 6), so a
  // refused post never consumes the nonce.
  virtual Result<VerifiedSender> verify(std::string_view room_id, const IncomingMessage& message,
                                        int64_t now_ms) = 0;
};

class NoIdentities final : public SenderVerifier {
 public:
  Result<VerifiedSender> verify(std::string_view, const IncomingMessage&, int64_t) override {
    return Error{"bad sender_sig", "no such identity is registered"};
  }
};

}  // namespace b2b::core
