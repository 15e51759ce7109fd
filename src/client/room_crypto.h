// Sealing and opening room messages (CLIENT-PROTOCOL.md §1.3–§1.4) and recognising protocol
// envelopes (§3.1), which every surface of ours hides (§3.2).
//
// API:
//   SealedText seal_text(key32, text)           fresh 24-byte nonce; padded standard base64
//   SealedText seal_text_with_nonce(key32, text, nonce24)   deterministic, for test vectors
//   std::optional<std::string> open_text(key32, ciphertext_b64, nonce_b64)
//       nullopt = undecryptable (bad base64, bad MAC, invalid UTF-8): never an error
//   std::optional<EnvelopeKind> envelope_kind(text)   §3.1: leading '{', JSON object, a
//       marker key equal to JSON true; nullopt for an ordinary message
//   bool is_envelope(text)
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace b2b::client {

struct SealedText {
  std::string ciphertext;  // standard padded base64 (MAC || encrypted bytes)
  std::string nonce;       // standard padded base64 of 24 bytes
};

SealedText seal_text(std::string_view key, std::string_view text);
SealedText seal_text_with_nonce(std::string_view key, std::string_view text,
                                std::string_view nonce24);
std::optional<std::string> open_text(std::string_view key, std::string_view ciphertext_b64,
                                     std::string_view nonce_b64);

enum class EnvelopeKind { kAdopt, kDelete, kReact, kHistResp, kHistReq };

// The five markers in the reference browser's test order (§3.1).
std::optional<EnvelopeKind> envelope_kind(std::string_view text);
inline bool is_envelope(std::string_view text) {
  return envelope_kind(text).has_value();
}

}  // namespace b2b::client
