// room_key_for: the keyed hash that names a room in the store (store.h). HMAC rather than a
// plain hash because room ids are short enough to brute-force from a leaked database.
#include <sodium.h>

#include <array>

#include "store/store.h"

namespace b2b::store {

std::string room_key_for(std::string_view secret, std::string_view room_id) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(room_id.data()),
                                room_id.size());
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof state);

  constexpr std::size_t kKeyBytes = 16;  // 32 hex digits
  std::array<char, kKeyBytes * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), kKeyBytes);
  return std::string(hex.data(), kKeyBytes * 2);
}

}  // namespace b2b::store
