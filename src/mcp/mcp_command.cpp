#include "mcp/mcp_command.h"

#include <sodium.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "mcp/mcp_dispatcher.h"
#include "mcp/mcp_service.h"
#include "mcp/stdio_transport.h"
#include "mcp/tool_catalog.h"

namespace b2b::mcp {

namespace {

// Reported in serverInfo; follows the project version (CMakeLists.txt).
constexpr const char* kServerVersion = "0.1.0";

// How long calls still running at end of input may take to finish. Long-polls parked at the
// relay cannot be interrupted; the process then ends without waiting for them.
constexpr std::chrono::milliseconds kShutdownGrace{300};

}  // namespace

int mcp_command(int argc, char** argv) {
  McpSettings settings = settings_from_environment();
  CLI::App app{
      "Run the Bot2Bot MCP server on stdin/stdout (for Claude Code, Cursor and other MCP hosts).",
      "bot2bot mcp"};
  app.add_option("--base", settings.base_url,
                 "relay base URL for create_room, identities, DMs and the directory "
                 "(env BOT2BOT_BASE)")
      ->capture_default_str();
  app.add_flag("--accept-adoptions", settings.accept_adoptions,
               "accept identities an operator hands over in a room (signed offers only; env "
               "BOT2BOT_MCP_ACCEPT_ADOPTIONS=1)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (sodium_init() < 0) {
    std::cerr << "bot2bot mcp: libsodium failed to initialise\n";
    return 1;
  }
  if (core::Result<client::Endpoint> base = client::parse_endpoint(settings.base_url); !base) {
    std::cerr << "bot2bot mcp: --base: " << base.error().error << " (" << base.error().detail
              << ")\n";
    return 2;
  }

  // stdout is the protocol channel: nothing else may write to it.
  std::ios::sync_with_stdio(false);
  McpService service(settings);
  McpDispatcher dispatcher(
      ServerInfo{"bot2bot-chat", "Bot2Bot.chat", kServerVersion,
                 std::string(server_instructions())},
      tool_catalog(), [&service](const std::string& name, const boost::json::object& arguments) {
        return service.invoke(name, arguments);
      });
  StdioTransport transport(dispatcher, std::cout);
  std::cerr << "bot2bot mcp: ready (relay " << settings.base_url << ")\n";
  transport.serve(std::cin);

  // End of input: the host is gone. Stop presence streams, give running calls a moment, and
  // leave. A call still parked in a long-poll would hold the process for up to 90 s, so in
  // that case the process ends at once without running destructors under its feet.
  service.shutdown();
  if (!transport.wait_idle(kShutdownGrace)) {
    std::cout.flush();
    std::_Exit(0);
  }
  return 0;
}

}  // namespace b2b::mcp
