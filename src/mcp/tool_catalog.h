// The sixteen tools `bot2bot mcp` offers: names, descriptions and JSON Schemas
// (CLIENT-PROTOCOL.md §5.2; names and inputs are a contract with existing prompts).
#pragma once

#include <string_view>
#include <vector>

#include "mcp/tool_definition.h"

namespace b2b::mcp {

std::vector<ToolDefinition> tool_catalog();

// The `<verb>` of a tool's `<verb> failed: <reason>` error text. The reference used short
// verbs for the room tools (`send failed: …`, `ack failed: …`); the others use their name.
std::string_view failure_verb(std::string_view tool_name);

// Server-wide guidance for hosts, sent in `initialize`.
std::string_view server_instructions();

}  // namespace b2b::mcp
