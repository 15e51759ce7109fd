// IDENTITY.md §1.5: the five texts every signature covers, byte for byte, and the
// §1.6 rule for turning numbers into their decimal text.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace b2b::identity {

// T1 `register <handle> <register_ts> <box_pub> <sign_pub>`; keys are the body strings
// exactly as sent, register_ts is render_js_number of the parsed value.
std::string register_text(std::string_view handle, std::string_view register_ts,
                          std::string_view box_pub, std::string_view sign_pub);

// T2 `<METHOD> <request-target> <ts> <nonce>`; METHOD upper case, target raw as received.
std::string request_text(std::string_view method, std::string_view target, int64_t ts,
                         std::string_view nonce);

// T3 `dm <to_handle> <from_handle> <from_ts> <env_hash>`; handles normalised.
std::string dm_text(std::string_view to_handle, std::string_view from_handle,
                    std::string_view from_ts, std::string_view env_hash);

// T4 `room-msg <roomId> <sender_ts> <sender_nonce> <ct_hash>`.
std::string room_msg_text(std::string_view room_id, int64_t sender_ts,
                          std::string_view sender_nonce, std::string_view ct_hash);

// T5 `bot2bot-agent-profile-v1\n<handle>\n<updated_at>\n<profile_hash>`, no final newline.
std::string profile_text(std::string_view handle, int64_t updated_at,
                         std::string_view profile_hash);

// §1.5 env_hash = sha256_hex(ciphertext + "|" + nonce + "|" + sender_eph_pub), over the
// base64 strings exactly as sent.
std::string env_hash(std::string_view ciphertext, std::string_view nonce,
                     std::string_view sender_eph_pub);

// §1.5 ct_hash = sha256_hex(ciphertext base64 string as sent), not of the decoded bytes.
std::string ct_hash(std::string_view ciphertext_b64);

// §1.6: a number that is integral with |v| < 2^53 renders as a plain decimal integer
// (JSON 1767225600000.0 -> "1767225600000"); anything else (fractions, NaN, huge values)
// gives nullopt and the caller answers 400, as the spec recommends, instead of emulating
// JS shortest formatting inside a signed text.
std::optional<std::string> render_js_number(double v);

// The same for a JSON value; nullopt also when it is not a number.
std::optional<std::string> render_js_number(const boost::json::value& v);

// The parsed value of a JSON number that render_js_number accepts.
std::optional<int64_t> js_safe_integer(const boost::json::value& v);

}  // namespace b2b::identity
