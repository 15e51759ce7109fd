#include "api/alert_webhook.h"

#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <chrono>

namespace b2b::api {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr auto kTimeout = std::chrono::seconds(5);

// One POST: resolve, connect, write, read, all under one deadline. The stream's own timeout
// bounds connect/write/read; the timer also bounds the name lookup, which it cannot.
class WebhookCall : public std::enable_shared_from_this<WebhookCall> {
 public:
  WebhookCall(boost::asio::io_context& io, const WebhookTarget& target, std::string body,
              std::string id)
      : resolver_(io), stream_(io), deadline_(io), target_(target), id_(std::move(id)) {
    request_.method(http::verb::post);
    request_.target(target.target);
    request_.set(http::field::host, target.host_header);
    request_.set(http::field::user_agent, "bot2bot-relay");
    request_.set(http::field::content_type, "application/json");
    request_.body() = std::move(body);
    request_.prepare_payload();
  }

  void start() {
    deadline_.expires_after(kTimeout);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->resolver_.cancel();
    });
    resolver_.async_resolve(
        target_.host, target_.port,
        [self = shared_from_this()](beast::error_code ec, tcp::resolver::results_type results) {
          self->deadline_.cancel();
          if (ec) return self->fail("resolve", ec);
          self->stream_.expires_after(kTimeout);
          self->stream_.async_connect(results, [self](beast::error_code ec2, const tcp::endpoint&) {
            if (ec2) return self->fail("connect", ec2);
            self->write();
          });
        });
  }

 private:
  void write() {
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail("write", ec);
                        self->read();
                      });
  }
  void read() {
    http::async_read(stream_, buffer_, response_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->fail("read", ec);
                       beast::error_code ignored;
                       self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                       if (self->response_.result_int() >= 300) {
                         spdlog::warn("alert webhook: {} answered {}", self->id_,
                                      self->response_.result_int());
                       }
                     });
  }
  void fail(const char* step, const beast::error_code& ec) {
    spdlog::warn("alert webhook: {} failed at {}: {}", id_, step, ec.message());
  }

  tcp::resolver resolver_;
  beast::tcp_stream stream_;
  boost::asio::steady_timer deadline_;
  const WebhookTarget target_;
  const std::string id_;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response<http::string_body> response_;
};

}  // namespace

core::Result<WebhookTarget> parse_webhook_url(const std::string& url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return core::Error{"bad webhook URL", "expected http://host[:port]/path"};
  if (parsed->scheme() != "http") {
    return core::Error{"bad webhook URL", "only http:// is supported (put a TLS bridge in front)"};
  }
  if (parsed->encoded_host().empty()) return core::Error{"bad webhook URL", "the host is empty"};
  WebhookTarget t;
  t.host = parsed->host_address();
  t.port = parsed->has_port() ? std::string(parsed->port()) : "80";
  t.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) t.target += "?" + std::string(parsed->encoded_query());
  t.host_header = std::string(parsed->encoded_host_and_port());
  return t;
}

void AlertWebhook::send(std::string text, std::string severity, std::string id) {
  boost::json::object o{{"text", text}, {"severity", severity}, {"id", id}};
  auto call = std::make_shared<WebhookCall>(worker_.context(), target_, boost::json::serialize(o),
                                            std::move(id));
  worker_.post([call] { call->start(); });
}

}  // namespace b2b::api
