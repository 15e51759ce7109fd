// The composition root of `bot2bot serve` (STYLE.md "components"): config -> shards ->
// domain state -> router -> listeners, started in that order and stopped in reverse.
// SIGTERM/SIGINT drain gracefully (§20.22): listeners close, SSE streams get a final
// comment, WebSockets a 1001 close, parked long-polls their answer, then the loops stop.
#pragma once

#include <string>

#include "api/relay_config.h"

namespace b2b::api {

// Runs the relay until a signal; returns the process exit code.
int run_server(const RelayConfig& config);

// Where the relay reads the files it serves when --share-dir is not given: <prefix>/share/bot2bot
// next to an installed binary (<prefix>/bin/bot2bot), else the source tree it was built from.
std::string default_share_dir();

}  // namespace b2b::api
