#include "api/webhook_http.h"

#include <openssl/ssl.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>

#include <memory>

#include "core/webhook_policy.h"

namespace b2b::api {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::size_t kResponseBodyLimit = 64 * 1024;

core::Error unreachable(const char* step, const beast::error_code& ec) {
  return core::Error{"webhook unreachable", std::string(step) + ": " + ec.message()};
}

// One request on `Stream` (a tcp_stream, or an ssl_stream over one). The timer bounds the
// whole call, name lookup included, by closing the socket when it fires.
template <class Stream>
class HookCall : public std::enable_shared_from_this<HookCall<Stream>> {
 public:
  template <class... StreamArgs>
  HookCall(const HookClient& client, HookUrl url, HookRequest req, HookDone done,
           StreamArgs&&... stream_args)
      : resolver_(client.io),
        stream_(std::forward<StreamArgs>(stream_args)...),
        deadline_(client.io),
        url_(std::move(url)),
        allow_private_(client.allow_private),
        done_(std::move(done)) {
    request_.method(req.post ? http::verb::post : http::verb::get);
    request_.target(req.target);
    request_.set(http::field::host, url_.host_header);
    request_.set(http::field::user_agent, "bot2bot-relay-webhook");
    for (auto& [name, value] : req.headers) request_.set(name, value);
    if (req.post) {
      request_.set(http::field::content_type, "application/json");
      request_.body() = std::move(req.body);
    }
    request_.prepare_payload();
    parser_.body_limit(kResponseBodyLimit);
  }

  void start(std::chrono::milliseconds timeout) {
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return;
      self->timed_out_ = true;
      self->resolver_.cancel();
      beast::get_lowest_layer(self->stream_).cancel();
    });
    // An address literal needs no lookup (and no trip through the resolver's thread).
    beast::error_code literal_ec;
    const auto literal = boost::asio::ip::make_address(url_.host, literal_ec);
    if (!literal_ec) return connect({tcp::endpoint(literal, port_number())});
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type rs) {
          if (ec) return self->finish(unreachable("resolve", ec));
          std::vector<tcp::endpoint> candidates;
          for (const auto& entry : rs) candidates.push_back(entry.endpoint());
          self->connect(std::move(candidates));
        });
  }

 private:
  unsigned short port_number() const {
    return static_cast<unsigned short>(std::stoul(url_.port));  // checked by parse_hook_url
  }

  void connect(std::vector<tcp::endpoint> candidates) {
    std::vector<tcp::endpoint> allowed;
    for (const auto& endpoint : candidates) {
      if (core::webhook_address_allowed(endpoint.address(), allow_private_)) {
        allowed.push_back(endpoint);
      }
    }
    if (allowed.empty()) {
      return finish(core::Error{
          "webhook address refused",
          url_.host + " resolves only to loopback, private, link-local or reserved addresses"});
    }
    beast::get_lowest_layer(stream_).async_connect(
        allowed, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->finish(unreachable("connect", ec));
          self->handshake();
        });
  }

  void handshake() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      write();
    } else {
      if (!SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
        return finish(core::Error{"webhook unreachable", "TLS: cannot set SNI"});
      }
      stream_.set_verify_callback(ssl::host_name_verification(url_.host));
      stream_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->finish(unreachable("TLS handshake", ec));
                                self->write();
                              });
    }
  }

  void write() {
    http::async_write(stream_, request_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->finish(unreachable("write", ec));
                        self->read();
                      });
  }

  void read() {
    http::async_read(stream_, buffer_, parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       if (ec) return self->finish(unreachable("read", ec));
                       auto& res = self->parser_.get();
                       self->finish(HookResponse{res.result_int(), std::move(res.body())});
                     });
  }

  void finish(core::Result<HookResponse> result) {
    if (!done_) return;
    deadline_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
    if (!result && timed_out_) result = core::Error{"webhook unreachable", "timed out"};
    auto done = std::move(done_);
    done_ = nullptr;
    done(std::move(result));
  }

  tcp::resolver resolver_;
  Stream stream_;
  boost::asio::steady_timer deadline_;
  const HookUrl url_;
  const bool allow_private_;
  HookDone done_;
  bool timed_out_ = false;
  http::request<http::string_body> request_;
  beast::flat_buffer buffer_;
  http::response_parser<http::string_body> parser_;
};

}  // namespace

core::Result<HookUrl> parse_hook_url(const std::string& url, bool allow_private) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return core::Error{"bad webhook URL", "expected https://host[:port]/path"};
  HookUrl out;
  if (parsed->scheme() == "https") {
    out.tls = true;
  } else if (parsed->scheme() != "http") {
    return core::Error{"bad webhook URL", "the scheme must be https"};
  } else if (!allow_private) {
    return core::Error{"bad webhook URL",
                       "plain http:// is refused (the relay allows it only with "
                       "--webhook-allow-private)"};
  }
  if (parsed->has_userinfo()) {
    return core::Error{"bad webhook URL", "credentials in the URL are not allowed"};
  }
  if (parsed->encoded_host().empty()) return core::Error{"bad webhook URL", "the host is empty"};
  if (parsed->has_fragment()) return core::Error{"bad webhook URL", "fragments are not allowed"};
  out.host = parsed->host_address();
  out.port = parsed->has_port() ? std::string(parsed->port()) : (out.tls ? "443" : "80");
  if (out.port.empty() || out.port.size() > 5 || std::stoul(out.port) == 0 ||
      std::stoul(out.port) > 65535) {
    return core::Error{"bad webhook URL", "the port must be 1-65535"};
  }
  out.target = parsed->encoded_path().empty() ? "/" : std::string(parsed->encoded_path());
  if (parsed->has_query()) out.target += "?" + std::string(parsed->encoded_query());
  out.host_header = std::string(parsed->encoded_host_and_port());
  return out;
}

void send_hook_request(const HookClient& client, const HookUrl& url, HookRequest request,
                       std::chrono::milliseconds timeout, HookDone done) {
  if (url.tls) {
    auto call = std::make_shared<HookCall<beast::ssl_stream<beast::tcp_stream>>>(
        client, url, std::move(request), std::move(done), client.io, client.tls);
    call->start(timeout);
  } else {
    auto call = std::make_shared<HookCall<beast::tcp_stream>>(client, url, std::move(request),
                                                              std::move(done), client.io);
    call->start(timeout);
  }
}

}  // namespace b2b::api
