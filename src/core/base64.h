// ROOMS.md §1.2 strict ("canonical") base64 and §20.16 alphabet normalisation.
// All decoding goes through libsodium; nothing here hand-rolls base64 arithmetic
// beyond the character-class checks the spec defines.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace b2b::core {

// Decoded byte length if `s` is strict base64 per §1.2 (non-empty, both alphabets
// accepted and mixable, padded, canonical: unused trailing bits zero); nullopt otherwise.
std::optional<std::size_t> strict_base64_decoded_size(std::string_view s);

// Decodes strict base64 (§1.2) to bytes; nullopt if not strict.
std::optional<std::string> strict_base64_decode(std::string_view s);

// Standard padded base64 of `bytes` (libsodium, original variant).
std::string base64_encode(std::string_view bytes);

// Unpadded URL-safe base64 of `bytes` (what the clients use for keys).
std::string base64url_encode_unpadded(std::string_view bytes);

// §20.16: rewrite the URL-safe alphabet (`-`, `_`) to the standard one (`+`, `/`), so
// that readers using `atob` or a standard decoder can decode what others posted.
std::string to_standard_alphabet(std::string_view s);

}  // namespace b2b::core
