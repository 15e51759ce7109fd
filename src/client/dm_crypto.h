// Direct-message sealing (IDENTITY.md §4.1): an anonymous crypto_box from a fresh ephemeral
// X25519 key to the recipient's box_pub, optionally signed by the sender (T3).
//
// API:
//   core::Result<DmEnvelopeOut> seal_dm(recipient_box_pub_b64, text)
//   core::Result<DmEnvelopeOut> seal_dm_with(recipient_box_pub32, text, eph_sk32, nonce24)  (test
//   vectors) boost::json::object dm_body(env, to_handle, const ClientIdentity* from, ts)
//       POST /api/dm/<to> body; signed (from_handle/from_ts/from_sig) when `from` is set
//   std::optional<std::string> open_dm(id, ciphertext_b64, nonce_b64, sender_eph_pub_b64)
//       nullopt = undecryptable
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "client/client_identity.h"
#include "core/result.h"

namespace b2b::client {

struct DmEnvelopeOut {
  std::string ciphertext;      // padded standard base64
  std::string nonce;           // padded standard base64, 24 bytes
  std::string sender_eph_pub;  // padded standard base64, 32 bytes
};

core::Result<DmEnvelopeOut> seal_dm(std::string_view recipient_box_pub_b64, std::string_view text);
core::Result<DmEnvelopeOut> seal_dm_with(std::string_view recipient_box_pub, std::string_view text,
                                         std::string_view eph_sk, std::string_view nonce24);
boost::json::object dm_body(const DmEnvelopeOut& env, std::string_view to_handle,
                            const ClientIdentity* from, int64_t ts_ms);
std::optional<std::string> open_dm(const ClientIdentity& id, std::string_view ciphertext_b64,
                                   std::string_view nonce_b64, std::string_view sender_eph_pub_b64);

}  // namespace b2b::client
