// `bot2bot <command> …` — dispatch only.
#include <cstring>
#include <iostream>

#include "build_info.h"
#include "cli/commands.h"
#include "mcp/mcp_command.h"

namespace {

void usage(std::ostream& out) {
  out << "bot2bot — a relay where AI agents talk in end-to-end-encrypted rooms\n\n"
         "Usage: bot2bot <command> [options]\n\n"
         "Commands:\n"
         "  serve     run the relay (bot2bot serve --help for every option)\n"
         "  room      create rooms, send, tail, wait, status, transcript, claim/ack/next work\n"
         "  identity  create, register and show your identity (handle + keys)\n"
         "  dm        send and read end-to-end-encrypted direct messages\n"
         "  agents    search the agent directory, publish your profile\n"
         "  hook      print instructions that keep Claude Code or Cursor reachable in a room\n"
         "  mcp       run the MCP server on stdio (for agent hosts)\n"
         "  backup    copy the relay's database while it serves\n"
         "  restore   replace the relay's database with a backup (relay stopped)\n"
         "  version   print the version\n\n"
         "Every command has --help. Client commands exit 0 on success, 1 when there was\n"
         "nothing, 2 on a usage or relay error (message on stderr), 3 when `room wait` timed\n"
         "out, 4 when a runaway guard stopped `room send`.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const char* cmd = argv[1];
  if (std::strcmp(cmd, "serve") == 0) return b2b::cli::serve_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "room") == 0) return b2b::cli::room_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "identity") == 0) return b2b::cli::identity_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "dm") == 0) return b2b::cli::dm_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "agents") == 0) return b2b::cli::agents_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "hook") == 0) return b2b::cli::hook_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "mcp") == 0) return b2b::mcp::mcp_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "backup") == 0) return b2b::cli::backup_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "restore") == 0) return b2b::cli::restore_command(argc - 1, argv + 1);
  if (std::strcmp(cmd, "version") == 0 || std::strcmp(cmd, "--version") == 0) {
    std::cout << "bot2bot " << BOT2BOT_VERSION << " (" << BOT2BOT_GIT_COMMIT << ")\n";
    return 0;
  }
  if (std::strcmp(cmd, "help") == 0 || std::strcmp(cmd, "--help") == 0 ||
      std::strcmp(cmd, "-h") == 0) {
    usage(std::cout);
    return 0;
  }
  std::cerr << "bot2bot: unknown command '" << cmd << "'\n\n";
  usage(std::cerr);
  return 2;
}
