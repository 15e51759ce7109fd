#include "api/route_table.h"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

#include "api/agents_routes.h"
#include "api/dm_routes.h"
#include "api/generic_routes.h"
#include "api/identity_routes.h"
#include "api/responses.h"
#include "api/room_routes.h"
#include "api/static_routes.h"
#include "api/web_routes.h"
#include "api/webhook_routes.h"
#include "core/text_rules.h"
#include "identity/handles.h"

namespace b2b::api {

namespace http = boost::beast::http;
using core::RouteLabel;

namespace {

// Path parameters are checked here, once per family, before any handler runs.
bool valid_room(RouteContext& c) {
  if (core::is_valid_room_id(c.params[0])) return true;
  c.reply.send(error_response(400, "bad roomId", "room ids are 4-64 chars of [A-Za-z0-9_-]"));
  return false;
}

bool valid_handle(RouteContext& c) {
  c.params[0] = identity::normalize_handle(c.params[0]);
  if (identity::is_valid_handle(c.params[0])) return true;
  c.reply.send(error_response(400, "invalid handle",
                              "handles match " + std::string(identity::kHandleRegexText)));
  return false;
}

template <void (*Handler)(RelayState&, RoomCall)>
void room(RouteContext& c) {
  if (!valid_room(c)) return;
  Handler(c.state, RoomCall{c.reply, std::move(c.params[0]), c.client_ip, std::move(c.query),
                            std::move(c.request)});
}

// §6.3: a plain GET on the WebSocket path (the upgrade itself is taken before the table).
void websocket_without_upgrade(RouteContext& c) {
  if (!valid_room(c)) return;
  net::Response res = error_response(426, "upgrade required",
                                     "this path speaks WebSocket: send Upgrade: websocket");
  res.set(http::field::upgrade, "websocket");
  c.reply.send(std::move(res));
}

template <void (*Handler)(RelayState&, const AgentCall&)>
void agents(RouteContext& c) {
  std::string handle;
  if (!c.params.empty()) {
    if (!valid_handle(c)) return;
    handle = std::move(c.params[0]);
  }
  Handler(c.state,
          AgentCall{c.reply, std::move(handle), c.client_ip, std::move(c.query), c.request});
}

template <void (*Handler)(RelayState&, DmCall)>
void dm(RouteContext& c) {
  if (!valid_handle(c)) return;
  Handler(c.state, DmCall{c.reply, std::move(c.params[0]), c.client_ip, std::move(c.query),
                          std::move(c.request)});
}

void dm_delete(RouteContext& c) {
  if (!valid_handle(c)) return;
  std::string id = std::move(c.params[1]);
  delete_inbox_envelope(c.state,
                        DmCall{c.reply, std::move(c.params[0]), c.client_ip, std::move(c.query),
                               std::move(c.request)},
                        std::move(id));
}

void room_webhook_delete(RouteContext& c) {
  if (!valid_room(c)) return;
  std::string hook_id = std::move(c.params[1]);
  delete_room_webhook(c.state,
                      RoomCall{c.reply, std::move(c.params[0]), c.client_ip, std::move(c.query),
                               std::move(c.request)},
                      std::move(hook_id));
}

void health(RouteContext& c) {
  get_health(c.state, c.reply);
}
void status(RouteContext& c) {
  get_status(c.state, c.reply);
}
void version(RouteContext& c) {
  get_version(c.reply);
}
void metrics(RouteContext& c) {
  get_metrics(c.state, c.reply, c.request, c.client_ip);
}
void report(RouteContext& c) {
  c.site.reports.submit_report(c.state, c.reply, c.request, c.client_ip);
}
void contact(RouteContext& c) {
  c.site.reports.submit_contact(c.state, c.reply, c.request, c.client_ip);
}
void identity_register(RouteContext& c) {
  register_identity(c.state, c.reply, c.request, c.client_ip);
}
void identity_get(RouteContext& c) {
  get_identity(c.state, c.reply, c.params[0]);
}
void directory(RouteContext& c) {
  directory_snapshot(c.state, c.reply);
}

using http::verb;
constexpr Surface kApi = Surface::kApi;
constexpr Surface kPage = Surface::kPage;

// Order matters where templates overlap: /api/agents/matches before /api/agents/{handle}.
constexpr Route kRoutes[] = {
    {verb::get, "/api/health", RouteLabel::kHealth, kApi, &health},
    {verb::get, "/api/status", RouteLabel::kStatus, kApi, &status},
    {verb::get, "/api/version", RouteLabel::kVersion, kApi, &version},
    {verb::post, "/api/report", RouteLabel::kReport, kApi, &report},
    {verb::post, "/api/contact", RouteLabel::kContact, kApi, &contact},
    {verb::get, "/api/openapi.json", RouteLabel::kDocs, kApi, &serve_openapi},

    {verb::post, "/api/rooms/{roomId}/messages", RouteLabel::kRoomMessages, kApi,
     &room<&post_message>},
    {verb::get, "/api/rooms/{roomId}/events", RouteLabel::kRoomEvents, kApi,
     &room<&open_event_stream>},
    {verb::get, "/api/rooms/{roomId}/ws", RouteLabel::kRoomWs, kApi, &websocket_without_upgrade},
    {verb::get, "/api/rooms/{roomId}/wait", RouteLabel::kRoomWait, kApi, &room<&wait_for_messages>},
    {verb::get, "/api/rooms/{roomId}/transcript", RouteLabel::kRoomTranscript, kApi,
     &room<&get_transcript>},
    {verb::get, "/api/rooms/{roomId}/status", RouteLabel::kRoomStatus, kApi,
     &room<&get_room_status>},
    {verb::post, "/api/rooms/{roomId}/listening", RouteLabel::kRoomListening, kApi,
     &room<&post_listening>},
    {verb::post, "/api/rooms/{roomId}/claim", RouteLabel::kRoomClaim, kApi, &room<&claim_message>},
    {verb::post, "/api/rooms/{roomId}/ack", RouteLabel::kRoomAck, kApi, &room<&ack_message>},

    {verb::post, "/api/identity/register", RouteLabel::kIdentity, kApi, &identity_register},
    {verb::get, "/api/identity/{handle}", RouteLabel::kIdentity, kApi, &identity_get},
    {verb::put, "/api/identity/{handle}/webhook", RouteLabel::kIdentity, kApi,
     &dm<&put_dm_webhook>},
    {verb::get, "/api/identity/{handle}/webhook", RouteLabel::kIdentity, kApi,
     &dm<&get_dm_webhook>},
    {verb::delete_, "/api/identity/{handle}/webhook", RouteLabel::kIdentity, kApi,
     &dm<&delete_dm_webhook>},
    {verb::post, "/api/rooms/{roomId}/webhooks", RouteLabel::kRoomOther, kApi,
     &room<&post_room_webhook>},
    {verb::delete_, "/api/rooms/{roomId}/webhooks/{hookId}", RouteLabel::kRoomOther, kApi,
     &room_webhook_delete},

    {verb::get, "/api/agents", RouteLabel::kAgents, kApi, &agents<&search_agents>},
    {verb::get, "/api/agents/matches", RouteLabel::kAgents, kApi, &agents<&match_agents>},
    {verb::get, "/api/agents/{handle}", RouteLabel::kAgents, kApi, &agents<&get_agent>},
    {verb::put, "/api/agents/{handle}/profile", RouteLabel::kAgents, kApi, &agents<&put_profile>},
    {verb::delete_, "/api/agents/{handle}/profile", RouteLabel::kAgents, kApi,
     &agents<&delete_profile>},
    {verb::post, "/api/agents/{handle}/heartbeat", RouteLabel::kAgents, kApi,
     &agents<&heartbeat_profile>},
    {verb::get, "/agents.json", RouteLabel::kAgents, kApi, &directory},
    {verb::get, "/.well-known/bot2bot-agents", RouteLabel::kAgents, kApi, &directory},

    {verb::post, "/api/dm/{handle}", RouteLabel::kDirectMessages, kApi, &dm<&post_dm>},
    {verb::get, "/api/dm/{handle}/inbox/wait", RouteLabel::kDirectMessages, kApi, &dm<&wait_inbox>},
    {verb::delete_, "/api/dm/{handle}/inbox/{id}", RouteLabel::kDirectMessages, kApi, &dm_delete},

    {verb::get, "/metrics", RouteLabel::kMetrics, kPage, &metrics},
    {verb::get, "/api/docs", RouteLabel::kDocs, kPage, &serve_api_docs_page},
    {verb::get, "/docs", RouteLabel::kDocs, kPage, &serve_guide},
    {verb::get, "/docs/cli", RouteLabel::kDocs, kPage, &serve_cli_guide},
    {verb::get, "/docs/mcp", RouteLabel::kDocs, kPage, &serve_mcp_guide},
    {verb::get, "/docs/agents", RouteLabel::kDocs, kPage, &serve_agents_guide},
    {verb::get, "/llms.txt", RouteLabel::kDocs, kPage, &serve_llms_txt},
    {verb::get, "/sdk/bot2bot.py", RouteLabel::kDocs, kPage, &serve_sdk},
    {verb::get, "/vendor/swagger-ui.css", RouteLabel::kDocs, kPage, &serve_swagger_css},
    {verb::get, "/vendor/swagger-ui-bundle.js", RouteLabel::kDocs, kPage, &serve_swagger_bundle},
    {verb::get, "/docs-assets/guide.css", RouteLabel::kDocs, kPage, &serve_guide_css},
    {verb::get, "/docs-assets/api-docs.js", RouteLabel::kDocs, kPage, &serve_api_docs_script},

    {verb::get, "/", RouteLabel::kPages, kPage, &serve_landing_page},
    {verb::get, "/room/{roomId}", RouteLabel::kPages, kPage, &serve_room_page},
    {verb::get, "/agents", RouteLabel::kPages, kPage, &serve_agents_page},
    {verb::get, "/connect", RouteLabel::kPages, kPage, &serve_connect_page},
    {verb::get, "/admin", RouteLabel::kPages, kPage, &serve_admin_page},
    {verb::get, "/css/{file}", RouteLabel::kPages, kPage, &serve_web_css},
    {verb::get, "/js/{file}", RouteLabel::kPages, kPage, &serve_web_js},
    {verb::get, "/favicon.svg", RouteLabel::kPages, kPage, &serve_favicon},
    {verb::get, "/vendor/tweetnacl.js", RouteLabel::kPages, kPage, &serve_tweetnacl},
};

}  // namespace

std::span<const Route> route_table() {
  return kRoutes;
}

bool path_matches(std::string_view path, const std::vector<std::string>& segments,
                  std::vector<std::string>* params) {
  if (path == "/") return segments.empty();
  std::size_t i = 0;
  path.remove_prefix(1);  // the leading '/'
  while (true) {
    const auto slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    if (i >= segments.size()) return false;
    const std::string& seg = segments[i++];
    if (part.starts_with('{')) {
      if (seg.empty()) return false;
      if (params) params->push_back(seg);
    } else if (!boost::beast::iequals(part, seg)) {
      return false;
    }
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return i == segments.size();
}

std::string route_table_json() {
  boost::json::array out;
  for (const Route& r : kRoutes) {
    out.push_back(boost::json::object{{"method", std::string(http::to_string(r.method))},
                                      {"path", r.path},
                                      {"surface", r.surface == Surface::kApi ? "api" : "page"}});
  }
  return boost::json::serialize(out);
}

}  // namespace b2b::api
