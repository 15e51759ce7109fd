// IDENTITY.md §4.2 steps 4–9 (body-only parts).
#include "identity/dm_validation.h"

#include "core/base64.h"
#include "core/text_rules.h"
#include "identity/crypto.h"
#include "identity/js_text.h"
#include "identity/signing_texts.h"

namespace b2b::identity {
namespace {

constexpr std::size_t kFromHandleMaxUnits = 34;

core::Error bad(std::string_view error, std::string detail) {
  return core::Error{std::string(error), std::move(detail)};
}

bool is_base64_alphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '-' || c == '_';
}

// What a lenient decoder would produce: 6 bits per alphabet character before the first '='.
std::size_t estimated_decoded_size(std::string_view s) {
  std::size_t chars = 0;
  for (char c : s) {
    if (c == '=') break;
    chars += is_base64_alphabet(c);
  }
  return chars * 3 / 4;
}

const boost::json::string* string_field(const boost::json::object& body, std::string_view key) {
  const boost::json::value* v = body.if_contains(key);
  return v != nullptr && v->is_string() ? &v->get_string() : nullptr;
}

}  // namespace

core::Result<DmEnvelopeFields> validate_dm_envelope(const boost::json::object& body) {
  const boost::json::string* ct = string_field(body, "ciphertext");
  const boost::json::string* nonce = string_field(body, "nonce");
  const boost::json::string* eph = string_field(body, "sender_eph_pub");
  if (!ct || !nonce || !eph) {
    return bad("ciphertext, nonce, sender_eph_pub required (all base64)",
               "all three must be JSON strings");
  }
  if (estimated_decoded_size(*ct) > kDmMaxBytes) {
    return bad("ciphertext too large", "at most 131072 bytes once decoded");
  }
  if (!core::strict_base64_decoded_size(*ct)) {
    return bad("ciphertext must be strict canonical base64",
               "padded base64, non-empty, no whitespace, zero trailing bits");
  }
  if (core::strict_base64_decoded_size(*nonce) != 24u) {
    return bad("nonce must be strict canonical base64 of 24 bytes", "32 base64 characters");
  }
  const std::optional<std::string> eph_bytes = core::strict_base64_decode(*eph);
  if (!eph_bytes || eph_bytes->size() != 32u) {
    return bad("sender_eph_pub must be strict canonical base64 of 32 bytes",
               "44 base64 characters ending in '='");
  }
  // A small-order ephemeral key makes the box's shared secret all zero: nobody's secret key
  // is needed to open it, so it is refused like a malformed key.
  if (!is_acceptable_box_pub(*eph_bytes)) {
    return bad("sender_eph_pub must be strict canonical base64 of 32 bytes",
               "not a valid X25519 public key (non-canonical or small-order point)");
  }
  return DmEnvelopeFields{std::string(*ct), std::string(*nonce), std::string(*eph)};
}

core::Result<std::optional<DmSenderClaim>> parse_dm_sender_claim(const boost::json::object& body,
                                                                 int64_t now) {
  const boost::json::string* from_handle = string_field(body, "from_handle");
  if (from_handle == nullptr || from_handle->empty()) return std::optional<DmSenderClaim>();
  const boost::json::string* from_sig = string_field(body, "from_sig");
  const boost::json::value* from_ts = body.if_contains("from_ts");
  if (from_sig == nullptr || from_ts == nullptr || !from_ts->is_number()) {
    return std::optional<DmSenderClaim>();  // unsigned from_handle is dropped, never relayed
  }
  if (core::strict_base64_decoded_size(*from_sig) != 64u) {
    return bad("from_sig must be strict canonical base64 of 64 bytes", "88 base64 characters");
  }
  const double ts = from_ts->is_int64()    ? static_cast<double>(from_ts->get_int64())
                    : from_ts->is_uint64() ? static_cast<double>(from_ts->get_uint64())
                                           : from_ts->get_double();
  if (!(ts >= static_cast<double>(now - kDmSkewMs) && ts <= static_cast<double>(now + kDmSkewMs))) {
    return bad("from_ts skew too large", "from_ts must be within ±60 s of the server clock");
  }
  const std::optional<std::string> ts_text = render_js_number(*from_ts);
  if (!ts_text) {
    return bad("from_ts must be an integer (ms)", "a fractional from_ts cannot be signed exactly");
  }
  std::string_view fh = *from_handle;
  if (fh.starts_with('@')) fh.remove_prefix(1);
  DmSenderClaim claim;
  // Cut to 34 UTF-16 units. A pair straddling the cut is dropped whole (JS would keep a
  // lone surrogate); either way the result names no registered handle.
  claim.from_handle = std::string(core::truncate_utf16(ascii_lower(fh), kFromHandleMaxUnits));
  claim.from_ts = static_cast<int64_t>(ts);
  claim.from_ts_text = *ts_text;
  claim.from_sig = std::string(*from_sig);
  return std::optional<DmSenderClaim>(std::move(claim));
}

std::string dm_replay_key(std::string_view recipient, std::string_view env_hash) {
  std::string key(recipient);
  key += '|';
  key += env_hash;
  return key;
}

}  // namespace b2b::identity
