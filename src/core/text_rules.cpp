// ROOMS.md §1.3–§1.5, §2.1 and the §20.23 hygiene fix. JavaScript measures strings in
// UTF-16 code units, so we walk UTF-8 code points and count astral ones as 2.
#include "core/text_rules.h"

#include <algorithm>

#include "core/utf8.h"

namespace b2b::core {
namespace {

constexpr std::size_t kMaxNameUnits = 64;  // §1.4, §10.3

using utf8::CodePoint;
using utf8::decode_at;

std::size_t utf16_units(const CodePoint& c) {
  return c.valid && c.value >= 0x10000 ? 2 : 1;
}

// Calls f(CodePoint) for each code point; stops early (returning false) if f returns false.
template <class F>
bool all_code_points(std::string_view s, F&& f) {
  for (std::size_t i = 0; i < s.size();) {
    const CodePoint c = decode_at(s, i);
    if (!f(c)) return false;
    i += c.size;
  }
  return true;
}

// §20.23: the Unicode Bidi_Control characters (explicit embeddings, overrides, isolates
// and the implicit marks), which can make a label render as something else.
bool is_bidi_control(char32_t c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

bool is_ascii_alnum(char32_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// §2.1 and reply_to (§3): [A-Za-z0-9_-].
bool is_id_char(char c) {
  return is_ascii_alnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// §1.4 [A-Za-z0-9@._\-\u00A0-\uFFFF] on UTF-16 units: astral characters are surrogate
// pairs inside that range, so every code point >= U+00A0 qualifies (minus §20.23 bidi).
bool is_name_char(const CodePoint& c) {
  if (!c.valid) return false;
  const char32_t v = c.value;
  if (v < 0x80) return is_ascii_alnum(v) || v == '@' || v == '.' || v == '_' || v == '-';
  return v >= 0xA0 && !is_bidi_control(v);
}

// Standard-alphabet and URL-safe base64 characters (§1.3 reads `-`/`_` as `+`/`/`).
bool is_base64_alphabet(char c) {
  return is_id_char(c) || c == '+' || c == '/';
}

}  // namespace

std::size_t utf16_length(std::string_view utf8) {
  std::size_t units = 0;
  all_code_points(utf8, [&](const CodePoint& c) {
    units += utf16_units(c);
    return true;
  });
  return units;
}

std::string_view truncate_utf16(std::string_view utf8, std::size_t max_units) {
  std::size_t units = 0;
  std::size_t end = 0;
  all_code_points(utf8, [&](const CodePoint& c) {
    if (units + utf16_units(c) > max_units) return false;
    units += utf16_units(c);
    end += c.size;
    return true;
  });
  return utf8.substr(0, end);
}

bool is_valid_room_id(std::string_view id) {
  return id.size() >= 4 && id.size() <= 64 && std::all_of(id.begin(), id.end(), is_id_char);
}

std::optional<std::string> normalize_presence_name(std::string_view name) {
  const std::string_view truncated = truncate_utf16(name, kMaxNameUnits);
  if (truncated.empty() || !all_code_points(truncated, is_name_char)) return std::nullopt;
  return std::string(truncated);
}

bool is_valid_box_pub(std::string_view s) {
  const std::size_t units = utf16_length(s);
  if (units < 40 || units > 64) return false;
  // The lenient decoder skips non-alphabet characters and stops at the first `=`;
  // 43 sextets are 258 bits, i.e. exactly 32 whole bytes (42 give 31, 44 give 33).
  const std::string_view before_pad = s.substr(0, s.find('='));
  return std::count_if(before_pad.begin(), before_pad.end(), is_base64_alphabet) == 43;
}

bool is_clean_label(std::string_view utf8) {
  return all_code_points(utf8, [](const CodePoint& c) {
    const char32_t v = c.value;
    const bool control = v < 0x20 || (v >= 0x7F && v <= 0x9F);  // C0, DEL, C1
    return c.valid && !control && !is_bidi_control(v);
  });
}

}  // namespace b2b::core
