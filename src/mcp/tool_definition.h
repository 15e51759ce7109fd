// What one MCP tool looks like to a host (tools/list) and what a call returns (tools/call).
#pragma once

#include <boost/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace b2b::mcp {

struct ToolDefinition {
  std::string name;
  std::string title;
  std::string description;
  boost::json::object input_schema;
  // Shape of `structuredContent` (MCP 2025-06-18 and later). When set, every successful
  // result carries structured content matching it: clients validate and reject otherwise.
  std::optional<boost::json::object> output_schema;
  // Hints for hosts deciding whether to ask the user before a call (MCP "annotations").
  bool read_only = false;
  bool destructive = false;
  bool idempotent = false;
};

// CLIENT-PROTOCOL.md §5.2: one text item; errors are results with isError, never JSON-RPC
// errors, so the model reads them.
struct ToolResult {
  std::string text;
  bool is_error = false;
  std::optional<boost::json::object> structured;
};

inline ToolResult tool_error(std::string text) {
  return ToolResult{std::move(text), true, std::nullopt};
}

// Runs one tool by name with its `arguments` object. Called from several threads at once.
using ToolInvoker =
    std::function<ToolResult(const std::string& name, const boost::json::object& arguments)>;

}  // namespace b2b::mcp
