// What the generic surface needs beyond RelayState: the bug-report desk and the share
// directory's files. Owned by run_server, handed to the router.
#pragma once

#include <string>

#include "api/relay_config.h"
#include "api/report_routes.h"
#include "api/share_files.h"

namespace b2b::api {

struct SiteServices {
  // `share_dir` is the resolved share directory (the config's, or the built-in default).
  SiteServices(const RelayConfig& config, std::string share_dir)
      : files(std::move(share_dir)), reports(config) {}

  ShareFiles files;
  ReportDesk reports;
  // The absolute base URL without a trailing slash (OpenAPI servers[0].url); set once the
  // listener is bound (the default names the bound port), before the first request.
  std::string public_url;
};

}  // namespace b2b::api
