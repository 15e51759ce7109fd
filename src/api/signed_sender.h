// Verifies a signed room post (ROOMS.md §7, IDENTITY.md §5.1–§5.2) against the registry and
// the room-signature replay cache. The Ed25519 check runs wherever the post arrived; the
// nonce is recorded on the room's shard after the rate limits and budget checks, so a post
// refused for those keeps its nonce for the retry.
#pragma once

#include "api/identity_services.h"
#include "core/sender_verifier.h"

namespace b2b::api {

// The refusal text when the replay cache is full: a 429, never a false 401 (§20.7).
inline constexpr std::string_view kSenderReplayCacheFull = "replay-cache full for this handle";

class SignedSenderVerifier final : public core::SenderVerifier {
 public:
  explicit SignedSenderVerifier(IdentityServices& ids) : ids_(ids) {}
  core::SignatureCheck check(std::string_view room_id, const core::IncomingMessage& message,
                             int64_t now_ms) override;
  core::Result<core::VerifiedSender> admit(const core::SignatureCheck& check,
                                           int64_t now_ms) override;

 private:
  IdentityServices& ids_;
};

}  // namespace b2b::api
