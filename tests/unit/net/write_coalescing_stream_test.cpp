// net::WriteCoalescingStream under Beast's websocket::stream, over a real loopback socket:
// messages written one by one arrive whole and in order, and a close handshake drains what was
// queued before it — also when small socket buffers make the socket take batches in part.
#include "net/write_coalescing_stream.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace b2b::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string text_of(int i, std::size_t size) {
  std::string t = "message " + std::to_string(i);
  if (t.size() < size) t.append(size - t.size(), 'x');
  return t;
}

// Writes `count` messages of about `size` bytes and closes; the client reads them all. With
// `small_buffers` the client reads only after a pause, through 4 KiB socket buffers.
void exchange(int count, std::size_t size, bool small_buffers) {
  const int kMessages = count;
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();

  std::vector<std::string> received;
  std::string close_reason_seen;
  std::thread client([&] {
    asio::io_context cio;
    websocket::stream<tcp::socket> ws(cio);
    if (small_buffers) {
      ws.next_layer().open(tcp::v4());
      ws.next_layer().set_option(asio::socket_base::receive_buffer_size(4096));
    }
    ws.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    ws.handshake("127.0.0.1", "/");
    if (small_buffers) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    beast::flat_buffer buf;
    boost::system::error_code ec;
    while (!ec) {
      ws.read(buf, ec);
      if (!ec) received.push_back(beast::buffers_to_string(buf.data()));
      buf.consume(buf.size());
    }
    if (ec == websocket::error::closed) close_reason_seen = ws.reason().reason.c_str();
  });

  tcp::socket accepted = acceptor.accept();
  if (small_buffers) accepted.set_option(asio::socket_base::send_buffer_size(4096));
  auto server = std::make_shared<websocket::stream<WriteCoalescingStream>>(std::move(accepted));
  // Writes are chained from completion handlers, as WsSession does; all queued before the
  // event loop runs, so they coalesce.
  auto next = std::make_shared<int>(0);
  auto texts = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < kMessages; ++i) texts->push_back(text_of(i, size));
  std::function<void()> write_next = [&, server, next, texts] {
    if (*next == kMessages) {
      server->async_close(websocket::close_reason(websocket::close_code::normal, "done"),
                          [](boost::system::error_code) {});
      return;
    }
    server->async_write(asio::buffer((*texts)[static_cast<std::size_t>((*next)++)]),
                        [&](boost::system::error_code ec, std::size_t) {
                          ASSERT_FALSE(ec) << ec.message();
                          write_next();
                        });
  };
  auto sink = std::make_shared<beast::flat_buffer>();
  server->async_accept([&, server, sink](boost::system::error_code ec) {
    ASSERT_FALSE(ec) << ec.message();
    write_next();
    // Keep reading so Beast sees the client's close reply.
    server->async_read(*sink, [sink, server](boost::system::error_code, std::size_t) {});
  });
  io.run();
  client.join();

  ASSERT_EQ(received.size(), static_cast<std::size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(received[i], text_of(i, size));
  EXPECT_EQ(close_reason_seen, "done");
}

TEST(WriteCoalescingStream, WebSocketMessagesArriveInOrderAndCloseDrainsTheQueue) {
  exchange(500, 0, /*small_buffers=*/false);
}

TEST(WriteCoalescingStream, BatchesTheSocketTakesInPartArriveWholeAndInOrder) {
  // ~2 MiB through 4 KiB buffers: batches are cut anywhere, and the writers wait above the
  // high-water mark.
  exchange(2000, 1000, /*small_buffers=*/true);
}

}  // namespace
}  // namespace b2b::net
