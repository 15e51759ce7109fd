// ROOMS.md §11 with the §20.13 fix: one function decides the client address for HTTP and
// WebSocket alike, from the TCP peer and X-Forwarded-For, trusting only configured proxies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace b2b::core {

class TrustedProxies {
 public:
  // Comma-separated list of CIDRs, addresses and keywords: `loopback` (127.0.0.0/8, ::1),
  // `linklocal`, `uniquelocal` (private ranges), or `none`. Default: `loopback`.
  static Result<TrustedProxies> parse(std::string_view spec);

  bool trusts(std::string_view address) const;

 private:
  struct Cidr {
    std::array<uint8_t, 16> bytes{};  // IPv4 stored as IPv4-mapped IPv6
    int prefix_bits = 0;
  };
  std::vector<Cidr> ranges_;
};

// `::ffff:1.2.3.4` -> `1.2.3.4`, surrounding whitespace trimmed.
std::string normalize_ip(std::string_view address);

// True for 127.0.0.0/8 and ::1 (and their IPv4-mapped forms).
bool is_loopback_ip(std::string_view address);

// Walks [peer, X-Forwarded-For right to left] and returns the first address that is not a
// trusted proxy (what Express calls `req.ip` with `trust proxy`). If every hop is trusted,
// the left-most one. Entries are trimmed, `::ffff:` stripped, empty entries skipped; an entry
// longer than 64 chars ends the walk (the last trusted hop reached so far is the answer).
std::string client_ip(std::string_view peer, std::string_view x_forwarded_for,
                      const TrustedProxies& trusted);

}  // namespace b2b::core
