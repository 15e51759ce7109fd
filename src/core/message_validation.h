// ROOMS.md §3: the message body shared by HTTP POST and WebSocket frames, plus the
// optional signature fields of §7.1 that are evaluated later (after rate limits).
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "core/result.h"

namespace b2b::core {

// JavaScript truthiness (ROOMS.md §7.1): absent/null/false/0/NaN/"" are falsy;
// every other value (non-empty string, non-zero number, true, any object/array) is truthy.
bool js_truthy(const boost::json::value* v);

// A validated message body. Strings are copied out of the JSON.
struct IncomingMessage {
  std::optional<std::string> sender;  // absent, null or "" -> nullopt (caller applies default)
  std::string ciphertext;             // as posted (needed to verify a signature, §7.2)
  std::string nonce;                  // as posted
  // ttl_ms: absent/null/0 -> nullopt. Integral values are kept exactly; non-integers
  // inside the range are relayed as-is (§3).
  std::optional<double> ttl_ms;
  std::optional<std::string> reply_to;

  // §7.1 signature fields, raw. `is_signed` = sender_handle and sender_sig both truthy.
  bool is_signed = false;
  boost::json::value sender_handle;
  boost::json::value sender_ts;
  boost::json::value sender_nonce;
  boost::json::value sender_sig;
  bool signed_only = false;  // true only for the JSON boolean `true` (§6.1 notes)
};

// §3 validation. On failure: Error{"bad message", <what exactly was wrong>}.
// Rules: body must be an object; ciphertext required string ≤ 131072 chars, strict
// base64 decoding to ≤ 131072 bytes; nonce required string ≤ 64 chars, strict base64 of
// exactly 24 bytes; sender optional (null ok), string of ≤ 64 UTF-16 units and clean
// (§20.23); reply_to optional (null ok), string 8–64 chars of [A-Za-z0-9_-]; ttl_ms
// optional (null ok), finite JSON number, 0 or 30000..31622400000 (strings rejected).
Result<IncomingMessage> validate_message(const boost::json::value& body);

}  // namespace b2b::core
