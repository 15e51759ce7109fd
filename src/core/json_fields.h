// Typed reads of one field of a JSON object the relay wrote itself (records in Redis): a field
// of the wrong type counts as missing, so the caller refuses the record as corrupt.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace b2b::core {

inline const boost::json::string* string_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_string() : nullptr;
}

inline std::optional<int64_t> int64_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64()) return std::nullopt;
  return v->get_int64();
}

inline std::optional<bool> bool_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

}  // namespace b2b::core
