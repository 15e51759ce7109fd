#include "api/router.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include <string>
#include <vector>

#include "api/agents_routes.h"
#include "api/dm_routes.h"
#include "api/generic_routes.h"
#include "api/identity_routes.h"
#include "api/responses.h"
#include "api/room_routes.h"
#include "core/client_ip.h"
#include "core/text_rules.h"
#include "identity/handles.h"

namespace b2b::api {

namespace http = boost::beast::http;
using boost::beast::iequals;
using core::RouteLabel;

namespace {

struct RoomAction {
  std::string_view name;
  http::verb method;
  RouteLabel label;
  void (*handler)(RelayState&, RoomCall);
};

constexpr RoomAction kRoomActions[] = {
    {"messages", http::verb::post, RouteLabel::kRoomMessages, &post_message},
    {"events", http::verb::get, RouteLabel::kRoomEvents, &open_event_stream},
    {"wait", http::verb::get, RouteLabel::kRoomWait, &wait_for_messages},
    {"transcript", http::verb::get, RouteLabel::kRoomTranscript, &get_transcript},
    {"status", http::verb::get, RouteLabel::kRoomStatus, &get_room_status},
    {"listening", http::verb::post, RouteLabel::kRoomListening, &post_listening},
    {"claim", http::verb::post, RouteLabel::kRoomClaim, &claim_message},
    {"ack", http::verb::post, RouteLabel::kRoomAck, &ack_message},
};

// §6.3: the upgrade path is matched raw — not decoded, case-sensitive, no trailing slash.
std::optional<std::string> websocket_room(std::string_view target) {
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  constexpr std::string_view kPrefix = "/api/rooms/", kSuffix = "/ws";
  if (target.size() <= kPrefix.size() + kSuffix.size() || !target.starts_with(kPrefix) ||
      !target.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::string_view id =
      target.substr(kPrefix.size(), target.size() - kPrefix.size() - kSuffix.size());
  if (!core::is_valid_room_id(id)) return std::nullopt;
  return std::string(id);
}

bool method_matches(http::verb route, http::verb asked) {
  return asked == route || (route == http::verb::get && asked == http::verb::head);
}

std::string allow_header(http::verb route) {
  return route == http::verb::get ? "GET,HEAD" : std::string(http::to_string(route));
}

}  // namespace

void Router::handle(const std::shared_ptr<net::HttpSession>& session, net::Request&& req) {
  const std::string client_ip =
      core::client_ip(session->peer_address(), req["X-Forwarded-For"], state_.trusted_proxies);

  if (boost::beast::websocket::is_upgrade(req)) {
    if (auto room_id = websocket_room(req.target())) {
      if (req[http::field::sec_websocket_key].empty()) {  // §6.3: a malformed handshake
        Reply reply(session, state_, req, RouteLabel::kRoomWs);
        net::Response res = error_response(400, "bad request", "Sec-WebSocket-Key is missing");
        res.keep_alive(false);
        return reply.send(std::move(res));
      }
      return upgrade_websocket(state_, session, std::move(req), std::move(*room_id), client_ip);
    }
    session->detach();  // §6.3: any other upgrade is dropped without an answer
    return;
  }

  auto parsed = boost::urls::parse_origin_form(req.target());
  const bool is_api = req.target().size() >= 4 && iequals(req.target().substr(0, 4), "/api");
  if (!parsed) {
    Reply reply(session, state_, req, is_api ? RouteLabel::kOtherApi : RouteLabel::kPages);
    return reply.send(error_response(400, "bad request", "malformed request target"));
  }
  std::vector<std::string> segs;
  for (auto s : parsed->segments()) segs.emplace_back(s);
  if (!segs.empty() && segs.back().empty()) segs.pop_back();  // optional trailing slash
  const http::verb method = req.method();

  auto finish_unmatched = [&](RouteLabel label, std::optional<http::verb> route_method) {
    Reply reply(session, state_, req, label);
    if (route_method && method == http::verb::options) {
      net::Response res{http::status::ok, 11};
      res.set(http::field::allow, allow_header(*route_method));
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = allow_header(*route_method);
      return reply.send(std::move(res));
    }
    const std::string path(parsed->encoded_path());
    if (is_api) {
      return reply.send(error_response(
          404, "not found", "no route for " + std::string(http::to_string(method)) + " " + path));
    }
    reply.send(html_not_found(http::to_string(method), path));
  };

  // /api/rooms/{id}/{action}
  if (segs.size() == 4 && iequals(segs[0], "api") && iequals(segs[1], "rooms")) {
    for (const RoomAction& a : kRoomActions) {
      if (!iequals(segs[3], a.name)) continue;
      if (!method_matches(a.method, method)) return finish_unmatched(a.label, a.method);
      Reply reply(session, state_, req, a.label);
      if (!core::is_valid_room_id(segs[2])) {
        return reply.send(
            error_response(400, "bad roomId", "room ids are 4-64 chars of [A-Za-z0-9_-]"));
      }
      RoomCall call{reply, std::move(segs[2]), client_ip, Query(parsed->params()), std::move(req)};
      return a.handler(state_, std::move(call));
    }
    return finish_unmatched(RouteLabel::kRoomOther, std::nullopt);
  }

  if (segs.size() == 2 && iequals(segs[0], "api")) {
    struct Generic {
      std::string_view name;
      RouteLabel label;
    };
    static constexpr Generic kGeneric[] = {{"health", RouteLabel::kHealth},
                                           {"status", RouteLabel::kStatus},
                                           {"version", RouteLabel::kVersion}};
    for (const Generic& g : kGeneric) {
      if (!iequals(segs[1], g.name)) continue;
      if (!method_matches(http::verb::get, method))
        return finish_unmatched(g.label, http::verb::get);
      Reply reply(session, state_, req, g.label);
      if (g.label == RouteLabel::kHealth) return get_health(state_, reply);
      if (g.label == RouteLabel::kStatus) return get_status(state_, reply);
      return get_version(reply);
    }
  }

  // IDENTITY.md §2: /api/identity/register and /api/identity/{handle}
  if (segs.size() == 3 && iequals(segs[0], "api") && iequals(segs[1], "identity")) {
    if (iequals(segs[2], "register") && method == http::verb::post) {
      return register_identity(state_, Reply(session, state_, req, RouteLabel::kIdentity), req,
                               client_ip);
    }
    if (!method_matches(http::verb::get, method)) {
      return finish_unmatched(RouteLabel::kIdentity, http::verb::get);
    }
    return get_identity(state_, Reply(session, state_, req, RouteLabel::kIdentity), segs[2]);
  }

  // IDENTITY.md §3.10: the directory snapshot under two names.
  if ((segs.size() == 1 && iequals(segs[0], "agents.json")) ||
      (segs.size() == 2 && iequals(segs[0], ".well-known") && iequals(segs[1], "bot2bot-agents"))) {
    if (!method_matches(http::verb::get, method))
      return finish_unmatched(RouteLabel::kAgents, http::verb::get);
    return directory_snapshot(state_, Reply(session, state_, req, RouteLabel::kAgents));
  }

  // IDENTITY.md §3: /api/agents, /api/agents/matches, /api/agents/{handle}[/profile|/heartbeat]
  if (segs.size() >= 2 && segs.size() <= 4 && iequals(segs[0], "api") &&
      iequals(segs[1], "agents")) {
    Reply reply(session, state_, req, RouteLabel::kAgents);
    AgentCall call{reply, "", client_ip, Query(parsed->params()), req};
    const bool get = method_matches(http::verb::get, method);
    if (segs.size() == 2)
      return get ? search_agents(state_, call)
                 : finish_unmatched(RouteLabel::kAgents, http::verb::get);
    if (segs.size() == 3 && iequals(segs[2], "matches")) {  // before /:handle (§1.2)
      return get ? match_agents(state_, call)
                 : finish_unmatched(RouteLabel::kAgents, http::verb::get);
    }
    using Handler = void (*)(RelayState&, const AgentCall&);
    Handler h = nullptr;
    if (segs.size() == 3 && get) h = &get_agent;
    if (segs.size() == 4 && iequals(segs[3], "profile") && method == http::verb::put)
      h = &put_profile;
    if (segs.size() == 4 && iequals(segs[3], "profile") && method == http::verb::delete_)
      h = &delete_profile;
    if (segs.size() == 4 && iequals(segs[3], "heartbeat") && method == http::verb::post)
      h = &heartbeat_profile;
    if (!h) return finish_unmatched(RouteLabel::kAgents, std::nullopt);
    call.handle = identity::normalize_handle(segs[2]);
    if (!identity::is_valid_handle(call.handle)) {
      return reply.send(error_response(400, "invalid handle",
                                       "handles match " + std::string(identity::kHandleRegexText)));
    }
    return h(state_, call);
  }

  // IDENTITY.md §4: /api/dm/{handle}[/inbox/wait | /inbox/{id}]
  if (segs.size() >= 3 && iequals(segs[0], "api") && iequals(segs[1], "dm")) {
    const bool post = segs.size() == 3;
    const bool inbox = segs.size() == 5 && iequals(segs[3], "inbox");
    const bool wait = inbox && iequals(segs[4], "wait") && method_matches(http::verb::get, method);
    const bool del = inbox && method == http::verb::delete_;
    if (!(post && method == http::verb::post) && !wait && !del) {
      return finish_unmatched(RouteLabel::kDirectMessages, std::nullopt);
    }
    Reply reply(session, state_, req, RouteLabel::kDirectMessages);
    std::string handle = identity::normalize_handle(segs[2]);
    if (!identity::is_valid_handle(handle)) {
      return reply.send(error_response(400, "invalid handle",
                                       "handles match " + std::string(identity::kHandleRegexText)));
    }
    DmCall call{reply, std::move(handle), client_ip, Query(parsed->params()), std::move(req)};
    if (post) return post_dm(state_, std::move(call));
    if (wait) return wait_inbox(state_, std::move(call));
    return delete_inbox_envelope(state_, std::move(call), std::move(segs[4]));
  }

  if (segs.size() == 1 && iequals(segs[0], "metrics")) {
    if (!method_matches(http::verb::get, method))
      return finish_unmatched(RouteLabel::kMetrics, http::verb::get);
    return get_metrics(state_, Reply(session, state_, req, RouteLabel::kMetrics), req, client_ip);
  }

  finish_unmatched(is_api ? RouteLabel::kOtherApi : RouteLabel::kPages, std::nullopt);
}

net::Response Router::parse_failure_response(net::ParseFailure failure, const std::string& target) {
  (void)target;
  net::Response res;
  switch (failure) {
    case net::ParseFailure::kBodyTooLarge:
      res = error_response(
          413, "request entity too large",
          "bodies are limited to " + std::to_string(state_.limits.body_limit_bytes) + " bytes");
      break;
    case net::ParseFailure::kHeadersTooLarge:
      res = error_response(431, "request header fields too large", "headers are too large");
      break;
    case net::ParseFailure::kBadRequest:
      res = error_response(400, "bad request", "the request could not be parsed as HTTP/1.1");
      break;
  }
  add_security_headers(res);
  res.prepare_payload();
  core::RouteLabel label = core::RouteLabel::kOtherApi;
  state_.metrics.count_response(label, res.result_int());
  return res;
}

}  // namespace b2b::api
