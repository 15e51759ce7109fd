// ROOMS.md §1.2 strict base64. The character-class rule is checked here; everything
// else (length a multiple of 4, exact padding, unused trailing bits zero) is left to
// libsodium's original-variant decoder, which refuses all three (see base64_test.cpp:
// "QQ" and "QQ=" fail, "QR==" fails, "QQ==" passes).
#include "core/base64.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace b2b::core {
namespace {

void ensure_sodium_initialized() {
  // Thread-safe once-only init. A failure (no entropy source) does not affect base64.
  static const int rc = sodium_init();
  (void)rc;
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/' || c == '-' || c == '_';
}

// §1.2 rules 1–2: non-empty and ^[A-Za-z0-9+/_-]*={0,2}$.
bool matches_strict_charset(std::string_view s) {
  if (s.empty()) return false;
  const std::size_t body = std::min(s.find('='), s.size());
  const std::string_view pad = s.substr(body);
  return std::all_of(s.begin(), s.begin() + body, is_base64_char) && pad.size() <= 2 &&
         pad.find_first_not_of('=') == std::string_view::npos;
}

char standard_char(char c) {
  return c == '-' ? '+' : c == '_' ? '/' : c;
}

// Decodes `s` (charset already checked) as padded standard base64 in fixed-size chunks,
// normalising `-`/`_` on the fly, and hands each decoded chunk to `sink`. Chunks are whole
// 4-char groups and `=` can only be in the last one, so each chunk decodes on its own;
// this keeps the size check allocation-free for 128 KiB ciphertexts.
template <class Sink>
bool decode_chunks(std::string_view s, Sink&& sink) {
  if (s.size() % 4 != 0) return false;  // unpadded ("QQ") or truncated
  ensure_sodium_initialized();
  constexpr std::size_t kChunkChars = 4096;
  std::array<char, kChunkChars> in;
  std::array<unsigned char, kChunkChars / 4 * 3> out;
  while (!s.empty()) {
    const std::size_t n = std::min(s.size(), kChunkChars);
    std::transform(s.begin(), s.begin() + n, in.begin(), standard_char);
    std::size_t out_len = 0;
    // b64_end == nullptr: the whole chunk must be consumed; ignore == nullptr: no
    // whitespace. libsodium checks padding and zero trailing bits itself.
    if (sodium_base642bin(out.data(), out.size(), in.data(), n, nullptr, &out_len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
      return false;
    }
    sink(reinterpret_cast<const char*>(out.data()), out_len);
    s.remove_prefix(n);
  }
  return true;
}

std::string encode(std::string_view bytes, int variant) {
  ensure_sodium_initialized();
  // sodium_base64_ENCODED_LEN counts the terminating NUL that sodium_bin2base64 writes.
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), variant);
  out.pop_back();
  return out;
}

}  // namespace

std::optional<std::size_t> strict_base64_decoded_size(std::string_view s) {
  if (!matches_strict_charset(s)) return std::nullopt;
  std::size_t total = 0;
  if (!decode_chunks(s, [&](const char*, std::size_t n) { total += n; })) return std::nullopt;
  return total;
}

std::optional<std::string> strict_base64_decode(std::string_view s) {
  if (!matches_strict_charset(s)) return std::nullopt;
  std::string bytes;
  bytes.reserve(s.size() / 4 * 3);
  if (!decode_chunks(s, [&](const char* p, std::size_t n) { bytes.append(p, n); })) {
    return std::nullopt;
  }
  return bytes;
}

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, sodium_base64_VARIANT_ORIGINAL);
}

std::string base64url_encode_unpadded(std::string_view bytes) {
  return encode(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

std::string to_standard_alphabet(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), standard_char);
  return out;
}

}  // namespace b2b::core
