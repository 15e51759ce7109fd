#include "api/signed_sender.h"

#include <cstdlib>

#include "core/base64.h"
#include "core/js_int.h"
#include "identity/auth_header.h"
#include "identity/crypto.h"
#include "identity/handles.h"
#include "identity/js_text.h"
#include "identity/js_values.h"
#include "identity/signing_texts.h"

namespace b2b::api {
namespace {

constexpr int64_t kSkewMs = 60'000;  // §1.7

core::Error bad(std::string detail) {
  return core::Error{"bad sender_sig", std::move(detail)};
}

}  // namespace

core::SignatureCheck SignedSenderVerifier::check(std::string_view room_id,
                                                 const core::IncomingMessage& m, int64_t now_ms) {
  auto fail = [](std::string detail) { return core::SignatureCheck{false, std::move(detail), {}}; };
  // §7.1: any JSON value, converted to a string and lowercased (no '@' stripping).
  const std::string handle = identity::ascii_lower(identity::js_string(m.sender_handle));
  if (!identity::is_valid_loose_handle(handle)) return fail("sender_handle is not a valid handle");
  const auto ts = core::parse_js_int(identity::js_string(m.sender_ts));
  if (!ts || *ts == 0) return fail("sender_ts must be integer milliseconds");
  if (std::llabs(now_ms - *ts) > kSkewMs) return fail("sender_ts is more than 60 s from now");
  if (!m.sender_nonce.is_string() || !identity::is_signature_nonce(m.sender_nonce.get_string())) {
    return fail("sender_nonce must be 16-64 chars of [A-Za-z0-9+/=_-]");
  }
  const std::string nonce(m.sender_nonce.get_string());
  if (!m.sender_sig.is_string() ||
      core::strict_base64_decoded_size(m.sender_sig.get_string()) != 64) {
    return fail("sender_sig must be strict base64 of 64 bytes");
  }
  auto id = ids_.registry.find(handle);
  if (!id) return fail("sender_handle is not registered");
  // A known replay is refused before spending a verification on it.
  if (ids_.room_nonces.seen(handle, nonce, now_ms)) return fail("sender_nonce was already used");
  const std::string sig(m.sender_sig.get_string());
  const std::string text =
      identity::room_msg_text(room_id, *ts, nonce, identity::ct_hash(m.ciphertext));
  if (!identity::verify_detached(id->sign_pub, text, sig)) {
    return fail("the signature does not verify over room-msg <roomId> <ts> <nonce> <ct_hash>");
  }
  return core::SignatureCheck{true, "", core::VerifiedSender{handle, {sig, nonce, *ts}}};
}

core::Result<core::VerifiedSender> SignedSenderVerifier::admit(const core::SignatureCheck& c,
                                                               int64_t now_ms) {
  using Outcome = identity::ReplayCache::Outcome;
  const auto& s = c.sender;
  switch (ids_.room_nonces.check_and_record(s.handle, s.signature.sender_nonce,
                                            s.signature.sender_ts, now_ms)) {
    case Outcome::kFresh:
      break;
    case Outcome::kFull:
      return core::Error{std::string(kSenderReplayCacheFull), "too many signed posts in flight"};
    default:
      return bad("sender_nonce was already used");
  }
  ids_.registry.touch(s.handle, now_ms);
  return s;
}

}  // namespace b2b::api
