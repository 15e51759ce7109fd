#include "mcp/mcp_dispatcher.h"

#include <algorithm>
#include <exception>

namespace b2b::mcp {
namespace json = boost::json;

namespace {

bool is_supported(std::string_view version) {
  return std::find(std::begin(kSupportedProtocolVersions), std::end(kSupportedProtocolVersions),
                   version) != std::end(kSupportedProtocolVersions);
}

// Dated revisions compare correctly as strings.
bool at_least(std::string_view version, std::string_view first) {
  return version >= first;
}

json::object describe(const ToolDefinition& tool, std::string_view version) {
  json::object o{
      {"name", tool.name}, {"description", tool.description}, {"inputSchema", tool.input_schema}};
  const bool structured = at_least(version, kFirstStructuredVersion);
  if (structured) {
    o["title"] = tool.title;
    if (tool.output_schema) o["outputSchema"] = *tool.output_schema;
  }
  // Annotations arrived in 2025-03-26. Every tool talks to a relay, hence openWorldHint.
  if (at_least(version, "2025-03-26")) {
    o["annotations"] = json::object{{"title", tool.title},
                                    {"readOnlyHint", tool.read_only},
                                    {"destructiveHint", tool.destructive},
                                    {"idempotentHint", tool.idempotent},
                                    {"openWorldHint", true}};
  }
  return o;
}

json::object result_object(const ToolResult& result, bool structured) {
  json::object o{{"content", json::array{json::object{{"type", "text"}, {"text", result.text}}}},
                 {"isError", result.is_error}};
  if (structured && result.structured && !result.is_error) {
    o["structuredContent"] = *result.structured;
  }
  return o;
}

}  // namespace

McpDispatcher::McpDispatcher(ServerInfo info, std::vector<ToolDefinition> tools, ToolInvoker invoke)
    : info_(std::move(info)), tools_(std::move(tools)), invoke_(std::move(invoke)) {}

std::string McpDispatcher::negotiated_version() const {
  std::lock_guard lock(mutex_);
  return version_;
}

std::optional<std::string> McpDispatcher::handle(const IncomingMessage& message) {
  using Kind = IncomingMessage::Kind;
  switch (message.kind) {
    case Kind::invalid:
      return error_response(message.id, message.error);
    case Kind::response:
    case Kind::notification:
      // notifications/initialized, notifications/cancelled (a call already running simply
      // finishes; the spec lets receivers ignore cancellation) and anything newer.
      return std::nullopt;
    case Kind::request:
      break;
  }
  const std::string& m = message.method;
  if (m == "initialize") return success_response(message.id, initialize(message.params));
  if (m == "ping") return success_response(message.id, json::object{});
  if (m == "tools/list") return success_response(message.id, list_tools());
  if (m == "tools/call") {
    RpcError error;
    std::optional<json::value> result = call_tool(message.params, error);
    if (!result) return error_response(message.id, error);
    return success_response(message.id, std::move(*result));
  }
  return error_response(message.id, {rpc_code::kMethodNotFound, "Method not found: " + m});
}

json::value McpDispatcher::initialize(const json::object& params) {
  std::string version{kLatestProtocolVersion};
  if (const json::value* asked = params.if_contains("protocolVersion");
      asked != nullptr && asked->is_string() && is_supported(asked->as_string())) {
    version = std::string(asked->as_string());
  }
  {
    std::lock_guard lock(mutex_);
    version_ = version;
  }
  json::object server_info{{"name", info_.name}, {"version", info_.version}};
  if (at_least(version, kFirstStructuredVersion)) server_info["title"] = info_.title;
  return json::object{
      {"protocolVersion", version},
      {"capabilities", json::object{{"tools", json::object{{"listChanged", false}}}}},
      {"serverInfo", std::move(server_info)},
      {"instructions", info_.instructions}};
}

json::value McpDispatcher::list_tools() const {
  const std::string version = negotiated_version();
  json::array tools;
  for (const ToolDefinition& t : tools_) tools.push_back(describe(t, version));
  return json::object{{"tools", std::move(tools)}};
}

std::optional<json::value> McpDispatcher::call_tool(const json::object& params, RpcError& error) {
  const json::value* name = params.if_contains("name");
  if (name == nullptr || !name->is_string()) {
    error = {rpc_code::kInvalidParams, "tools/call needs a string name"};
    return std::nullopt;
  }
  const std::string tool_name(name->as_string());
  const bool known = std::any_of(tools_.begin(), tools_.end(),
                                 [&](const ToolDefinition& t) { return t.name == tool_name; });
  if (!known) {
    error = {rpc_code::kInvalidParams, "Unknown tool: " + tool_name};
    return std::nullopt;
  }
  json::object arguments;
  if (const json::value* args = params.if_contains("arguments"); args != nullptr) {
    if (args->is_object()) {
      arguments = args->as_object();
    } else if (!args->is_null()) {
      error = {rpc_code::kInvalidParams, "tools/call arguments must be an object"};
      return std::nullopt;
    }
  }
  ToolResult result;
  try {
    result = invoke_(tool_name, arguments);
  } catch (const std::exception& e) {
    // Tools return errors as values; this is the last guard so one bug cannot kill the
    // session (the host would lose every other tool).
    result = tool_error(tool_name + " failed: internal error: " + e.what());
  }
  return result_object(result, at_least(negotiated_version(), kFirstStructuredVersion));
}

}  // namespace b2b::mcp
