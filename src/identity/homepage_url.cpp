// IDENTITY.md §3.1 homepage_url, following the WHATWG URL Standard's basic URL parser for
// special schemes (http, https) and its serialiser. Boost.URL parses IPv6 literals; the rest
// is the standard's own small algorithms (encode sets, IPv4 forms, dot segments, punycode).
#include "identity/homepage_url.h"

#include <boost/url/ipv6_address.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/utf8.h"
#include "identity/js_text.h"

namespace b2b::identity {
namespace utf8 = core::utf8;
namespace {

core::Error invalid_url(std::string detail) {
  return core::Error{"Invalid URL", std::move(detail)};
}

core::Error invalid_homepage(std::string detail) {
  return core::Error{"invalid homepage_url", std::move(detail)};
}

bool is_ascii_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex_digit(char c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) {
  return is_ascii_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

// The standard's percent-encode sets, as predicates over one byte of UTF-8.
bool in_c0_control_set(unsigned char c) {
  return c < 0x20 || c > 0x7E;
}
bool in_special_query_set(unsigned char c) {
  return in_c0_control_set(c) || c == ' ' || c == '"' || c == '#' || c == '<' || c == '>' ||
         c == '\'';
}
bool in_path_set(unsigned char c) {
  return in_c0_control_set(c) || c == ' ' || c == '"' || c == '#' || c == '<' || c == '>' ||
         c == '?' || c == '`' || c == '{' || c == '}';
}
bool in_userinfo_set(unsigned char c) {
  return in_path_set(c) || c == '/' || c == ':' || c == ';' || c == '=' || c == '@' || c == '[' ||
         c == '\\' || c == ']' || c == '^' || c == '|';
}

template <class InSet>
std::string percent_encode(std::string_view s, InSet in_set) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (in_set(c)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    } else {
      out += ch;
    }
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && is_hex_digit(s[i + 1]) && is_hex_digit(s[i + 2])) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3492 punycode encoding of one label (without the "xn--" prefix).
std::optional<std::string> punycode_encode(const std::u32string& input) {
  constexpr uint32_t kBase = 36, kTMin = 1, kTMax = 26, kSkew = 38, kDamp = 700;
  const auto adapt = [&](uint32_t delta, uint32_t points, bool first) {
    delta = first ? delta / kDamp : delta / 2;
    delta += delta / points;
    uint32_t k = 0;
    while (delta > ((kBase - kTMin) * kTMax) / 2) {
      delta /= kBase - kTMin;
      k += kBase;
    }
    return k + (kBase - kTMin + 1) * delta / (delta + kSkew);
  };
  const auto digit = [](uint32_t d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + d - 26); };

  std::string out;
  for (char32_t c : input) {
    if (c < 0x80) out += static_cast<char>(c);
  }
  const uint32_t basic = static_cast<uint32_t>(out.size());
  if (basic > 0) out += '-';
  uint32_t n = 0x80, delta = 0, bias = 72, handled = basic;
  while (handled < input.size()) {
    uint32_t m = UINT32_MAX;
    for (char32_t c : input) {
      if (c >= n && c < m) m = c;
    }
    if ((m - n) > (UINT32_MAX - delta) / (handled + 1)) return std::nullopt;
    delta += (m - n) * (handled + 1);
    n = m;
    for (char32_t c : input) {
      if (c < n && ++delta == 0) return std::nullopt;
      if (c != n) continue;
      uint32_t q = delta;
      for (uint32_t k = kBase;; k += kBase) {
        const uint32_t t = k <= bias ? kTMin : k >= bias + kTMax ? kTMax : k - bias;
        if (q < t) break;
        out += digit(t + (q - t) % (kBase - t));
        q = (q - t) / (kBase - t);
      }
      out += digit(q);
      bias = adapt(delta, handled + 1, handled == basic);
      delta = 0;
      ++handled;
    }
    ++delta;
    ++n;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  while (true) {
    const std::size_t i = s.find(sep);
    parts.push_back(s.substr(0, i));
    if (i == std::string_view::npos) return parts;
    s.remove_prefix(i + 1);
  }
}

// WHATWG "IPv4 number parser": 0x.. hex, 0.. octal, otherwise decimal.
std::optional<uint64_t> parse_ipv4_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16, s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    radix = 8, s.remove_prefix(1);
  }
  uint64_t value = 0;
  for (char c : s) {
    const bool ok = radix == 16 ? is_hex_digit(c) : is_ascii_digit(c) && c - '0' < radix;
    if (!ok) return std::nullopt;
    value = std::min<uint64_t>(value * radix + hex_value(c), uint64_t{1} << 40);  // saturate
  }
  return value;
}

bool ends_in_a_number(std::string_view host) {
  std::vector<std::string_view> parts = split(host, '.');
  if (parts.back().empty()) {
    if (parts.size() == 1) return false;
    parts.pop_back();
  }
  const std::string_view last = parts.back();
  if (!last.empty() && std::all_of(last.begin(), last.end(), is_ascii_digit)) return true;
  return parse_ipv4_number(last).has_value();
}

core::Result<std::string> parse_ipv4(std::string_view host) {
  std::vector<std::string_view> parts = split(host, '.');
  if (parts.back().empty() && parts.size() > 1) parts.pop_back();
  if (parts.size() > 4) return invalid_url("IPv4 address with more than four parts");
  std::vector<uint64_t> numbers;
  for (std::string_view part : parts) {
    const std::optional<uint64_t> n = parse_ipv4_number(part);
    if (!n) return invalid_url("bad IPv4 address part");
    numbers.push_back(*n);
  }
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) {
    if (numbers[i] > 255) return invalid_url("IPv4 address part above 255");
  }
  if (numbers.back() >= (uint64_t{1} << (8 * (5 - numbers.size())))) {
    return invalid_url("IPv4 address out of range");
  }
  uint64_t address = numbers.back();
  for (std::size_t i = 0; i + 1 < numbers.size(); ++i) address += numbers[i] << (8 * (3 - i));
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    if (!out.empty()) out += '.';
    out += std::to_string((address >> shift) & 0xFF);
  }
  return out;
}

// WHATWG IPv6 serialiser: lowercase hex pieces, the first longest run of two or more zero
// pieces compressed to "::", no dotted IPv4 tail.
core::Result<std::string> parse_ipv6(std::string_view inner) {
  const auto parsed = boost::urls::parse_ipv6_address(inner);
  if (!parsed) return invalid_url("bad IPv6 address");
  const auto bytes = parsed->to_bytes();
  uint16_t pieces[8];
  for (int i = 0; i < 8; ++i)
    pieces[i] = static_cast<uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  int best_start = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && pieces[j] == 0) ++j;
    if (j - i > best_len) best_start = i, best_len = j - i;
    i = j == i ? i + 1 : j;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "[";
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += i == 0 ? "::" : ":";
      i += best_len - 1;
      continue;
    }
    std::string piece;
    for (int shift = 12; shift >= 0; shift -= 4) piece += kHex[(pieces[i] >> shift) & 0xF];
    piece.erase(0, std::min(piece.find_first_not_of('0'), piece.size() - 1));
    out += piece;
    if (i != 7) out += ':';
  }
  return out + "]";
}

bool is_forbidden_domain_byte(unsigned char c) {
  return c <= 0x20 || c == '#' || c == '%' || c == '/' || c == ':' || c == '<' || c == '>' ||
         c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' || c == '^' || c == '|' ||
         c == 0x7F;
}

// "domain to ASCII", approximated (see homepage_url.h): fullwidth forms and ideographic
// full stops mapped, soft hyphen removed, lowercased, non-ASCII labels punycoded.
core::Result<std::string> domain_to_ascii(std::string_view domain) {
  std::string mapped;
  for (std::size_t i = 0; i < domain.size();) {
    const utf8::CodePoint c = utf8::decode_at(domain, i);
    if (!c.valid) return invalid_url("host is not valid UTF-8");
    char32_t v = c.value;
    if (v == 0x3002 || v == 0xFF61) v = '.';
    if (v >= 0xFF01 && v <= 0xFF5E) v -= 0xFEE0;
    if (v != 0xAD) utf8::append(mapped, v);
    i += c.size;
  }
  mapped = js_to_lower(mapped);
  std::string out;
  for (std::string_view label : split(mapped, '.')) {
    std::u32string cps;
    bool ascii = true;
    for (std::size_t i = 0; i < label.size();) {
      const utf8::CodePoint c = utf8::decode_at(label, i);
      cps += c.value;
      ascii = ascii && c.value < 0x80;
      i += c.size;
    }
    std::string piece(label);
    if (!ascii) {
      const std::optional<std::string> encoded = punycode_encode(cps);
      if (!encoded) return invalid_url("host label cannot be punycoded");
      piece = "xn--" + *encoded;
    }
    out += piece;
    out += '.';
  }
  out.pop_back();
  if (std::any_of(out.begin(), out.end(),
                  [](char c) { return is_forbidden_domain_byte(static_cast<unsigned char>(c)); })) {
    return invalid_url("forbidden code point in host");
  }
  return out;
}

core::Result<std::string> parse_host(std::string_view host) {
  if (host.empty()) return invalid_url("empty host");
  if (host.front() == '[') {
    if (host.back() != ']') return invalid_url("unclosed IPv6 address");
    return parse_ipv6(host.substr(1, host.size() - 2));
  }
  core::Result<std::string> ascii = domain_to_ascii(percent_decode(host));
  if (!ascii) return ascii;
  if (ascii.value().empty()) return invalid_url("empty host");
  if (ends_in_a_number(ascii.value())) return parse_ipv4(ascii.value());
  return ascii;
}

bool is_single_dot(std::string_view s) {
  return s == "." || s == "%2e" || s == "%2E";
}
bool is_double_dot(std::string_view s) {
  if (s.size() < 2 || s.size() > 6) return false;
  const std::string lower = ascii_lower(s);
  return lower == ".." || lower == ".%2e" || lower == "%2e." || lower == "%2e%2e";
}

// Path state for a special URL: '/' and '\' separate segments; dot segments resolved.
std::string serialize_path(std::string_view path) {
  if (!path.empty() && (path.front() == '/' || path.front() == '\\')) path.remove_prefix(1);
  std::vector<std::string> segments;
  while (true) {
    const std::size_t sep = path.find_first_of("/\\");
    const bool ends_with_slash = sep != std::string_view::npos;
    const std::string buffer = percent_encode(path.substr(0, sep), in_path_set);
    if (is_double_dot(buffer)) {
      if (!segments.empty()) segments.pop_back();
      if (!ends_with_slash) segments.emplace_back();
    } else if (is_single_dot(buffer)) {
      if (!ends_with_slash) segments.emplace_back();
    } else {
      segments.push_back(buffer);
    }
    if (!ends_with_slash) break;
    path.remove_prefix(sep + 1);
  }
  std::string out;
  for (const std::string& s : segments) out += "/" + s;
  return out.empty() ? "/" : out;
}

}  // namespace

core::Result<std::string> normalize_homepage_url(std::string_view input) {
  while (!input.empty() && static_cast<unsigned char>(input.front()) <= 0x20)
    input.remove_prefix(1);
  while (!input.empty() && static_cast<unsigned char>(input.back()) <= 0x20) input.remove_suffix(1);
  std::string s;
  for (char c : input) {
    if (c != '\t' && c != '\n' && c != '\r') s += c;
  }

  std::size_t i = 0;
  if (s.empty() || !is_ascii_alpha(s[0])) return invalid_url("no scheme");
  while (i < s.size() && (is_ascii_alpha(s[i]) || is_ascii_digit(s[i]) || s[i] == '+' ||
                          s[i] == '-' || s[i] == '.')) {
    ++i;
  }
  if (i == s.size() || s[i] != ':') return invalid_url("no scheme");
  const std::string scheme = ascii_lower(std::string_view(s).substr(0, i));
  if (scheme != "http" && scheme != "https") {
    return invalid_homepage("scheme must be http or https");
  }
  std::string_view rest = std::string_view(s).substr(i + 1);
  while (!rest.empty() && (rest.front() == '/' || rest.front() == '\\')) rest.remove_prefix(1);

  const std::size_t authority_end = rest.find_first_of("/\\?#");
  std::string_view authority = rest.substr(0, authority_end);
  rest.remove_prefix(std::min(authority_end, rest.size()));

  std::string userinfo;
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = authority.substr(0, at);
    const std::size_t colon = credentials.find(':');
    const std::string user = percent_encode(credentials.substr(0, colon), in_userinfo_set);
    const std::string password =
        colon == std::string_view::npos
            ? std::string()
            : percent_encode(credentials.substr(colon + 1), in_userinfo_set);
    if (!user.empty() || !password.empty()) {
      userinfo = user + (password.empty() ? "" : ":" + password) + "@";
    }
    authority.remove_prefix(at + 1);
  }

  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_url("unclosed IPv6 address");
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return invalid_url("junk after IPv6 address");
    if (!after.empty()) port = after.substr(1);
  } else if (const std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }

  core::Result<std::string> parsed_host = parse_host(host);
  if (!parsed_host) return parsed_host;
  if (!std::all_of(port.begin(), port.end(), is_ascii_digit)) return invalid_url("bad port");
  std::string port_text;
  if (!port.empty()) {
    const std::size_t first = std::min(port.find_first_not_of('0'), port.size() - 1);
    const std::string_view digits = port.substr(first);
    if (digits.size() > 5 || std::stoul(std::string(digits)) > 65535) {
      return invalid_url("port out of range");
    }
    const std::string canonical(digits);
    const bool is_default =
        (scheme == "http" && canonical == "80") || (scheme == "https" && canonical == "443");
    if (!is_default) port_text = ":" + canonical;
  }

  const std::size_t hash = rest.find('#');
  const std::string_view fragment =
      hash == std::string_view::npos ? std::string_view() : rest.substr(hash + 1);
  const bool has_fragment = hash != std::string_view::npos;
  rest = rest.substr(0, hash);
  const std::size_t question = rest.find('?');
  const std::string path = serialize_path(rest.substr(0, question));

  if (has_fragment && !fragment.empty()) return invalid_homepage("fragment not allowed");

  std::string out = scheme + "://" + userinfo + parsed_host.value() + port_text + path;
  if (question != std::string_view::npos) {
    out += "?" + percent_encode(rest.substr(question + 1), in_special_query_set);
  }
  if (has_fragment) out += '#';
  return out;
}

}  // namespace b2b::identity
