// IDENTITY.md §3.1 "String(x)" and §1.6 number rendering, following ECMA-262
// Number::toString and StringToNumber.
#include "identity/js_values.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "identity/js_text.h"

namespace b2b::identity {
namespace {

double as_double(const boost::json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

bool is_digit_in_radix(char c, int radix) {
  int d;
  if (c >= '0' && c <= '9') {
    d = c - '0';
  } else if (c >= 'a' && c <= 'z') {
    d = c - 'a' + 10;
  } else if (c >= 'A' && c <= 'Z') {
    d = c - 'A' + 10;
  } else {
    return false;
  }
  return d < radix;
}

// StrUnsignedDecimalLiteral: digits [. digits] [e[+-]digits] | . digits [e...]
bool is_unsigned_decimal_literal(std::string_view s) {
  std::size_t i = 0, int_digits = 0, frac_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++int_digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++frac_digits;
  }
  if (int_digits + frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

}  // namespace

std::string js_number_to_string(double x) {
  if (std::isnan(x)) return "NaN";
  if (x == 0) return "0";
  if (x < 0) return "-" + js_number_to_string(-x);
  if (std::isinf(x)) return "Infinity";

  // Shortest round-trip digits, as Number::toString requires; to_chars picks the closest
  // of several shortest candidates, as ECMA-262 does.
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  (void)ec;
  const std::string_view sci(buf, end - buf);  // "d.ddde+XX" or "de+XX"
  const std::size_t e_pos = sci.find('e');
  std::string digits(sci.substr(0, e_pos));
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  const int exp10 = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // position of the decimal point relative to the digits

  if (k <= n && n <= 21) return digits + std::string(n - k, '0');
  if (0 < n && n <= 21) return digits.substr(0, n) + "." + digits.substr(n);
  if (-6 < n && n <= 0) return "0." + std::string(-n, '0') + digits;
  const int e = n - 1;
  std::string out = digits.substr(0, 1);
  if (k > 1) out += "." + digits.substr(1);
  out += e < 0 ? "e-" : "e+";
  out += std::to_string(e < 0 ? -e : e);
  return out;
}

bool js_is_falsy(const boost::json::value& v) {
  if (v.is_null()) return true;
  if (v.is_bool()) return !v.get_bool();
  if (v.is_number()) {
    const double d = as_double(v);
    return d == 0 || std::isnan(d);
  }
  if (v.is_string()) return v.get_string().empty();
  return false;  // arrays and objects are truthy, even when empty
}

std::string js_string(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return "null";
    case boost::json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return js_number_to_string(as_double(v));
    case boost::json::kind::string:
      return std::string(v.get_string());
    case boost::json::kind::array: {
      // Array.prototype.join: null and undefined items become "".
      std::string out;
      bool first = true;
      for (const boost::json::value& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        if (!item.is_null()) out += js_string(item);
      }
      return out;
    }
    case boost::json::kind::object:
      return "[object Object]";
  }
  return "";
}

double js_string_to_number(std::string_view s) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  s = js_trim(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    const char p = s[1];
    const int radix = (p == 'x' || p == 'X')   ? 16
                      : (p == 'o' || p == 'O') ? 8
                      : (p == 'b' || p == 'B') ? 2
                                               : 0;
    if (radix != 0) {
      double value = 0;
      for (char c : s.substr(2)) {
        if (!is_digit_in_radix(c, radix)) return kNaN;
        const int d = (c >= '0' && c <= '9')   ? c - '0'
                      : (c >= 'a' && c <= 'z') ? c - 'a' + 10
                                               : c - 'A' + 10;
        value = value * radix + d;
      }
      return value;
    }
  }
  bool negative = false;
  std::string_view body = s;
  if (body.front() == '+' || body.front() == '-') {
    negative = body.front() == '-';
    body.remove_prefix(1);
  }
  if (body == "Infinity") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (!is_unsigned_decimal_literal(body)) return kNaN;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves `value` untouched on range errors; JS gives Infinity or 0.
    const std::size_t e = body.find_first_of("eE");
    const bool tiny = e != std::string_view::npos && body.substr(e + 1).starts_with('-');
    value = tiny ? 0.0 : std::numeric_limits<double>::infinity();
  } else if (ec != std::errc() || ptr != body.data() + body.size()) {
    return kNaN;
  }
  return negative ? -value : value;
}

double js_number(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return 0;
    case boost::json::kind::bool_:
      return v.get_bool() ? 1 : 0;
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      return as_double(v);
    case boost::json::kind::string:
      return js_string_to_number(v.get_string());
    case boost::json::kind::array:
      return js_string_to_number(js_string(v));
    case boost::json::kind::object:
      return std::numeric_limits<double>::quiet_NaN();
  }
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace b2b::identity
