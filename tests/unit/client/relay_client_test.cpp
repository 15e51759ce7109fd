// RelayClient's retry policy (like the reference SDK): a room post retries 5xx/429 with the
// very same body; claim never retries; relay errors carry the relay's own text.
#include "client/relay_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "scripted_server.h"

namespace b2b::client {
namespace {

using testing::response;
using testing::ScriptedServer;
using testing::tcp;
using testing::write_all;

// Reads one whole request (head + Content-Length body) and returns it.
std::string read_whole_request(tcp::socket& s) {
  boost::asio::streambuf buf;
  boost::system::error_code ec;
  std::size_t head = boost::asio::read_until(s, buf, "\r\n\r\n", ec);
  if (ec) return "";
  std::string all(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
  std::size_t len = 0;
  if (auto p = all.find("Content-Length: "); p != std::string::npos && p < head) {
    len = std::stoul(all.substr(p + 16));
  }
  while (all.size() < head + len) {
    char tmp[4096];
    std::size_t n = s.read_some(boost::asio::buffer(tmp), ec);
    if (ec) break;
    all.append(tmp, n);
  }
  return all;
}

std::string body_of(const std::string& request) {
  return request.substr(request.find("\r\n\r\n") + 4);
}

TEST(RelayClient, RoomPostRetriesServerErrorsWithTheSameBody) {
  std::mutex mu;
  std::vector<std::string> requests;
  ScriptedServer server([&](tcp::socket& s, int) {
    for (int i = 0;; ++i) {
      std::string req = read_whole_request(s);
      if (req.empty()) return;
      {
        std::lock_guard lock(mu);
        requests.push_back(req);
      }
      if (i == 0) {
        write_all(s, response("503 Service Unavailable", "{\"error\":\"room cap reached\"}",
                              "Retry-After: 0\r\n"));
      } else if (i == 1) {
        write_all(s, response("429 Too Many Requests", "{\"error\":\"rate limited\"}",
                              "Retry-After: 0\r\n"));
      } else {
        write_all(s, response("200 OK", "{\"ok\":true,\"id\":\"abc\",\"seq\":42}"));
      }
    }
  });
  RelayClient relay(server.endpoint());
  auto id = ClientIdentity::generate("poster");
  PostOptions options;
  options.sender = "me";
  options.sign_as = &id;
  auto posted = relay.post_sealed("ROOM1234", SealedText{"AAAA", "BBBB"}, options);
  ASSERT_TRUE(posted.ok()) << posted.error().detail;
  EXPECT_EQ(posted.value().seq, 42);
  EXPECT_EQ(relay.last_status(), 200);
  std::lock_guard lock(mu);
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(body_of(requests[0]), body_of(requests[1]));  // same signed nonce, same bytes
  EXPECT_EQ(body_of(requests[0]), body_of(requests[2]));
  EXPECT_NE(body_of(requests[0]).find("\"sender_nonce\""), std::string::npos);
  EXPECT_EQ(requests[0].rfind("POST /api/rooms/ROOM1234/messages HTTP/1.1", 0), 0u);
}

TEST(RelayClient, ClaimIsNeverRetriedAndErrorsCarryTheRelaysText) {
  std::atomic<int> count{0};
  ScriptedServer server([&](tcp::socket& s, int) {
    for (;;) {
      std::string req = read_whole_request(s);
      if (req.empty()) return;
      ++count;
      EXPECT_NE(req.find("Authorization: Bot2Bot ts="), std::string::npos);
      write_all(s, response("503 Service Unavailable", "{\"error\":\"try later\"}",
                            "Retry-After: 0\r\n"));
    }
  });
  RelayClient relay(server.endpoint());
  auto id = ClientIdentity::generate("worker");
  auto claimed = relay.claim("ROOM1234", id, {"me"}, 1);
  ASSERT_FALSE(claimed.ok());
  EXPECT_EQ(claimed.error().error, "try later");
  EXPECT_NE(claimed.error().detail.find("HTTP 503"), std::string::npos);
  EXPECT_EQ(relay.last_status(), 503);
  EXPECT_EQ(count.load(), 1);
}

}  // namespace
}  // namespace b2b::client
