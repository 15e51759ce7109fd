// net::SseStream's write path over a real loopback socket. A stream first offers its batch to
// the socket and only waits (an async write) for what the socket did not take, so the bytes a
// client reads must be the exact chunked body — head, one chunk per batch, the last chunk —
// whether the socket took everything at once or a small send buffer cut batches anywhere.
#include "net/sse_stream.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace b2b::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr std::string_view kHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

// Decodes a chunked body; fails the test on a malformed chunk.
std::string dechunk(std::string_view body, bool& saw_last_chunk) {
  std::string out;
  saw_last_chunk = false;
  while (!body.empty()) {
    const auto eol = body.find("\r\n");
    EXPECT_NE(eol, std::string_view::npos) << "chunk size line without CRLF";
    if (eol == std::string_view::npos) return out;
    const std::size_t size = std::stoul(std::string(body.substr(0, eol)), nullptr, 16);
    body.remove_prefix(eol + 2);
    if (size == 0) {
      EXPECT_EQ(body, "\r\n");
      saw_last_chunk = true;
      return out;
    }
    EXPECT_GE(body.size(), size + 2);
    out.append(body.substr(0, size));
    EXPECT_EQ(body.substr(size, 2), "\r\n");
    body.remove_prefix(size + 2);
  }
  return out;
}

struct StreamRun {
  std::string response;  // everything the client read, until the server closed
  int closed_calls = 0;

  // Pushes `events` (uncounted, like a replay) before the loop runs, then finishes the
  // stream. With `small_buffers` the client waits before reading, so the socket can only take
  // part of a batch and the rest must wait for it to drain.
  void run(const std::vector<std::string>& events, bool small_buffers) {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    const auto port = acceptor.local_endpoint().port();
    std::thread client([&] {
      asio::io_context cio;
      tcp::socket s(cio, tcp::v4());
      if (small_buffers) s.set_option(asio::socket_base::receive_buffer_size(4096));
      s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      if (small_buffers) std::this_thread::sleep_for(std::chrono::milliseconds(200));
      boost::system::error_code ec;
      std::string buf(65536, '\0');
      for (;;) {
        const std::size_t n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        response.append(buf.data(), n);
      }
    });
    tcp::socket socket = acceptor.accept();
    if (small_buffers) socket.set_option(asio::socket_base::send_buffer_size(4096));
    auto stream = std::make_shared<SseStream>(std::move(socket), 1 << 30, std::chrono::seconds(60));
    stream->start(std::string(kHead), [this] { ++closed_calls; });
    for (const std::string& e : events) {
      EXPECT_EQ(stream->push(SharedBytes::copy_of(e), /*counted=*/false), PushResult::kQueued);
    }
    stream->finish(": bye\n\n");
    io.run_for(std::chrono::seconds(20));
    client.join();
  }
};

std::vector<std::string> numbered_events(std::size_t count, std::size_t pad) {
  std::vector<std::string> events;
  for (std::size_t i = 0; i < count; ++i) {
    events.push_back("data: {\"seq\":" + std::to_string(i) + ",\"pad\":\"" + std::string(pad, 'x') +
                     "\"}\n\n");
  }
  return events;
}

void expect_body(const StreamRun& r, const std::vector<std::string>& events) {
  ASSERT_GE(r.response.size(), kHead.size());
  EXPECT_EQ(r.response.substr(0, kHead.size()), kHead);
  bool last = false;
  std::string expected;
  for (const std::string& e : events) expected += e;
  expected += ": bye\n\n";
  const std::string body = dechunk(std::string_view(r.response).substr(kHead.size()), last);
  EXPECT_TRUE(last) << "the response must end with the last chunk";
  EXPECT_EQ(body.size(), expected.size());
  EXPECT_TRUE(body == expected) << "events out of order, lost or repeated";
  EXPECT_EQ(r.closed_calls, 1);
}

TEST(SseStream, ASocketWithRoomTakesEveryBatchAsOneChunkedBody) {
  const auto events = numbered_events(50, 20);
  StreamRun r;
  r.run(events, /*small_buffers=*/false);
  expect_body(r, events);
}

TEST(SseStream, BatchesTheSocketCutAnywhereArriveWholeAndInOrder) {
  // ~2 MiB through 4 KiB buffers: nearly every write is taken in part.
  const auto events = numbered_events(4000, 500);
  StreamRun r;
  r.run(events, /*small_buffers=*/true);
  expect_body(r, events);
}

}  // namespace
}  // namespace b2b::net
