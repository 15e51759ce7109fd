// IDENTITY.md §1.10 steps 1–5: parsing `Authorization: Bot2Bot ts=…,n=…,sig=…`.
// Steps 6–10 (skew, registration, replay, verify, record) are in request_signature.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace b2b::identity {

// §1.10: every failure is 401 with this text (the api layer adds no detail to the body).
inline constexpr std::string_view kBadSignature = "bad or missing signature";

struct RequestAuth {
  int64_t ts = 0;     // parsed, so T2 shows the server's rendering (§1.6)
  std::string nonce;  // `n`, 16–64 chars of [A-Za-z0-9+/=_-]
  std::string sig;    // base64 as sent; strict canonical, 64 bytes
};

// `header` is the raw header value ("" when the header is absent). Rules, matching the
// reference: exact case-sensitive prefix "Bot2Bot "; split on ','; trim each part; split
// at the first '=' (so base64 padding stays in the value); last duplicate wins; unknown
// keys and parts without '=' ignored. Stricter than the reference where §1.6 says SHOULD:
// ts must be ^[0-9]{1,16}$ (no sign, no junk) and non-zero.
// The nonce rule shared by the header's `n` (§1.10 step 4) and a room post's `sender_nonce`
// (§5.1): 16 to 64 characters of [A-Za-z0-9+/=_-].
bool is_signature_nonce(std::string_view nonce);

core::Result<RequestAuth> parse_authorization_header(std::string_view header);

}  // namespace b2b::identity
