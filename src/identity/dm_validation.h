// IDENTITY.md §4.2 steps 4–9: the shape of a DM envelope and of its optional sender
// proof. The registry lookups, T3 verification and the envelope replay cache are the
// caller's (they need state); everything decidable from the body alone is here.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace b2b::identity {

inline constexpr std::size_t kDmMaxBytes = 131'072;  // DM_MAX_BYTES, decoded ciphertext
inline constexpr int64_t kDmSkewMs = 60'000;         // §1.7

struct DmEnvelopeFields {
  std::string ciphertext;      // strict base64, as sent (env_hash covers it as sent)
  std::string nonce;           // strict base64 of 24 bytes
  std::string sender_eph_pub;  // strict base64 of 32 bytes
};

// Steps 4–8 in order, with the §6 texts:
//  4 "ciphertext, nonce, sender_eph_pub required (all base64)"
//  5 "ciphertext too large" (decoded length estimated from the base64 characters before
//    any '=', as the lenient Node decoder would count them; exact for canonical input)
//  6 "ciphertext must be strict canonical base64"
//  7 "nonce must be strict canonical base64 of 24 bytes"
//  8 "sender_eph_pub must be strict canonical base64 of 32 bytes" (also for a key that is
//    not a canonical X25519 point of large order, see is_acceptable_box_pub)
core::Result<DmEnvelopeFields> validate_dm_envelope(const boost::json::object& body);

// A sender claim whose shape and clock are fine; still to check: `from_handle` registered
// (400 "from_handle not registered"), T3 verifies (401 "bad from_handle signature"), the
// envelope cache (401 "envelope already seen" / 429 "replay-cache full for this handle").
struct DmSenderClaim {
  std::string from_handle;  // '@' stripped, lowercased, cut to 34; NOT regex-checked
  int64_t from_ts = 0;
  std::string from_ts_text;  // §1.6 rendering for T3
  std::string from_sig;
};

// Step 9's body-only part. nullopt means "anonymous": from_handle absent, not a string or
// empty, or from_sig not a string, or from_ts not a JSON number (a numeric string too).
// Errors: "from_sig must be strict canonical base64 of 64 bytes", "from_ts skew too large",
// and (our §1.6 choice) "from_ts must be an integer (ms)" for a non-integral from_ts.
core::Result<std::optional<DmSenderClaim>> parse_dm_sender_claim(const boost::json::object& body,
                                                                 int64_t now);

// The envelope replay key within the sender's cache: "<recipient>|<env_hash>" (§4.2).
std::string dm_replay_key(std::string_view recipient, std::string_view env_hash);

}  // namespace b2b::identity
