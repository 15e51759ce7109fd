#include "api/reply.h"

#include <spdlog/spdlog.h>
#include <boost/beast/core/string.hpp>

#include "api/responses.h"

namespace b2b::api {

namespace http = boost::beast::http;

Reply::Reply(std::shared_ptr<net::HttpSession> session, RelayState& state,
             const net::Request& request, core::RouteLabel route)
    : session_(std::move(session)),
      state_(&state),
      route_(route),
      version_(request.version()),
      keep_alive_(request.keep_alive()),
      head_(request.method() == http::verb::head),
      method_(request.method()) {}

void Reply::send(net::Response&& res) const {
  res.version(version_);
  // A handler may insist on closing (Connection: close); otherwise follow the request.
  res.keep_alive(keep_alive_ && !boost::beast::iequals(res[http::field::connection], "close"));
  if (res.find("Content-Security-Policy") == res.end()) add_security_headers(res);
  res.prepare_payload();
  if (head_) res.body().clear();  // Content-Length stays that of the GET answer (§12.9.4)

  log(res.result_int());

  if (net::ShardPool::current_shard() == session_->shard()) {
    session_->respond(std::move(res));
  } else {
    session_->post_response(std::move(res));
  }
}

void Reply::log_stream_opened() const {
  log(200);
}

void Reply::log(unsigned status) const {
  state_->metrics.count_response(route_, status);
  // §14.1/§20.12: the route label, never the raw path — no room ids, no query, no IP.
  spdlog::info("{} {} {}", http::to_string(method_), core::route_label_name(route_), status);
}

}  // namespace b2b::api
