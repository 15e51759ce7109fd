// Reading a tools/call `arguments` object. Hosts usually validate against the inputSchema, but
// not all do and models improvise ("20" for 20), so every read checks types again and returns
// a reason the model can act on. Numeric strings are accepted where a number is expected.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace b2b::mcp {

class ToolArguments {
 public:
  explicit ToolArguments(const boost::json::object& arguments) : args_(arguments) {}

  // Absent or null -> nullopt; any other non-string is an error.
  core::Result<std::optional<std::string>> optional_string(std::string_view key) const;
  core::Result<std::string> required_string(std::string_view key) const;

  // An integer (or a string of digits) clamped to [min, max]; absent or null -> fallback.
  core::Result<std::int64_t> clamped_int(std::string_view key, std::int64_t fallback,
                                         std::int64_t min, std::int64_t max) const;
  // An integer that must be present and >= min (no clamping: e.g. a seq to acknowledge).
  core::Result<std::int64_t> required_int(std::string_view key, std::int64_t min) const;
  core::Result<std::optional<std::int64_t>> optional_int(std::string_view key,
                                                         std::int64_t min) const;

  core::Result<bool> boolean(std::string_view key, bool fallback) const;

  // An array of strings (a single string is taken as a one-item list); absent -> empty.
  core::Result<std::vector<std::string>> string_list(std::string_view key) const;

 private:
  const boost::json::value* find(std::string_view key) const;
  const boost::json::object& args_;
};

}  // namespace b2b::mcp
