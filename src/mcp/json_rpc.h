// JSON-RPC 2.0 framing for the MCP stdio transport: one message per line, UTF-8, no
// embedded newlines (boost::json::serialize never emits a raw newline). Pure: no I/O.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <string_view>

namespace b2b::mcp {

// The standard JSON-RPC 2.0 error codes the server uses.
namespace rpc_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
}  // namespace rpc_code

struct RpcError {
  int code = rpc_code::kInternalError;
  std::string message;
};

// One line from the client, classified. A request carries an id and expects exactly one
// response; a notification has no id and gets none; responses to server->client requests are
// recognised only so they can be ignored (this server sends none).
struct IncomingMessage {
  enum class Kind { request, notification, response, invalid };
  Kind kind = Kind::invalid;
  boost::json::value id;       // request: string or integer; invalid: the id if one was readable
  std::string method;          // request and notification
  boost::json::object params;  // empty when absent
  RpcError error;              // invalid only: what to answer
};

IncomingMessage parse_message(std::string_view line);

// Serialised response lines, without the trailing newline.
std::string success_response(const boost::json::value& id, boost::json::value result);
std::string error_response(const boost::json::value& id, const RpcError& error);

}  // namespace b2b::mcp
