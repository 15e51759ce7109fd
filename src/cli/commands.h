// Subcommands of the `bot2bot` binary. main() only dispatches.
#pragma once

namespace b2b::cli {

int serve_command(int argc, char** argv);  // serve_command.cpp

}  // namespace b2b::cli
