// IDENTITY.md §3.2.
#include "identity/canonical_json.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/utf8.h"
#include "identity/js_values.h"

namespace b2b::identity {
namespace utf8 = core::utf8;
namespace {

std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    const utf8::CodePoint c = utf8::decode_at(s, i);
    if (c.value >= 0x10000) {
      out += static_cast<char16_t>(0xD800 + ((c.value - 0x10000) >> 10));
      out += static_cast<char16_t>(0xDC00 + ((c.value - 0x10000) & 0x3FF));
    } else {
      out += static_cast<char16_t>(c.value);
    }
    i += c.size;
  }
  return out;
}

void append_number(std::string& out, const boost::json::value& v) {
  constexpr int64_t kSafe = (int64_t{1} << 53) - 1;
  if (v.is_int64() && v.get_int64() >= -kSafe && v.get_int64() <= kSafe) {
    out += std::to_string(v.get_int64());
    return;
  }
  // Everything else is a JS double; JSON.stringify writes NaN and Infinity as null.
  const double d = v.is_int64()    ? static_cast<double>(v.get_int64())
                   : v.is_uint64() ? static_cast<double>(v.get_uint64())
                                   : v.get_double();
  out += std::isfinite(d) ? js_number_to_string(d) : "null";
}

void append_value(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      return;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_:
      append_number(out, v);
      return;
    case boost::json::kind::string:
      append_json_string(out, v.get_string());
      return;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const boost::json::value& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_value(out, item);
      }
      out += ']';
      return;
    }
    case boost::json::kind::object: {
      const boost::json::object& obj = v.get_object();
      std::vector<const boost::json::key_value_pair*> entries;
      entries.reserve(obj.size());
      for (const boost::json::key_value_pair& kv : obj) entries.push_back(&kv);
      std::sort(entries.begin(), entries.end(),
                [](const auto* a, const auto* b) { return utf16_less(a->key(), b->key()); });
      out += '{';
      bool first = true;
      for (const auto* kv : entries) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, kv->key());
        out += ':';
        append_value(out, kv->value());
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;  // raw UTF-8, '/', DEL and U+2028 included
        }
    }
  }
  out += '"';
}

bool utf16_less(std::string_view a, std::string_view b) {
  return to_utf16(a) < to_utf16(b);
}

std::string canonical_json(const boost::json::value& v) {
  std::string out;
  append_value(out, v);
  return out;
}

}  // namespace b2b::identity
