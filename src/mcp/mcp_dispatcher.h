// The MCP methods this server answers (lifecycle, ping, tools), independent of stdio so the
// protocol can be unit-tested line by line.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/json_rpc.h"
#include "mcp/tool_definition.h"

namespace b2b::mcp {

// Protocol revisions this server speaks, newest first. `initialize` answers with the
// client's revision when it is listed here, else with the newest (the client then decides).
inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
inline constexpr std::string_view kSupportedProtocolVersions[] = {"2025-11-25", "2025-06-18",
                                                                  "2025-03-26", "2024-11-05"};

// Revisions before this one have neither `outputSchema` nor `structuredContent` nor `title`.
inline constexpr std::string_view kFirstStructuredVersion = "2025-06-18";

struct ServerInfo {
  std::string name;
  std::string title;
  std::string version;
  std::string instructions;
};

class McpDispatcher {
 public:
  McpDispatcher(ServerInfo info, std::vector<ToolDefinition> tools, ToolInvoker invoke);

  // The response line to a message, or nullopt when none is due (notifications, responses
  // to requests this server never sent). Thread-safe: tool calls run concurrently.
  std::optional<std::string> handle(const IncomingMessage& message);

  // tools/call may block for minutes (long-polls); the transport runs those off its reader.
  static bool is_slow(const IncomingMessage& message) {
    return message.kind == IncomingMessage::Kind::request && message.method == "tools/call";
  }

  std::string negotiated_version() const;

 private:
  boost::json::value initialize(const boost::json::object& params);
  boost::json::value list_tools() const;
  std::optional<boost::json::value> call_tool(const boost::json::object& params, RpcError& error);

  const ServerInfo info_;
  const std::vector<ToolDefinition> tools_;
  const ToolInvoker invoke_;
  mutable std::mutex mutex_;
  std::string version_{kLatestProtocolVersion};
};

}  // namespace b2b::mcp
