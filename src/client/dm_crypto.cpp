#include "client/dm_crypto.h"

#include <sodium.h>

#include "client/room_url.h"
#include "core/base64.h"
#include "core/utf8.h"
#include "identity/crypto.h"
#include "identity/handles.h"
#include "identity/signing_texts.h"

namespace b2b::client {
namespace {

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    auto cp = core::utf8::decode_at(s, i);
    if (!cp.valid) return false;
    i += cp.size;
  }
  return true;
}

}  // namespace

core::Result<DmEnvelopeOut> seal_dm_with(std::string_view recipient_box_pub, std::string_view text,
                                         std::string_view eph_sk, std::string_view nonce24) {
  std::string ct(text.size() + crypto_box_MACBYTES, '\0');
  if (crypto_box_easy(reinterpret_cast<unsigned char*>(ct.data()), u8(text), text.size(),
                      u8(nonce24), u8(recipient_box_pub), u8(eph_sk)) != 0) {
    return core::Error{"bad recipient key", "the recipient's box_pub is not a usable key"};
  }
  auto eph_pub = identity::x25519_public_from_secret(eph_sk).value_or(std::string{});
  return DmEnvelopeOut{core::base64_encode(ct), core::base64_encode(nonce24),
                       core::base64_encode(eph_pub)};
}

core::Result<DmEnvelopeOut> seal_dm(std::string_view recipient_box_pub_b64, std::string_view text) {
  if (sodium_init() < 0) return core::Error{"crypto unavailable", "sodium_init failed"};
  auto pub = decode_b64_lenient(recipient_box_pub_b64);
  if (!pub || pub->size() != crypto_box_PUBLICKEYBYTES) {
    return core::Error{"bad recipient key", "the recipient's box_pub is not 32 bytes of base64"};
  }
  std::string eph_sk(crypto_box_SECRETKEYBYTES, '\0');
  std::string nonce(crypto_box_NONCEBYTES, '\0');
  randombytes_buf(eph_sk.data(), eph_sk.size());
  randombytes_buf(nonce.data(), nonce.size());
  auto env = seal_dm_with(*pub, text, eph_sk, nonce);
  sodium_memzero(eph_sk.data(), eph_sk.size());
  return env;
}

boost::json::object dm_body(const DmEnvelopeOut& env, std::string_view to_handle,
                            const ClientIdentity* from, int64_t ts_ms) {
  boost::json::object body{
      {"ciphertext", env.ciphertext}, {"nonce", env.nonce}, {"sender_eph_pub", env.sender_eph_pub}};
  if (from != nullptr) {
    std::string to = identity::normalize_handle(to_handle);
    std::string hash = identity::env_hash(env.ciphertext, env.nonce, env.sender_eph_pub);
    body["from_handle"] = from->handle();
    body["from_ts"] = ts_ms;
    body["from_sig"] =
        from->sign(identity::dm_text(to, from->handle(), std::to_string(ts_ms), hash));
  }
  return body;
}

std::optional<std::string> open_dm(const ClientIdentity& id, std::string_view ciphertext_b64,
                                   std::string_view nonce_b64,
                                   std::string_view sender_eph_pub_b64) {
  auto ct = decode_b64_lenient(ciphertext_b64);
  auto nonce = decode_b64_lenient(nonce_b64);
  auto eph = decode_b64_lenient(sender_eph_pub_b64);
  if (!ct || !nonce || !eph || ct->size() < crypto_box_MACBYTES ||
      nonce->size() != crypto_box_NONCEBYTES || eph->size() != crypto_box_PUBLICKEYBYTES) {
    return std::nullopt;
  }
  std::string plain(ct->size() - crypto_box_MACBYTES, '\0');
  if (crypto_box_open_easy(reinterpret_cast<unsigned char*>(plain.data()), u8(*ct), ct->size(),
                           u8(*nonce), u8(*eph), u8(id.box_sk())) != 0) {
    return std::nullopt;
  }
  if (!valid_utf8(plain)) return std::nullopt;
  return plain;
}

}  // namespace b2b::client
