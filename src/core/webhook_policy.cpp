#include "core/webhook_policy.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace b2b::core {
namespace {

namespace ip = boost::asio::ip;

struct V4Range {
  uint32_t base;
  int prefix;
  AddressClass cls;
};

constexpr uint32_t v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d;
}

// IANA special-purpose registry, the parts that matter for an outgoing request.
constexpr std::array<V4Range, 16> kV4Ranges{{
    {v4(0, 0, 0, 0), 8, AddressClass::kReserved},
    {v4(10, 0, 0, 0), 8, AddressClass::kPrivate},
    {v4(100, 64, 0, 0), 10, AddressClass::kPrivate},
    {v4(127, 0, 0, 0), 8, AddressClass::kLoopback},
    {v4(169, 254, 0, 0), 16, AddressClass::kLinkLocal},
    {v4(172, 16, 0, 0), 12, AddressClass::kPrivate},
    {v4(192, 0, 0, 0), 24, AddressClass::kReserved},
    {v4(192, 0, 2, 0), 24, AddressClass::kReserved},
    {v4(192, 88, 99, 0), 24, AddressClass::kReserved},
    {v4(192, 168, 0, 0), 16, AddressClass::kPrivate},
    {v4(198, 18, 0, 0), 15, AddressClass::kReserved},
    {v4(198, 51, 100, 0), 24, AddressClass::kReserved},
    {v4(203, 0, 113, 0), 24, AddressClass::kReserved},
    {v4(224, 0, 0, 0), 4, AddressClass::kReserved},  // multicast
    {v4(240, 0, 0, 0), 4, AddressClass::kReserved},  // reserved, and the broadcast address
    {v4(255, 255, 255, 255), 32, AddressClass::kReserved},
}};

AddressClass classify_v4(const ip::address_v4& a) {
  const uint32_t n = a.to_uint();
  for (const V4Range& r : kV4Ranges) {
    const uint32_t mask = r.prefix == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix);
    if ((n & mask) == r.base) return r.cls;
  }
  return AddressClass::kPublic;
}

AddressClass classify_v6(const ip::address_v6& a) {
  if (a.is_v4_mapped()) return classify_v4(ip::make_address_v4(ip::v4_mapped, a));
  const auto b = a.to_bytes();
  // 64:ff9b::/96 (NAT64) reaches the IPv4 address in its last four bytes.
  static constexpr std::array<uint8_t, 12> kNat64{0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::equal(kNat64.begin(), kNat64.end(), b.begin())) {
    return classify_v4(ip::address_v4({b[12], b[13], b[14], b[15]}));
  }
  if (a.is_loopback()) return AddressClass::kLoopback;
  if (a.is_unspecified() || a.is_multicast()) return AddressClass::kReserved;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::kLinkLocal;  // fe80::/10
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return AddressClass::kPrivate;    // fec0::/10
  if ((b[0] & 0xfe) == 0xfc) return AddressClass::kPrivate;                    // fc00::/7
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
    return AddressClass::kReserved;  // 2001:db8::/32, documentation
  }
  // ::/96 (IPv4-compatible, deprecated) and the rest of ::/8 are not routable targets.
  if (b[0] == 0) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

}  // namespace

AddressClass classify_address(const ip::address& address) {
  return address.is_v4() ? classify_v4(address.to_v4()) : classify_v6(address.to_v6());
}

bool webhook_address_allowed(const ip::address& address, bool allow_private) {
  switch (classify_address(address)) {
    case AddressClass::kPublic:
      return true;
    case AddressClass::kLoopback:
    case AddressClass::kPrivate:
      return allow_private;
    case AddressClass::kLinkLocal:
    case AddressClass::kReserved:
      return false;
  }
  return false;
}

int64_t webhook_retry_delay_ms(int retry, double jitter) {
  constexpr int64_t kFirstMs = 3'000;
  constexpr int64_t kMaxMs = 10 * 60 * 1000;
  int64_t delay = kFirstMs;
  for (int i = 1; i < retry && delay < kMaxMs; ++i) delay *= 2;
  delay = std::min(delay, kMaxMs);
  jitter = std::clamp(jitter, 0.5, 1.0);
  return static_cast<int64_t>(static_cast<double>(delay) * jitter);
}

std::string webhook_signature(std::string_view secret, std::string_view body) {
  crypto_auth_hmacsha256_state state;
  std::array<unsigned char, crypto_auth_hmacsha256_BYTES> mac{};
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  std::string hex(mac.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), mac.data(), mac.size());
  hex.pop_back();  // the terminating NUL
  return "sha256=" + hex;
}

}  // namespace b2b::core
