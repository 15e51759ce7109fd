#include "mcp/tool_arguments.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace b2b::mcp {
namespace json = boost::json;

namespace {

core::Error bad(std::string_view key, std::string_view what) {
  return core::Error{std::string(key) + " " + std::string(what), ""};
}

// JSON integers, integral doubles (some hosts send 20.0) and decimal strings.
std::optional<std::int64_t> as_int(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.as_uint64());
  }
  if (v.is_double()) {
    const double d = v.as_double();
    // 2^53: beyond it a double no longer names one integer.
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= 9007199254740992.0) {
      return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
  }
  if (v.is_string()) {
    std::string_view s = v.as_string();
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec == std::errc() && end == s.data() + s.size() && !s.empty()) return n;
  }
  return std::nullopt;
}

}  // namespace

const json::value* ToolArguments::find(std::string_view key) const {
  const json::value* v = args_.if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

core::Result<std::optional<std::string>> ToolArguments::optional_string(
    std::string_view key) const {
  const json::value* v = find(key);
  if (v == nullptr) return std::optional<std::string>{};
  if (!v->is_string()) return bad(key, "must be a string");
  return std::optional<std::string>{std::string(v->as_string())};
}

core::Result<std::string> ToolArguments::required_string(std::string_view key) const {
  core::Result<std::optional<std::string>> s = optional_string(key);
  if (!s) return s.error();
  if (!s.value()) return bad(key, "is required");
  return std::move(*s.value());
}

core::Result<std::int64_t> ToolArguments::clamped_int(std::string_view key, std::int64_t fallback,
                                                      std::int64_t min, std::int64_t max) const {
  const json::value* v = find(key);
  if (v == nullptr) return fallback;
  std::optional<std::int64_t> n = as_int(*v);
  if (!n) return bad(key, "must be an integer");
  return std::clamp(*n, min, max);
}

core::Result<std::optional<std::int64_t>> ToolArguments::optional_int(std::string_view key,
                                                                      std::int64_t min) const {
  const json::value* v = find(key);
  if (v == nullptr) return std::optional<std::int64_t>{};
  std::optional<std::int64_t> n = as_int(*v);
  if (!n) return bad(key, "must be an integer");
  if (*n < min) return bad(key, "must be at least " + std::to_string(min));
  return n;
}

core::Result<std::int64_t> ToolArguments::required_int(std::string_view key,
                                                       std::int64_t min) const {
  core::Result<std::optional<std::int64_t>> n = optional_int(key, min);
  if (!n) return n.error();
  if (!n.value()) return bad(key, "is required");
  return *n.value();
}

core::Result<bool> ToolArguments::boolean(std::string_view key, bool fallback) const {
  const json::value* v = find(key);
  if (v == nullptr) return fallback;
  if (v->is_bool()) return v->as_bool();
  if (v->is_string() && (v->as_string() == "true" || v->as_string() == "false")) {
    return v->as_string() == "true";
  }
  return bad(key, "must be true or false");
}

core::Result<std::vector<std::string>> ToolArguments::string_list(std::string_view key) const {
  const json::value* v = find(key);
  std::vector<std::string> out;
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.emplace_back(v->as_string());
    return out;
  }
  if (!v->is_array()) return bad(key, "must be a list of strings");
  for (const json::value& item : v->as_array()) {
    if (!item.is_string()) return bad(key, "must be a list of strings");
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace b2b::mcp
