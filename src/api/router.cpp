#include "api/router.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>

#include <string>
#include <vector>

#include "api/responses.h"
#include "api/room_routes.h"
#include "api/route_table.h"
#include "core/client_ip.h"
#include "core/text_rules.h"

namespace b2b::api {

namespace http = boost::beast::http;
using boost::beast::iequals;
using core::RouteLabel;

namespace {

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

void append_allowed(std::string& allow, http::verb route) {
  if (!allow.empty()) allow += ",";
  allow += route == http::verb::get ? "GET,HEAD" : std::string(http::to_string(route));
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

  // The first route whose path and method fit wins; paths that fit only with another
  // method are remembered for OPTIONS and the counters' label.
  Query query(parsed->params());  // before the request moves: `parsed` views its target
  std::string allow;
  std::optional<RouteLabel> path_label;
  std::vector<std::string> params;
  for (const Route& route : route_table()) {
    params.clear();
    if (!path_matches(route.path, segs, &params)) continue;
    if (!method_matches(route.method, method)) {
      append_allowed(allow, route.method);
      if (!path_label) path_label = route.label;
      continue;
    }
    Reply reply(session, state_, req, route.label);
    RouteContext ctx{
        state_,           site_, std::move(reply), std::move(req), std::move(params), client_ip,
        std::move(query), is_api};
    return route.handler(ctx);
  }

  RouteLabel label = is_api ? RouteLabel::kOtherApi : RouteLabel::kPages;
  if (path_label) {
    label = *path_label;
  } else if (segs.size() >= 3 && iequals(segs[0], "api") && iequals(segs[1], "rooms")) {
    label = RouteLabel::kRoomOther;
  }
  Reply reply(session, state_, req, label);
  if (!allow.empty() && method == http::verb::options) {  // §13.4: the framework's answer
    net::Response res{http::status::ok, 11};
    res.set(http::field::allow, allow);
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.body() = allow;
    return reply.send(std::move(res));
  }
  const std::string path(parsed->encoded_path());  // the request never moved on this path
  if (is_api) {
    return reply.send(error_response(
        404, "not found", "no route for " + std::string(http::to_string(method)) + " " + path));
  }
  reply.send(html_not_found(http::to_string(method), path));
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
    case net::ParseFailure::kRequestLineTooLong:
      res = error_response(414, "uri too long", "the request line is too long");
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
