#include "core/client_ip.h"

#include <arpa/inet.h>

#include <cstring>

namespace b2b::core {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parses an IPv4 or IPv6 literal into 16 bytes (IPv4 as ::ffff:a.b.c.d).
std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text) {
  std::string s(trim(text));
  std::array<uint8_t, 16> out{};
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool in_range(const std::array<uint8_t, 16>& addr, const std::array<uint8_t, 16>& net,
              int prefix_bits) {
  int bits = prefix_bits;
  for (size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (net[i] & mask)) return false;
  }
  return true;
}

}  // namespace

std::string normalize_ip(std::string_view address) {
  std::string_view s = trim(address);
  if (s.size() > 7 && (s.substr(0, 7) == "::ffff:" || s.substr(0, 7) == "::FFFF:") &&
      s.find('.') != std::string_view::npos) {
    s.remove_prefix(7);
  }
  return std::string(s);
}

bool is_loopback_ip(std::string_view address) {
  auto a = parse_ip(normalize_ip(address));
  if (!a) return false;
  static const auto v4 = *parse_ip("127.0.0.0");
  static const auto v6 = *parse_ip("::1");
  return in_range(*a, v4, 96 + 8) || in_range(*a, v6, 128);
}

Result<TrustedProxies> TrustedProxies::parse(std::string_view spec) {
  TrustedProxies t;
  auto add = [&](std::string_view net, int v4_bits_or_v6) {
    t.ranges_.push_back(Cidr{*parse_ip(net), v4_bits_or_v6});
  };
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t comma = spec.find(',', pos);
    std::string_view item =
        trim(spec.substr(pos, comma == std::string_view::npos ? spec.npos : comma - pos));
    pos = comma == std::string_view::npos ? spec.size() + 1 : comma + 1;
    if (item.empty() || item == "none" || item == "false") continue;
    if (item == "loopback") {
      add("127.0.0.0", 96 + 8);
      add("::1", 128);
    } else if (item == "linklocal") {
      add("169.254.0.0", 96 + 16);
      add("fe80::", 10);
    } else if (item == "uniquelocal") {
      add("10.0.0.0", 96 + 8);
      add("172.16.0.0", 96 + 12);
      add("192.168.0.0", 96 + 16);
      add("fc00::", 7);
    } else {
      std::string_view addr = item;
      int bits = -1;
      if (auto slash = item.find('/'); slash != std::string_view::npos) {
        addr = item.substr(0, slash);
        std::string n(item.substr(slash + 1));
        if (n.empty() || n.size() > 3 || n.find_first_not_of("0123456789") != std::string::npos) {
          return Error{"bad trust-proxy", "bad prefix length in '" + std::string(item) + "'"};
        }
        bits = std::stoi(n);
      }
      auto a = parse_ip(addr);
      if (!a) return Error{"bad trust-proxy", "not an address: '" + std::string(item) + "'"};
      bool v4 = addr.find(':') == std::string_view::npos;
      int max_bits = v4 ? 32 : 128;
      if (bits < 0) bits = max_bits;
      if (bits > max_bits)
        return Error{"bad trust-proxy", "prefix too long in '" + std::string(item) + "'"};
      t.ranges_.push_back(Cidr{*a, v4 ? 96 + bits : bits});
    }
  }
  return t;
}

bool TrustedProxies::trusts(std::string_view address) const {
  auto a = parse_ip(normalize_ip(address));
  if (!a) return false;
  for (const auto& r : ranges_) {
    if (in_range(*a, r.bytes, r.prefix_bits)) return true;
  }
  return false;
}

std::string client_ip(std::string_view peer, std::string_view xff, const TrustedProxies& trusted) {
  std::string current = normalize_ip(peer);
  if (!trusted.trusts(current)) return current;
  // Right to left through X-Forwarded-For; stop at the first hop we do not trust.
  std::string_view rest = xff;
  while (!rest.empty()) {
    size_t comma = rest.rfind(',');
    std::string_view entry = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
    std::string hop = normalize_ip(entry);
    if (hop.empty()) continue;
    if (hop.size() > 64) break;  // garbage: keep the last trustworthy answer
    current = std::move(hop);
    if (!trusted.trusts(current)) return current;
  }
  return current;
}

}  // namespace b2b::core
