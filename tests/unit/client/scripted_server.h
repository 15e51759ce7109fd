// A scripted loopback HTTP peer for the client tests: plain blocking Asio sockets, one
// connection at a time, each handed to a test-supplied function.
#pragma once

#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "client/endpoint.h"

namespace b2b::client::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Accepts connections one after another and hands each to `serve` on its own thread.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::function<void(tcp::socket&, int)> serve)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        serve_(std::move(serve)) {
    thread_ = std::thread([this] {
      for (int n = 0;; ++n) {
        tcp::socket s(ioc_);
        boost::system::error_code ec;
        acceptor_.accept(s, ec);
        if (ec || stopping_) return;
        ++accepted_;
        serve_(s, n);
      }
    });
  }
  ~ScriptedServer() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  Endpoint endpoint() const {
    return Endpoint{"127.0.0.1", std::to_string(acceptor_.local_endpoint().port()), "", false};
  }
  int accepted() const { return accepted_; }

 private:
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::function<void(tcp::socket&, int)> serve_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Reads one request head; returns its request line ("" when the peer closed).
inline std::string read_request(tcp::socket& s) {
  asio::streambuf buf;
  boost::system::error_code ec;
  asio::read_until(s, buf, "\r\n\r\n", ec);
  if (ec) return "";
  std::string head(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
  return head.substr(0, head.find("\r\n"));
}

inline void write_all(tcp::socket& s, const std::string& text) {
  boost::system::error_code ec;
  asio::write(s, asio::buffer(text), ec);
}

inline std::string response(const std::string& status_line, const std::string& body,
                            const std::string& extra_headers = "") {
  return "HTTP/1.1 " + status_line + "\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

inline std::string chunk(const std::string& part) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", part.size());
  return std::string(size) + "\r\n" + part + "\r\n";
}

}  // namespace b2b::client::testing
