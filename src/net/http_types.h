// The types the transport hands upward, and the one interface it calls. The transport
// parses bytes into requests and writes responses; what a request means is the api's job.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace b2b::net {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

class HttpSession;

// A socket taken out of its HTTP session to become a stream (SSE or WebSocket), with any
// bytes already read past the request.
struct DetachedSocket {
  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer leftover;
};

// Transport-level failures the api renders (JSON on /api/*, §20.21).
enum class ParseFailure { kBadRequest, kBodyTooLarge, kHeadersTooLarge, kRequestLineTooLong };

struct HttpLimits {
  std::uint64_t body_limit = 196'608;
  std::uint32_t header_limit = 16 * 1024;     // request line + header fields, bytes (431)
  std::size_t request_line_limit = 8 * 1024;  // bytes (414)
  std::size_t header_count_limit = 100;       // fields (431)
  int keepalive_timeout_s = 120;              // §13.6: idle time allowed between requests
  // From a request's first byte (or from accept) to its complete head, and again for its
  // body: a slow sender (slowloris) loses the connection after this long.
  int header_timeout_s = 20;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // Called on the session's shard. The handler answers through session->respond(), now or
  // later (from any thread via HttpSession::post_response), or detaches the socket.
  virtual void handle(const std::shared_ptr<HttpSession>& session, Request&& request) = 0;
  // A response for a request the parser refused. `target` is empty if unknown.
  virtual Response parse_failure_response(ParseFailure failure, const std::string& target) = 0;
};

}  // namespace b2b::net
