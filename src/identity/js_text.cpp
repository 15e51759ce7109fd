// IDENTITY.md §3.1 string rules; see js_text.h for why each is needed.
#include "identity/js_text.h"

#include "core/utf8.h"

namespace b2b::identity {
namespace utf8 = core::utf8;
namespace {

bool is_js_trim_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000 || c == 0xFEFF;
}

// Start of the code point that ends at byte `end` (exclusive): back over continuation bytes.
std::size_t previous_code_point_start(std::string_view s, std::size_t end) {
  std::size_t i = end - 1;
  while (i > 0 && end - i < 4 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

bool in(char32_t c, char32_t lo, char32_t hi) {
  return c >= lo && c <= hi;
}

// Simple (one-to-one) lowercase mapping for the ranges listed in js_text.h.
char32_t simple_lower(char32_t c) {
  if (in(c, 'A', 'Z')) return c + 32;
  if (c < 0xC0) return c;
  if (in(c, 0xC0, 0xDE) && c != 0xD7) return c + 32;
  if (in(c, 0x100, 0x12F) || in(c, 0x132, 0x137) || in(c, 0x14A, 0x177)) {
    return c % 2 == 0 ? c + 1 : c;
  }
  if (in(c, 0x139, 0x148) || in(c, 0x179, 0x17E)) return c % 2 == 1 ? c + 1 : c;
  if (c == 0x178) return 0xFF;
  if (c == 0x386) return 0x3AC;
  if (in(c, 0x388, 0x38A)) return c + 37;
  if (c == 0x38C) return 0x3CC;
  if (in(c, 0x38E, 0x38F)) return c + 63;
  if ((in(c, 0x391, 0x3A1) || in(c, 0x3A3, 0x3AB))) return c + 32;
  if (in(c, 0x400, 0x40F)) return c + 80;
  if (in(c, 0x410, 0x42F)) return c + 32;
  if (in(c, 0x460, 0x481) || in(c, 0x48A, 0x4BF) || in(c, 0x4D0, 0x52F)) {
    return c % 2 == 0 ? c + 1 : c;
  }
  if (c == 0x4C0) return 0x4CF;
  if (in(c, 0x4C1, 0x4CE)) return c % 2 == 1 ? c + 1 : c;
  if (in(c, 0x531, 0x556)) return c + 48;
  if (in(c, 0x10A0, 0x10C5)) return c + 7264;
  if (in(c, 0x1E00, 0x1E95) || in(c, 0x1EA0, 0x1EFF)) return c % 2 == 0 ? c + 1 : c;
  if (c == 0x1E9E) return 0xDF;
  if (c == 0x2126) return 0x3C9;
  if (c == 0x212A) return 'k';
  if (c == 0x212B) return 0xE5;
  if (in(c, 0x2160, 0x216F)) return c + 16;
  if (in(c, 0x24B6, 0x24CF)) return c + 26;
  if (in(c, 0xFF21, 0xFF3A)) return c + 32;
  return c;
}

}  // namespace

std::string_view js_trim(std::string_view s) {
  while (!s.empty()) {
    const utf8::CodePoint c = utf8::decode_at(s, 0);
    if (!c.valid || !is_js_trim_space(c.value)) break;
    s.remove_prefix(c.size);
  }
  while (!s.empty()) {
    const std::size_t start = previous_code_point_start(s, s.size());
    const utf8::CodePoint c = utf8::decode_at(s, start);
    if (!c.valid || start + c.size != s.size() || !is_js_trim_space(c.value)) break;
    s.remove_suffix(c.size);
  }
  return s;
}

std::string js_to_lower(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const utf8::CodePoint c = utf8::decode_at(s, i);
    if (!c.valid) {
      out += s[i];
    } else if (c.value == 0x130) {
      out += "i\xCC\x87";  // SpecialCasing.txt: U+0130 -> U+0069 U+0307
    } else {
      utf8::append(out, simple_lower(c.value));
    }
    i += c.size;
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

std::optional<std::string_view> js_slice_utf16(std::string_view s, std::size_t max_units) {
  std::size_t units = 0;
  for (std::size_t i = 0; i < s.size();) {
    const utf8::CodePoint c = utf8::decode_at(s, i);
    const std::size_t width = c.valid && c.value >= 0x10000 ? 2 : 1;
    if (units + width > max_units) {
      if (units < max_units) return std::nullopt;  // only half of the pair would fit
      return s.substr(0, i);
    }
    units += width;
    i += c.size;
  }
  return s;
}

}  // namespace b2b::identity
