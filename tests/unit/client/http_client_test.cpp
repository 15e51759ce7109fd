// HttpClient and SseConnection against a scripted loopback server (plain Asio sockets, one
// thread): keep-alive reuse, a transparent reopen after the server closed an idle connection,
// statuses as values, timeouts, chunked event streams and stop() from another thread.
#include "client/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include "client/sse_parser.h"
#include "scripted_server.h"

namespace b2b::client {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using testing::chunk;
using testing::read_request;
using testing::response;
using testing::ScriptedServer;
using testing::write_all;

TEST(HttpClient, ReusesTheConnectionAndReopensOneTheServerClosed) {
  std::atomic<int> requests{0};
  ScriptedServer server([&](tcp::socket& s, int n) {
    int per_connection = n == 0 ? 2 : 1;  // the first connection is closed after 2 answers
    for (int i = 0; i < per_connection; ++i) {
      if (read_request(s).empty()) return;
      ++requests;
      write_all(s,
                response("200 OK", "{\"n\":" + std::to_string(n) + "," + std::to_string(i) + "}"));
    }
  });
  HttpClient client(server.endpoint());
  std::vector<std::string> bodies;
  for (int i = 0; i < 3; ++i) {
    auto r = client.send(HttpRequest{"GET", "/x", "", {}, 5s});
    ASSERT_TRUE(r.ok()) << r.error().error << ": " << r.error().detail;
    EXPECT_EQ(r.value().status, 200);
    bodies.push_back(r.value().body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"{\"n\":0,0}", "{\"n\":0,1}", "{\"n\":1,0}"}));
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(requests.load(), 3);
}

TEST(HttpClient, ErrorStatusesAreAnswersAndSilenceIsATimeout) {
  ScriptedServer server([](tcp::socket& s, int n) {
    if (read_request(s).empty()) return;
    if (n == 0) {
      write_all(s, response("429 Too Many Requests", "{\"error\":\"rate limited\"}",
                            "Retry-After: 3\r\n"));
      read_request(s);  // then stay silent on the same connection until the client gives up
      read_request(s);
    }
  });
  HttpClient client(server.endpoint());
  auto r = client.send(HttpRequest{"POST", "/y", "{}", {}, 5s});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().status, 429);
  EXPECT_FALSE(r.value().ok());
  EXPECT_EQ(r.value().retry_after_s, 3);
  auto silent = client.send(HttpRequest{"GET", "/z", "", {}, 300ms});
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().error, "timeout");
}

TEST(HttpClient, NobodyListeningIsUnreachable) {
  Endpoint nowhere;
  {
    asio::io_context ioc;
    tcp::acceptor a(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    nowhere = Endpoint{"127.0.0.1", std::to_string(a.local_endpoint().port()), "", false};
  }
  HttpClient client(nowhere);
  auto r = client.send(HttpRequest{"GET", "/", "", {}, 2s});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, "relay unreachable");
}

TEST(SseConnection, ReadsChunkedEventsSplitAnywhereAndStopsFromAnotherThread) {
  ScriptedServer server([](tcp::socket& s, int) {
    if (read_request(s).empty()) return;
    write_all(s,
              "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
              "Transfer-Encoding: chunked\r\n\r\n");
    // One event split over three chunks, the next one in the same chunk as a keepalive.
    for (const char* part :
         {"data: {", "\"a\":1", "}\n\n: keepalive\n\ndata: {\"b\":2}", "\n", "\n"}) {
      write_all(s, chunk(part));
      std::this_thread::sleep_for(20ms);
    }
    read_request(s);  // then nothing, until the client goes away
  });
  SseConnection conn(server.endpoint());
  ASSERT_FALSE(conn.open("/events", {}, 5s).has_value());
  SseParser parser;
  std::vector<std::string> events;
  while (events.size() < 2) {
    auto chunk = conn.read_some(5s);
    ASSERT_TRUE(chunk.ok()) << chunk.error().detail;
    for (auto& e : parser.feed(chunk.value())) events.push_back(e.data);
  }
  EXPECT_EQ(events, (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
  EXPECT_EQ(parser.comments(), 1u);

  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    conn.stop();
  });
  auto start = std::chrono::steady_clock::now();
  auto blocked = conn.read_some(10s);
  stopper.join();
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().error, "stopped");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(SseConnection, ANon200AnswerCarriesTheRelaysText) {
  ScriptedServer server([](tcp::socket& s, int) {
    if (read_request(s).empty()) return;
    write_all(s, response("429 Too Many Requests",
                          "{\"error\":\"too many concurrent streams from this IP\"}"));
  });
  SseConnection conn(server.endpoint());
  auto err = conn.open("/events", {}, 5s);
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->error, "relay answered 429");
  EXPECT_NE(err->detail.find("too many concurrent streams"), std::string::npos);
}

}  // namespace
}  // namespace b2b::client
