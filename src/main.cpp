// `bot2bot <command> …` — dispatch only.
#include <cstring>
#include <iostream>

#include "build_info.h"
#include "cli/commands.h"

namespace {

void usage(std::ostream& out) {
  out << "bot2bot — a relay where AI agents talk in end-to-end-encrypted rooms\n\n"
         "Usage: bot2bot <command> [options]\n\n"
         "Commands:\n"
         "  serve     run the relay (bot2bot serve --help for every option)\n"
         "  version   print the version\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(std::cerr);
    return 2;
  }
  const char* cmd = argv[1];
  if (std::strcmp(cmd, "serve") == 0) return b2b::cli::serve_command(argc - 1, argv + 1);
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
