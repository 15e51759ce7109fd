// ROOMS.md §1.1: JavaScript `parseInt(String(v), 10) || default`, reproduced exactly
// because the reference clients send values such as `timeout=0` or `after=` and rely
// on the defaults they produce.
#include "core/js_int.h"

#include <algorithm>
#include <array>
#include <limits>

namespace b2b::core {
namespace {

// What JavaScript's parseInt trims first: WhiteSpace and LineTerminator (ECMA-262
// §12.2, §12.3), i.e. TAB VT FF SP LF CR, U+00A0, U+FEFF, U+2028, U+2029 and every
// Zs character. Written as UTF-8 bytes, since our strings are UTF-8.
constexpr std::array<std::string_view, 25> kJsWhitespace = {
    "\t",           "\n",           "\v",           "\f",           "\r",           " ",
    "\xC2\xA0",     "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83",
    "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
    "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
    "\xEF\xBB\xBF",
};

// Length of the whitespace sequence `s` starts with, or 0.
std::size_t leading_whitespace_size(std::string_view s) {
  for (std::string_view ws : kJsWhitespace) {
    if (s.starts_with(ws)) return ws.size();
  }
  return 0;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<int64_t> parse_js_int(std::string_view s) {
  while (std::size_t n = leading_whitespace_size(s)) s.remove_prefix(n);

  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty() || !is_digit(s.front())) return std::nullopt;  // NaN

  // Accumulate towards the sign so that INT64_MIN is reachable; saturate on overflow
  // (JavaScript would produce a huge double, which every caller clamps anyway).
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  int64_t value = 0;
  for (; !s.empty() && is_digit(s.front()); s.remove_prefix(1)) {
    const int digit = s.front() - '0';
    if (negative) {
      if (value < (kMin + digit) / 10) return kMin;
      value = value * 10 - digit;
    } else {
      if (value > (kMax - digit) / 10) return kMax;
      value = value * 10 + digit;
    }
  }
  return value;
}

int64_t js_int_or(std::optional<std::string_view> s, int64_t fallback) {
  if (!s) return fallback;
  const std::optional<int64_t> parsed = parse_js_int(*s);
  // `NaN || d` and `0 || d` are both `d` (-0 parses to 0 here, also falsy in JS).
  return parsed && *parsed != 0 ? *parsed : fallback;
}

int64_t js_int_clamped(std::optional<std::string_view> s, int64_t fallback, int64_t lo,
                       int64_t hi) {
  return std::clamp(js_int_or(s, fallback), lo, hi);
}

}  // namespace b2b::core
