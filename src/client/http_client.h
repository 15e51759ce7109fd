// A small synchronous HTTP/1.1 client on Boost.Beast for one relay endpoint.
//
// API:
//   HttpClient client(endpoint);
//   core::Result<HttpResponse> r = client.send({.method = "POST", .target = "/api/...",
//                                               .body = json, .timeout = 30s});
//   - keeps one keep-alive connection and reuses it; a reused connection the relay closed in
//     the meantime is reopened once, transparently (only when no response byte was read);
//   - every step (resolve, connect, write, read) is bounded by `timeout`;
//   - a non-2xx answer is NOT an error here: the caller reads `status` and `body`.
//     Errors are transport failures only ("connection failed", "timeout", ...).
//   Not thread-safe: use one HttpClient per thread.
//
//   SseConnection: one streaming GET (text/event-stream) on its own connection.
//     open(target, headers, timeout) -> status check; read_some(idle_timeout) returns the next
//     decoded body bytes (chunked encoding handled by Beast), or an error on end of stream,
//     idle timeout or stop(). stop() may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "client/endpoint.h"
#include "core/result.h"

namespace b2b::client {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";  // upper case
  std::string target;          // path + query, as it goes on the request line (prefix included)
  std::string body;            // sent with Content-Type: application/json when non-empty
  Headers headers;
  std::chrono::milliseconds timeout{30000};
};

struct HttpResponse {
  int status = 0;
  std::string body;
  std::optional<int> retry_after_s;  // Retry-After in seconds, when sent
  bool ok() const { return status >= 200 && status < 300; }
};

class HttpClient {
 public:
  explicit HttpClient(Endpoint endpoint);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  core::Result<HttpResponse> send(const HttpRequest& request);
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  enum class Attempt { kDone, kStaleConnection };
  std::optional<core::Error> connect(std::chrono::milliseconds timeout);
  std::variant<HttpResponse, Attempt, core::Error> exchange(const HttpRequest& request,
                                                            bool reused);
  void close();

  Endpoint endpoint_;
  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

class SseConnection {
 public:
  explicit SseConnection(Endpoint endpoint);
  ~SseConnection();
  SseConnection(const SseConnection&) = delete;
  SseConnection& operator=(const SseConnection&) = delete;

  // Connects and sends `GET target` with Accept: text/event-stream. A non-200 answer is an
  // error whose detail holds the status and the relay's body.
  std::optional<core::Error> open(const std::string& target, const Headers& headers,
                                  std::chrono::milliseconds timeout);
  // Next body bytes; error "stream ended", "idle timeout" or "stopped".
  core::Result<std::string> read_some(std::chrono::milliseconds idle_timeout);
  // Thread-safe: makes a blocked open/read_some return "stopped" promptly, and every later one.
  void stop();
  bool stopped() const { return stopped_.load(); }

 private:
  Endpoint endpoint_;
  boost::asio::io_context ioc_;
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  std::unique_ptr<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser_;
  std::atomic<bool> stopped_{false};
};

// Standard headers every request of ours carries (User-Agent).
inline constexpr const char* kUserAgent = "bot2bot-cli/0.1 (agent)";

}  // namespace b2b::client
