#include "net/http_session.h"

#include <sys/socket.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "net/net_stats.h"
#include "net/request_guard.h"

namespace b2b::net {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

HttpSession::HttpSession(tcp::socket socket, HttpHandler& handler, const HttpLimits& limits,
                         std::size_t shard, ConnectionSlot slot, std::string peer_address)
    : stream_(std::move(socket)),
      handler_(handler),
      limits_(limits),
      shard_(shard),
      slot_(std::move(slot)),
      peer_address_(std::move(peer_address)) {
  boost::system::error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  NetStats::http_sessions.fetch_add(1, std::memory_order_relaxed);
}

HttpSession::~HttpSession() {
  NetStats::http_sessions.fetch_sub(1, std::memory_order_relaxed);
}

void HttpSession::start() {
  // Run the first read from the session's own executor.
  boost::asio::dispatch(stream_.get_executor(),
                        [self = shared_from_this()] { self->read_header(); });
}

void HttpSession::read_header() {
  parser_.emplace();
  parser_->header_limit(limits_.header_limit);
  parser_->body_limit(limits_.body_limit);
  if (buffer_.size() > 0) return read_rest_of_header();  // a pipelined request is waiting
  // Idle between requests for up to the keep-alive timeout; a new connection gets only the
  // header timeout to start its first request (§13.6).
  const int idle_s = requests_ == 0 ? limits_.header_timeout_s : limits_.keepalive_timeout_s;
  stream_.expires_after(std::chrono::seconds(idle_s));
  stream_.async_read_some(buffer_.prepare(4096),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            if (ec) return self->close();  // idle timeout, or the client left
                            self->buffer_.commit(n);
                            self->read_rest_of_header();
                          });
}

void HttpSession::read_rest_of_header() {
  // From the first byte on, the whole head must arrive within the header timeout, however
  // slowly it trickles in: a slowloris client is cut off, and never blocks other sessions.
  stream_.expires_after(std::chrono::seconds(limits_.header_timeout_s));
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec == http::error::header_limit) return fail_parse(ParseFailure::kHeadersTooLarge);
  if (ec == http::error::body_limit) return fail_parse(ParseFailure::kBodyTooLarge);
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
      ec == boost::asio::error::operation_aborted) {
    return close();
  }
  if (ec) return fail_parse(ParseFailure::kBadRequest);
  ++requests_;
  if (auto refused = check_request_head(parser_->get().base(), limits_)) {
    return fail_parse(*refused);
  }

  // curl and others wait for this before sending a body larger than 1 KiB.
  const auto& req = parser_->get();
  if (!parser_->is_done() && beast::iequals(req[http::field::expect], "100-continue")) {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    boost::system::error_code wec;
    boost::asio::write(stream_.socket(), boost::asio::buffer(kContinue), wec);
  }
  if (parser_->is_done()) return on_body({});
  stream_.expires_after(std::chrono::seconds(limits_.header_timeout_s));  // the body's turn
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void HttpSession::on_body(beast::error_code ec) {
  if (ec == http::error::body_limit) return fail_parse(ParseFailure::kBodyTooLarge);
  if (ec == beast::error::timeout || ec == boost::asio::error::eof ||
      ec == http::error::end_of_stream || ec == boost::asio::error::connection_reset) {
    return close();
  }
  if (ec) return fail_parse(ParseFailure::kBadRequest);
  stream_.expires_never();  // SSE and long-poll answers may take as long as they need
  awaiting_response_ = true;
  handler_.handle(shared_from_this(), parser_->release());
}

void HttpSession::fail_parse(ParseFailure failure) {
  std::string target;
  if (parser_ && parser_->is_header_done()) target = std::string(parser_->get().target());
  Response res = handler_.parse_failure_response(failure, target);
  res.keep_alive(false);  // the stream position is unknown after a refused request
  awaiting_response_ = true;
  respond(std::move(res));
}

void HttpSession::respond(Response&& response) {
  if (!awaiting_response_ || detached_) return;
  awaiting_response_ = false;
  on_abort_ = nullptr;
  boost::system::error_code ec;
  stream_.socket().cancel(ec);  // stops a disconnect watch, if any
  response_ = std::make_shared<Response>(std::move(response));
  const bool keep_alive = response_->keep_alive();
  stream_.expires_after(std::chrono::seconds(limits_.keepalive_timeout_s));
  http::async_write(stream_, *response_,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                      self->on_write(ec, keep_alive);
                    });
}

void HttpSession::post_response(Response&& response) {
  boost::asio::post(stream_.get_executor(),
                    [self = shared_from_this(), r = std::move(response)]() mutable {
                      self->respond(std::move(r));
                    });
}

void HttpSession::on_write(beast::error_code ec, bool keep_alive) {
  response_.reset();
  if (ec || !keep_alive) return close();
  read_header();
}

void HttpSession::watch_for_disconnect(std::function<void()> on_abort) {
  if (!awaiting_response_ || detached_) return;  // answered before the watch was armed
  on_abort_ = std::move(on_abort);
  stream_.socket().async_wait(
      tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
        if (!self->awaiting_response_ || !self->on_abort_) return;
        if (!ec) {
          char c;
          ssize_t n =
              ::recv(self->stream_.socket().native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n > 0) return;  // a pipelined request: it waits in the socket for its turn
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return self->watch_for_disconnect(std::move(self->on_abort_));
          }
        } else if (ec == boost::asio::error::operation_aborted) {
          return;
        }
        auto abort = std::move(self->on_abort_);
        self->on_abort_ = nullptr;
        self->awaiting_response_ = false;
        abort();
        self->close();
      });
}

DetachedSocket HttpSession::detach() {
  detached_ = true;
  awaiting_response_ = false;
  slot_.release();
  stream_.expires_never();
  return DetachedSocket{stream_.release_socket(), std::move(buffer_)};
}

void HttpSession::close() {
  if (detached_) return;
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream_.socket().close(ec);
}

}  // namespace b2b::net
