// The pure rules of outgoing webhooks (issue 10), kept apart from sockets so they are unit
// tested: which resolved addresses a delivery may connect to (no SSRF), when a failed
// delivery is tried again, and the HMAC that signs each body.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace b2b::core {

enum class AddressClass {
  kPublic,
  kLoopback,   // 127.0.0.0/8, ::1
  kPrivate,    // RFC 1918, 100.64.0.0/10 (CGNAT), fc00::/7 (ULA)
  kLinkLocal,  // 169.254.0.0/16 (cloud metadata lives here), fe80::/10
  kReserved,   // unspecified, multicast, broadcast, documentation and other special ranges
};

// IPv4-mapped and NAT64 IPv6 addresses are classified by the IPv4 address they carry.
AddressClass classify_address(const boost::asio::ip::address& address);

// Public addresses always; loopback and private ones only with --webhook-allow-private.
// Link-local (metadata) and reserved addresses never.
bool webhook_address_allowed(const boost::asio::ip::address& address, bool allow_private);

// Delay before retry number `retry` (1 = the first retry): 3 s doubling per retry, capped at
// 10 min, then scaled by `jitter` in [0.5, 1] so receivers that failed together do not all
// come back at once. The first retry therefore comes within 1.5–3 s.
int64_t webhook_retry_delay_ms(int retry, double jitter);

// Deliveries are retried for this long after they were created, then marked failed.
inline constexpr int64_t kWebhookRetryWindowMs = 24LL * 3600 * 1000;

// "sha256=" + lowercase hex HMAC-SHA256(key = the secret's UTF-8 bytes, body): the value of
// X-Bot2Bot-Signature.
std::string webhook_signature(std::string_view secret, std::string_view body);

}  // namespace b2b::core
