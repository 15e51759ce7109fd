// IDENTITY.md §1.4: the primitives the server itself runs, mapped to libsodium.
// The server only ever verifies; signing and box helpers exist for tests and vectors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace b2b::identity {

// SHA-256 of `bytes` as 64 lowercase hex digits (§1.4 "Digests").
std::string sha256_hex(std::string_view bytes);

// True if `sig_b64` (strict canonical base64 of 64 bytes, §1.3) is a valid detached
// Ed25519 signature over `message` by `sign_pub_b64` (strict canonical base64 of 32 bytes).
// Stricter than tweetnacl, as §1.4 allows: refuses malleable (S >= L) signatures and
// small-order or non-canonical keys (libsodium's checks). Keys outside the main subgroup are
// refused once, at registration (is_acceptable_sign_pub), since that check costs as much as a
// verification and every stored key has passed it.
bool verify_detached(std::string_view sign_pub_b64, std::string_view message,
                     std::string_view sig_b64);

// True if the 32 raw bytes are a canonical point of the main subgroup, not all zero and not
// of small order: the keys registration accepts (so nobody can register a key for which
// "any signature" verifies).
bool is_acceptable_sign_pub(std::string_view pub_bytes);

// True if the 32 raw bytes are a canonical X25519 public key (u < 2^255 - 19, top bit clear)
// that is not of small order: a box key anyone could open boxes to (the shared secret of a
// small-order point is all zero, whatever the secret key) is refused. Costs one scalar
// multiplication (libsodium's crypto_scalarmult refuses exactly those points).
bool is_acceptable_box_pub(std::string_view pub_bytes);

// X25519 public key for a 32-byte secret used directly as the scalar (§1.4: the clients'
// box keys; NOT crypto_box_seed_keypair, which hashes the seed). nullopt on a bad size.
std::optional<std::string> x25519_public_from_secret(std::string_view secret32);

// Ed25519 key pair from a 32-byte seed, and a detached signature: for tests and tools.
struct SigningKeyPair {
  std::string public_key;  // 32 bytes
  std::string secret_key;  // 64 bytes (libsodium layout: seed || public key)
};
std::optional<SigningKeyPair> signing_key_from_seed(std::string_view seed32);
std::string sign_detached(const SigningKeyPair& key, std::string_view message);

}  // namespace b2b::identity
