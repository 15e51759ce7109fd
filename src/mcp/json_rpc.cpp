#include "mcp/json_rpc.h"

namespace b2b::mcp {
namespace json = boost::json;

namespace {

IncomingMessage invalid(int code, std::string message, json::value id = nullptr) {
  IncomingMessage m;
  m.kind = IncomingMessage::Kind::invalid;
  m.id = std::move(id);
  m.error = {code, std::move(message)};
  return m;
}

// JSON-RPC allows string and number ids; MCP additionally forbids null.
bool is_valid_id(const json::value& id) {
  return id.is_string() || id.is_int64() || id.is_uint64() || id.is_double();
}

}  // namespace

IncomingMessage parse_message(std::string_view line) {
  boost::system::error_code ec;
  json::value v = json::parse(line, ec);
  if (ec) return invalid(rpc_code::kParseError, "Parse error: " + ec.message());
  // Batches existed only in the 2025-03-26 revision and were removed again; no current
  // client sends them.
  if (v.is_array()) return invalid(rpc_code::kInvalidRequest, "Batch requests are not supported");
  if (!v.is_object()) return invalid(rpc_code::kInvalidRequest, "Message must be a JSON object");
  json::object& o = v.as_object();

  const json::value* id = o.if_contains("id");
  const bool has_id = id != nullptr;
  json::value usable_id = has_id && is_valid_id(*id) ? *id : json::value(nullptr);

  const json::value* version = o.if_contains("jsonrpc");
  if (version == nullptr || !version->is_string() || version->as_string() != "2.0") {
    return invalid(rpc_code::kInvalidRequest, "jsonrpc must be \"2.0\"", usable_id);
  }
  const json::value* method = o.if_contains("method");
  if (method == nullptr) {
    if (o.contains("result") || o.contains("error")) {
      IncomingMessage m;
      m.kind = IncomingMessage::Kind::response;
      m.id = usable_id;
      return m;
    }
    return invalid(rpc_code::kInvalidRequest, "Missing method", usable_id);
  }
  if (!method->is_string()) {
    return invalid(rpc_code::kInvalidRequest, "method must be a string", usable_id);
  }
  if (has_id && !is_valid_id(*id)) {
    return invalid(rpc_code::kInvalidRequest, "id must be a string or a number");
  }

  IncomingMessage m;
  m.kind = has_id ? IncomingMessage::Kind::request : IncomingMessage::Kind::notification;
  m.id = usable_id;
  m.method = std::string(method->as_string());
  if (const json::value* params = o.if_contains("params")) {
    if (params->is_object()) {
      m.params = params->as_object();
    } else if (!params->is_null()) {
      return invalid(rpc_code::kInvalidParams, "params must be an object", usable_id);
    }
  }
  return m;
}

std::string success_response(const json::value& id, json::value result) {
  return json::serialize(
      json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
}

std::string error_response(const json::value& id, const RpcError& error) {
  return json::serialize(
      json::object{{"jsonrpc", "2.0"},
                   {"id", id},
                   {"error", json::object{{"code", error.code}, {"message", error.message}}}});
}

}  // namespace b2b::mcp
