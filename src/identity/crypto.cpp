// IDENTITY.md §1.4. Every primitive is libsodium's; nothing here is hand-rolled.
#include "identity/crypto.h"

#include <sodium.h>

#include <algorithm>

#include "core/base64.h"

namespace b2b::identity {
namespace {

void ensure_sodium_initialized() {
  // Thread-safe once-only init; sodium_init picks the fastest implementations.
  static const int rc = sodium_init();
  (void)rc;
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  ensure_sodium_initialized();
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes_of(bytes), bytes.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);  // lowercase
  return std::string(hex, crypto_hash_sha256_BYTES * 2);
}

bool is_acceptable_sign_pub(std::string_view pub) {
  ensure_sodium_initialized();
  if (pub.size() != crypto_sign_PUBLICKEYBYTES) return false;
  if (std::all_of(pub.begin(), pub.end(), [](char c) { return c == 0; })) return false;
  // Canonical encoding, on the curve, not of small order, in the main subgroup. libsodium's
  // verify also refuses small-order keys; checking here too makes the rule explicit.
  return crypto_core_ed25519_is_valid_point(bytes_of(pub)) == 1;
}

bool is_acceptable_box_pub(std::string_view pub) {
  ensure_sodium_initialized();
  if (pub.size() != crypto_scalarmult_BYTES) return false;
  // 2^255 - 19 little-endian: every canonical u-coordinate is below it (sodium_compare reads
  // both as little-endian numbers), which also refuses a set top bit.
  static constexpr unsigned char kFieldPrime[crypto_scalarmult_BYTES] = {
      0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  if (sodium_compare(bytes_of(pub), kFieldPrime, sizeof kFieldPrime) >= 0) return false;
  // Any scalar will do: X25519 clamps it to a multiple of the cofactor 8, so the product with a
  // point of order 1, 2, 4 or 8 is the all-zero u, which crypto_scalarmult reports as -1.
  static constexpr unsigned char kProbeScalar[crypto_scalarmult_SCALARBYTES] = {9};
  unsigned char product[crypto_scalarmult_BYTES];
  return crypto_scalarmult(product, kProbeScalar, bytes_of(pub)) == 0;
}

bool verify_detached(std::string_view sign_pub_b64, std::string_view message,
                     std::string_view sig_b64) {
  const std::optional<std::string> pub = core::strict_base64_decode(sign_pub_b64);
  const std::optional<std::string> sig = core::strict_base64_decode(sig_b64);
  if (!pub || !sig || sig->size() != crypto_sign_BYTES ||
      pub->size() != crypto_sign_PUBLICKEYBYTES) {
    return false;
  }
  // The full point check (a scalar multiplication, as costly as the verification itself) is
  // made once, at registration (is_acceptable_sign_pub); libsodium's verify still refuses
  // small-order and non-canonical keys and signatures here.
  return crypto_sign_verify_detached(bytes_of(*sig), bytes_of(message), message.size(),
                                     bytes_of(*pub)) == 0;
}

std::optional<std::string> x25519_public_from_secret(std::string_view secret32) {
  ensure_sodium_initialized();
  if (secret32.size() != crypto_scalarmult_SCALARBYTES) return std::nullopt;
  std::string pub(crypto_scalarmult_BYTES, '\0');
  if (crypto_scalarmult_base(reinterpret_cast<unsigned char*>(pub.data()), bytes_of(secret32)) !=
      0) {
    return std::nullopt;
  }
  return pub;
}

std::optional<SigningKeyPair> signing_key_from_seed(std::string_view seed32) {
  ensure_sodium_initialized();
  if (seed32.size() != crypto_sign_SEEDBYTES) return std::nullopt;
  SigningKeyPair key{std::string(crypto_sign_PUBLICKEYBYTES, '\0'),
                     std::string(crypto_sign_SECRETKEYBYTES, '\0')};
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(key.public_key.data()),
                           reinterpret_cast<unsigned char*>(key.secret_key.data()),
                           bytes_of(seed32));
  return key;
}

std::string sign_detached(const SigningKeyPair& key, std::string_view message) {
  ensure_sodium_initialized();
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, bytes_of(message),
                       message.size(), bytes_of(key.secret_key));
  return sig;
}

}  // namespace b2b::identity
