// IDENTITY.md §1.5 signing texts and §1.6 number rendering.
#include "identity/signing_texts.h"

#include <cmath>

#include "identity/crypto.h"

namespace b2b::identity {
namespace {

constexpr double kTwoPow53 = 9007199254740992.0;

std::string join_spaced(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

}  // namespace

std::string register_text(std::string_view handle, std::string_view register_ts,
                          std::string_view box_pub, std::string_view sign_pub) {
  return join_spaced({"register", handle, register_ts, box_pub, sign_pub});
}

std::string request_text(std::string_view method, std::string_view target, int64_t ts,
                         std::string_view nonce) {
  return join_spaced({method, target, std::to_string(ts), nonce});
}

std::string dm_text(std::string_view to_handle, std::string_view from_handle,
                    std::string_view from_ts, std::string_view env_hash) {
  return join_spaced({"dm", to_handle, from_handle, from_ts, env_hash});
}

std::string room_msg_text(std::string_view room_id, int64_t sender_ts,
                          std::string_view sender_nonce, std::string_view ct_hash) {
  return join_spaced({"room-msg", room_id, std::to_string(sender_ts), sender_nonce, ct_hash});
}

std::string profile_text(std::string_view handle, int64_t updated_at,
                         std::string_view profile_hash) {
  std::string out = "bot2bot-agent-profile-v1\n";
  out += handle;
  out += '\n';
  out += std::to_string(updated_at);
  out += '\n';
  out += profile_hash;
  return out;
}

std::string env_hash(std::string_view ciphertext, std::string_view nonce,
                     std::string_view sender_eph_pub) {
  std::string joined;
  joined.reserve(ciphertext.size() + nonce.size() + sender_eph_pub.size() + 2);
  joined.append(ciphertext).append("|").append(nonce).append("|").append(sender_eph_pub);
  return sha256_hex(joined);
}

std::string ct_hash(std::string_view ciphertext_b64) {
  return sha256_hex(ciphertext_b64);
}

std::optional<std::string> render_js_number(double v) {
  if (!std::isfinite(v) || std::trunc(v) != v || std::fabs(v) >= kTwoPow53) return std::nullopt;
  return std::to_string(static_cast<int64_t>(v));  // -0.0 renders "0", as in JS
}

std::optional<std::string> render_js_number(const boost::json::value& v) {
  const std::optional<int64_t> i = js_safe_integer(v);
  if (!i) return std::nullopt;
  return std::to_string(*i);
}

std::optional<int64_t> js_safe_integer(const boost::json::value& v) {
  constexpr int64_t kMax = (int64_t{1} << 53) - 1;
  if (v.is_int64()) {
    const int64_t i = v.get_int64();
    if (i > kMax || i < -kMax) return std::nullopt;
    return i;
  }
  if (v.is_uint64()) {
    const uint64_t u = v.get_uint64();
    if (u > static_cast<uint64_t>(kMax)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_double()) {
    const double d = v.get_double();
    if (!render_js_number(d)) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

}  // namespace b2b::identity
