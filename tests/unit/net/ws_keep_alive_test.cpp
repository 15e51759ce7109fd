// net::WsKeepAlive through WsSession over a real loopback socket, at a 100 ms ping interval:
// a peer that answers is pinged about once per interval and stays connected; a silent one is
// pinged once, then dropped after two intervals without a byte.
#include "net/ws_keep_alive.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "net/ws_session.h"

namespace b2b::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kInterval = std::chrono::milliseconds(100);

// Runs a relay-side session (started once the upgrade is done) against `client`, which gets a
// connected, upgraded Beast stream; returns when both are done.
struct KeepAliveRun {
  int closed_calls = 0;
  Clock::duration open_for{};

  void run(const std::function<void(websocket::stream<tcp::socket>&)>& client) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    std::thread peer([&] {
      asio::io_context cio;
      websocket::stream<tcp::socket> ws(cio);
      ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      ws.handshake("127.0.0.1", "/");
      client(ws);
    });
    tcp::socket socket = acceptor.accept();
    beast::flat_buffer http_buf;
    Request request;
    beast::http::read(socket, http_buf, request);
    WsLimits limits;
    limits.ping_interval = kInterval;
    auto session = std::make_shared<WsSession>(std::move(socket), limits);
    std::weak_ptr<WsSession> weak = session;
    Clock::time_point started;
    session->accept(std::move(request), [&, weak](bool ok) {
      ASSERT_TRUE(ok);
      started = Clock::now();
      weak.lock()->start([](std::string_view) {},
                         [&] {
                           ++closed_calls;
                           open_for = Clock::now() - started;
                         });
    });
    session.reset();
    io.run();
    peer.join();
  }
};

TEST(WsKeepAlive, AnsweringPeerIsPingedEachIntervalAndStaysConnected) {
  int pings = 0;
  KeepAliveRun r;
  r.run([&](websocket::stream<tcp::socket>& ws) {
    ws.control_callback([&](websocket::frame_type kind, beast::string_view) {
      if (kind == websocket::frame_type::ping) ++pings;
    });
    // Reading answers the pings (Beast sends the pongs); 7 intervals, then a normal close.
    auto& cio = static_cast<asio::io_context&>(ws.get_executor().context());
    beast::flat_buffer buf;
    ws.async_read(buf, [](boost::system::error_code, std::size_t) {});
    cio.run_for(7 * kInterval);
    ws.async_close(websocket::close_code::normal, [](boost::system::error_code) {});
    cio.run_for(std::chrono::seconds(2));
  });
  EXPECT_GE(pings, 4);
  EXPECT_LE(pings, 8);
  EXPECT_EQ(r.closed_calls, 1);
  EXPECT_GE(r.open_for, 7 * kInterval);  // closed by the client, not as silent
}

TEST(WsKeepAlive, SilentPeerIsPingedOnceThenDroppedAfterTwoIntervals) {
  std::string bytes;
  KeepAliveRun r;
  r.run([&](websocket::stream<tcp::socket>& ws) {
    // Never reads through Beast, so never answers; afterwards takes what arrived raw.
    std::this_thread::sleep_for(5 * kInterval);
    boost::system::error_code ec;
    char chunk[64];
    while (!ec) {
      const std::size_t n = ws.next_layer().read_some(asio::buffer(chunk), ec);
      bytes.append(chunk, n);
    }
  });
  EXPECT_EQ(r.closed_calls, 1);
  EXPECT_GE(r.open_for, 2 * kInterval);
  EXPECT_LT(r.open_for, 4 * kInterval);
  EXPECT_EQ(bytes, std::string("\x89\x00", 2));  // one empty ping, then the end
}

}  // namespace
}  // namespace b2b::net
