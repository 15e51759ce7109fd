// IDENTITY.md §1.10 steps 1–5.
#include "identity/auth_header.h"

#include <algorithm>
#include <optional>

#include "core/base64.h"
#include "identity/js_text.h"

namespace b2b::identity {
namespace {

constexpr std::string_view kScheme = "Bot2Bot ";
constexpr std::size_t kMaxTsDigits = 16;
constexpr std::size_t kNonceMin = 16;
constexpr std::size_t kNonceMax = 64;
constexpr std::size_t kSignatureBytes = 64;

core::Error fail(std::string detail) {
  return core::Error{std::string(kBadSignature), std::move(detail)};
}

bool is_nonce_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '=' || c == '_' || c == '-';
}

}  // namespace

bool is_signature_nonce(std::string_view n) {
  return n.size() >= kNonceMin && n.size() <= kNonceMax &&
         std::all_of(n.begin(), n.end(), is_nonce_char);
}

core::Result<RequestAuth> parse_authorization_header(std::string_view header) {
  if (!header.starts_with(kScheme)) return fail("Authorization must start with \"Bot2Bot \"");
  std::string_view rest = header.substr(kScheme.size());

  std::optional<std::string_view> ts, n, sig;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view part = js_trim(rest.substr(0, comma));
    if (const std::size_t eq = part.find('='); eq != std::string_view::npos) {
      const std::string_view key = part.substr(0, eq), value = part.substr(eq + 1);
      if (key == "ts") ts = value;
      if (key == "n") n = value;
      if (key == "sig") sig = value;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }

  if (!ts || ts->empty() || !n || n->empty() || !sig || sig->empty()) {
    return fail("ts, n and sig are all required");
  }
  if (ts->size() > kMaxTsDigits ||
      !std::all_of(ts->begin(), ts->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return fail("ts must be 1 to 16 decimal digits");
  }
  const int64_t ts_value = std::stoll(std::string(*ts));
  if (ts_value == 0) return fail("ts must not be 0");
  if (!is_signature_nonce(*n)) {
    return fail("n must be 16 to 64 characters of [A-Za-z0-9+/=_-]");
  }
  if (core::strict_base64_decoded_size(*sig) != kSignatureBytes) {
    return fail("sig must be strict canonical base64 of 64 bytes");
  }
  return RequestAuth{ts_value, std::string(*n), std::string(*sig)};
}

}  // namespace b2b::identity
