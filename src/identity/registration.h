// IDENTITY.md §2.2 POST /api/identity/register: the body-only checks, split at the points
// where the endpoint interleaves state-dependent steps, so the caller can run them in the
// spec's order:
//   1 rate limit            (caller)
//   2 operator token        (caller)
//   3 validate_register_handle
//   4 reserved handle       (caller: is_reserved_handle && !operator -> 409)
//   5,6 validate_register_keys
//   7 existing handle       (caller; owner proof = stored sign_pub == keys.sign_pub &&
//                            validate_register_signature(...).ok() && not replayed &&
//                            verify_detached(sign_pub, T1) -> 201, else 409 "handle taken")
//   8 identity cap          (caller)
//   9,10,11 validate_register_signature
//   12–14 replay cache, T1 verification, create (caller)
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>

#include "core/result.h"

namespace b2b::identity {

inline constexpr int64_t kRegisterSkewMs = 60'000;  // §1.7
inline constexpr std::size_t kBioMaxUnits = 280;    // §2.1

struct RegisterKeys {
  std::string box_pub;   // exactly as sent (T1 signs these strings)
  std::string sign_pub;  // exactly as sent
};

struct RegisterSignature {
  int64_t register_ts = 0;
  std::string register_ts_text;  // §1.6 rendering, for T1
  std::string register_sig;      // as sent
};

// Step 3: `handle` must be a JSON string (W19) matching HANDLE_REGEX as sent.
// 400 "invalid handle (regex: ^[a-z0-9][a-z0-9_-]{1,31}$)".
core::Result<std::string> validate_register_handle(const boost::json::object& body);

// Steps 5–6. 400 "box_pub and sign_pub required (base64 32-byte keys)" then
// 400 "box_pub and sign_pub must be strict canonical base64 of 32 bytes". A sign_pub that
// decodes but is not a usable Ed25519 point (all zero, small order) fails step 6 too: no
// signature could ever verify against it. So does a box_pub that is not a canonical X25519
// point of large order: every box sealed to it could be opened by anyone.
core::Result<RegisterKeys> validate_register_keys(const boost::json::object& body);

// Steps 9–11: 400 "register_sig (base64 Ed25519) and register_ts (ms) required — sign …",
// "register_sig must be strict canonical base64 of 64 bytes", "register_ts skew too large".
// A non-integral register_ts within the window gets the step-9 text (§1.6: we do not
// emulate JS fraction formatting).
core::Result<RegisterSignature> validate_register_signature(const boost::json::object& body,
                                                            int64_t now);

// §2.2 `meta`: a non-null object or array gives {"bio": String(meta.bio or "")} cut to 280
// UTF-16 units (a surrogate pair straddling the cut is dropped whole; bio is not signed);
// anything else gives {}.
boost::json::object register_meta(const boost::json::object& body);

}  // namespace b2b::identity
