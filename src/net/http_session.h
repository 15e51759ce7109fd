// One HTTP/1.1 connection: reads a request, hands it to the handler, writes the answer,
// repeats (pipelined requests are answered in order because the next one is only parsed
// after the previous answer is written). Every parser gets explicit header and body
// limits (STYLE.md, Beast server-flex); request_guard.h adds the request-line, header-count
// and framing checks. A request's head, then its body, must each arrive within the header
// timeout; between requests the connection may idle for the keep-alive timeout.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "net/connection_limiter.h"
#include "net/http_types.h"

namespace b2b::net {

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // `slot` is this connection's unit of its address's connection cap, held until the
  // session ends or detaches. `peer_address` is the client's IP as the listener saw it
  // (behind the TLS tunnel, `socket` is a unix socket with no address of its own).
  HttpSession(boost::asio::ip::tcp::socket socket, HttpHandler& handler, const HttpLimits& limits,
              std::size_t shard, ConnectionSlot slot, std::string peer_address);
  ~HttpSession();

  void start();

  // Must run on this session's shard. Writes the response, then reads the next request
  // (or closes, per keep-alive).
  void respond(Response&& response);
  // From any thread: hops to the session's shard, then responds.
  void post_response(Response&& response);

  // While an answer is pending (long-poll), notice the client hanging up: `on_abort` runs
  // on this shard at most once, and never after respond().
  void watch_for_disconnect(std::function<void()> on_abort);

  // Gives up the connection for a stream. The session is finished afterwards. The
  // connection-cap slot is returned: streams have their own per-IP cap.
  DetachedSocket detach();

  const std::string& peer_address() const { return peer_address_; }
  std::size_t shard() const { return shard_; }
  boost::asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  void read_header();
  void read_rest_of_header();
  void on_header(boost::beast::error_code ec);
  void on_body(boost::beast::error_code ec);
  void fail_parse(ParseFailure failure);
  void on_write(boost::beast::error_code ec, bool keep_alive);
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Response> response_;
  HttpHandler& handler_;
  const HttpLimits& limits_;
  const std::size_t shard_;
  ConnectionSlot slot_;
  std::string peer_address_;
  std::function<void()> on_abort_;
  std::size_t requests_ = 0;  // heads read on this connection
  bool awaiting_response_ = false;
  bool detached_ = false;
};

}  // namespace b2b::net
