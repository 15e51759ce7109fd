#include "client/http_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <charconv>

namespace b2b::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// A transcript page is at most 500 records of <= 128 KiB ciphertext each.
constexpr std::size_t kResponseBodyLimit = 96u << 20;
constexpr std::size_t kHeaderLimit = 64u << 10;

// Runs the io_context until every started operation finished. The tcp_stream deadlines bound
// connect/read/write; the resolver gets `timeout` through run_for.
void run_all(asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

std::optional<core::Error> open_stream(asio::io_context& ioc, const Endpoint& ep,
                                       std::optional<beast::tcp_stream>& stream,
                                       std::chrono::milliseconds timeout) {
  tcp::resolver resolver(ioc);
  error_code ec;
  tcp::resolver::results_type results;
  bool resolved = false;
  resolver.async_resolve(ep.host, ep.port, [&](error_code e, tcp::resolver::results_type r) {
    ec = e;
    results = std::move(r);
    resolved = true;
  });
  ioc.restart();
  ioc.run_for(timeout);
  if (!resolved) {
    resolver.cancel();
    run_all(ioc);
    return core::Error{"relay unreachable", "resolving " + ep.host + " timed out"};
  }
  if (ec)
    return core::Error{"relay unreachable", "cannot resolve " + ep.host + ": " + ec.message()};
  stream.emplace(ioc);
  stream->expires_after(timeout);
  stream->async_connect(results, [&](error_code e, const tcp::endpoint&) { ec = e; });
  run_all(ioc);
  if (ec) {
    stream.reset();
    return core::Error{"relay unreachable",
                       "cannot connect to " + ep.base_url() + ": " + ec.message()};
  }
  stream->socket().set_option(tcp::no_delay(true), ec);
  return std::nullopt;
}

std::optional<int> parse_retry_after(std::string_view v) {
  int n = 0;
  auto [p, err] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (err != std::errc() || p == v.data()) return std::nullopt;
  return n;
}

bool is_disconnect(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message;
}

}  // namespace

HttpClient::HttpClient(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

HttpClient::~HttpClient() {
  close();
}

void HttpClient::close() {
  if (stream_) {
    error_code ec;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_->close();
    stream_.reset();
  }
  buffer_.clear();
}

std::optional<core::Error> HttpClient::connect(std::chrono::milliseconds timeout) {
  buffer_.clear();
  return open_stream(ioc_, endpoint_, stream_, timeout);
}

core::Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  bool reused = stream_.has_value();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!stream_) {
      if (auto err = connect(request.timeout)) return *err;
      reused = false;
    }
    auto outcome = exchange(request, reused);
    if (auto* resp = std::get_if<HttpResponse>(&outcome)) return std::move(*resp);
    if (auto* err = std::get_if<core::Error>(&outcome)) return std::move(*err);
    close();  // kStaleConnection: the relay closed our idle keep-alive connection; reopen once
  }
  return core::Error{"relay unreachable", "the connection was closed twice in a row"};
}

std::variant<HttpResponse, HttpClient::Attempt, core::Error> HttpClient::exchange(
    const HttpRequest& request, bool reused) {
  http::request<http::string_body> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, endpoint_.host_header());
  req.set(http::field::user_agent, kUserAgent);
  req.set(http::field::accept, "application/json");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    req.set(http::field::content_type, "application/json");
    req.body() = request.body;
  }
  req.keep_alive(true);
  req.prepare_payload();

  error_code ec;
  stream_->expires_after(request.timeout);
  http::async_write(*stream_, req, [&](error_code e, std::size_t) { ec = e; });
  run_all(ioc_);
  if (ec) {
    if (reused && is_disconnect(ec)) return Attempt::kStaleConnection;
    close();
    if (ec == beast::error::timeout) return core::Error{"timeout", "sending the request timed out"};
    return core::Error{"relay unreachable", "sending the request failed: " + ec.message()};
  }

  http::response_parser<http::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  parser.header_limit(kHeaderLimit);
  stream_->expires_after(request.timeout);
  http::async_read(*stream_, buffer_, parser, [&](error_code e, std::size_t) { ec = e; });
  run_all(ioc_);
  if (ec) {
    bool got_some = parser.got_some();
    close();
    if (reused && !got_some && is_disconnect(ec)) return Attempt::kStaleConnection;
    if (ec == beast::error::timeout) {
      return core::Error{"timeout", "no answer from the relay within " +
                                        std::to_string(request.timeout.count() / 1000) + " s"};
    }
    return core::Error{"relay unreachable", "reading the answer failed: " + ec.message()};
  }
  auto res = parser.release();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.body = std::move(res.body());
  if (auto it = res.find(http::field::retry_after); it != res.end()) {
    out.retry_after_s = parse_retry_after(it->value());
  }
  if (!res.keep_alive()) close();
  return out;
}

SseConnection::SseConnection(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

SseConnection::~SseConnection() {
  if (stream_) {
    error_code ec;
    stream_->socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_->close();
  }
}

void SseConnection::stop() {
  stopped_.store(true);
  // Runs on the thread that drives ioc_ (inside its next or current run()), so stream_ is
  // only ever touched by that thread.
  asio::post(ioc_, [this] {
    if (stream_) stream_->cancel();
  });
}

std::optional<core::Error> SseConnection::open(const std::string& target, const Headers& headers,
                                               std::chrono::milliseconds timeout) {
  if (stopped_) return core::Error{"stopped", "the stream was stopped"};
  if (auto err = open_stream(ioc_, endpoint_, stream_, timeout)) return err;
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, endpoint_.host_header());
  req.set(http::field::user_agent, kUserAgent);
  req.set(http::field::accept, "text/event-stream");
  req.set(http::field::cache_control, "no-cache");
  for (const auto& [name, value] : headers) req.set(name, value);
  error_code ec;
  stream_->expires_after(timeout);
  http::async_write(*stream_, req, [&](error_code e, std::size_t) { ec = e; });
  run_all(ioc_);
  parser_ = std::make_unique<http::response_parser<http::buffer_body>>();
  parser_->body_limit(boost::none);  // an event stream has no end
  parser_->header_limit(kHeaderLimit);
  if (!ec) {
    stream_->expires_after(timeout);
    http::async_read_header(*stream_, buffer_, *parser_,
                            [&](error_code e, std::size_t) { ec = e; });
    run_all(ioc_);
  }
  if (stopped_) return core::Error{"stopped", "the stream was stopped"};
  if (ec)
    return core::Error{"relay unreachable", "opening the event stream failed: " + ec.message()};
  int status = static_cast<int>(parser_->get().result_int());
  if (status != 200) {
    // Drain a short error body so the message can carry the relay's own text.
    std::string body;
    for (int i = 0; i < 16 && !parser_->is_done(); ++i) {
      auto chunk = read_some(timeout);
      if (!chunk) break;
      body += chunk.value();
    }
    return core::Error{"relay answered " + std::to_string(status), body};
  }
  return std::nullopt;
}

core::Result<std::string> SseConnection::read_some(std::chrono::milliseconds idle_timeout) {
  if (stopped_) return core::Error{"stopped", "the stream was stopped"};
  if (!stream_ || !parser_ || parser_->is_done()) {
    return core::Error{"stream ended", "the relay closed the event stream"};
  }
  char tmp[16384];
  auto& body = parser_->get().body();
  body.data = tmp;
  body.size = sizeof tmp;
  error_code ec;
  stream_->expires_after(idle_timeout);
  http::async_read_some(*stream_, buffer_, *parser_, [&](error_code e, std::size_t) { ec = e; });
  run_all(ioc_);
  if (ec == http::error::need_buffer) ec = {};
  std::size_t n = sizeof tmp - body.size;
  body.data = nullptr;
  if (stopped_) return core::Error{"stopped", "the stream was stopped"};
  if (ec == beast::error::timeout) {
    return core::Error{"idle timeout", "nothing arrived on the event stream in time"};
  }
  if (ec) return core::Error{"stream ended", "the event stream broke: " + ec.message()};
  if (n == 0 && parser_->is_done()) {
    return core::Error{"stream ended", "the relay closed the event stream"};
  }
  return std::string(tmp, n);
}

}  // namespace b2b::client
