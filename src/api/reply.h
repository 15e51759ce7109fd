// The answer side of one request: whoever holds a Reply (a handler, a parked waiter on
// another shard) finishes the request with send(). It applies what every response gets —
// site headers, HEAD semantics, keep-alive, the access log line and the status counters —
// and hops to the connection's shard.
#pragma once

#include <memory>

#include "api/relay_state.h"
#include "core/metrics.h"
#include "net/http_session.h"

namespace b2b::api {

class Reply {
 public:
  Reply(std::shared_ptr<net::HttpSession> session, RelayState& state, const net::Request& request,
        core::RouteLabel route);

  // From any thread; call once.
  void send(net::Response&& response) const;
  // The request became a stream (SSE): count and log its 200 without sending a Response.
  void log_stream_opened() const;

  const std::shared_ptr<net::HttpSession>& session() const { return session_; }
  core::RouteLabel route() const { return route_; }

 private:
  void log(unsigned status) const;

  std::shared_ptr<net::HttpSession> session_;
  RelayState* state_;
  core::RouteLabel route_;
  unsigned version_;
  bool keep_alive_;
  bool head_;
  net::http::verb method_;
};

}  // namespace b2b::api
