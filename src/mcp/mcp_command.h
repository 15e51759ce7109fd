// `bot2bot mcp`: the MCP server over stdio (docs/MCP.md).
#pragma once

namespace b2b::mcp {

// argv[0] is "mcp". Returns the process exit code (0 after stdin closes).
int mcp_command(int argc, char** argv);

}  // namespace b2b::mcp
