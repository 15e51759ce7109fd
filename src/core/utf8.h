// Small UTF-8 helpers behind every JavaScript-compatible string rule (core's text rules and
// the identity layer's). Strings come from Boost.JSON or percent-decoded URLs; a malformed
// byte is still handled (reported as one invalid unit) so that no input can make these
// helpers read out of bounds.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace b2b::core::utf8 {

struct CodePoint {
  char32_t value;    // U+FFFD when !valid
  std::size_t size;  // bytes consumed (1 for a malformed byte)
  bool valid;
};

// Strict decoder (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
inline CodePoint decode_at(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const CodePoint invalid{0xFFFD, 1, false};
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return {b0, 1, true};
  std::size_t size;
  char32_t cp;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    size = 2, cp = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    size = 3, cp = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    size = 4, cp = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return invalid;
  }
  if (i + size > s.size()) return invalid;
  for (std::size_t k = 1; k < size; ++k) {
    const unsigned char b = byte(k);
    if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return invalid;
    cp = (cp << 6) | (b & 0x3F);
  }
  return {cp, size, true};
}

inline void append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace b2b::core::utf8
