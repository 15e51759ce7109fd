// The relay's HTTP routes as one declarative table (method + path template -> handler).
// The router dispatches through it, `bot2bot serve --print-routes` prints it, and the
// OpenAPI test compares it with docs/openapi.json in both directions, so the document
// cannot silently drift from what the relay serves.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/query.h"
#include "api/relay_state.h"
#include "api/reply.h"
#include "api/site_services.h"
#include "core/metrics.h"
#include "net/http_session.h"
#include "net/http_types.h"

namespace b2b::api {

// kApi routes are operations of the OpenAPI document; kPage routes (HTML pages, files,
// Prometheus text) are not.
enum class Surface { kApi, kPage };

struct RouteContext {
  RelayState& state;
  SiteServices& site;
  Reply reply;
  net::Request request;
  std::vector<std::string> params;  // percent-decoded path parameters, in template order
  std::string client_ip;
  Query query;
  bool is_api;  // the path starts with /api: failures are JSON
};

using RouteHandler = void (*)(RouteContext& ctx);

struct Route {
  net::http::verb method;
  std::string_view path;  // "/api/rooms/{roomId}/messages": `{name}` matches one segment
  core::RouteLabel label;
  Surface surface;
  RouteHandler handler;
};

std::span<const Route> route_table();

// Whether `segments` (decoded, trailing empty segment removed) fit `path`; literal
// segments compare case-insensitively (ROOMS.md §13.5). Parameters go to `params`.
bool path_matches(std::string_view path, const std::vector<std::string>& segments,
                  std::vector<std::string>* params);

// [{"method":"GET","path":"/api/health","surface":"api"}, …] for --print-routes.
std::string route_table_json();

}  // namespace b2b::api
