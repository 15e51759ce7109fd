// RoomStream (ROOMS.md §6.2 resume rules) against a scripted SSE peer: replay then ready,
// a broken connection, a reconnect with ?after=<last seq>, duplicates dropped, a 400 that
// ends the stream, and stop() from another thread.
#include "client/room_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "scripted_server.h"

namespace b2b::client {
namespace {

using namespace std::chrono_literals;
using testing::chunk;
using testing::read_request;
using testing::ScriptedServer;
using testing::tcp;
using testing::write_all;

std::string message_event(int seq) {
  return "data: {\"type\":\"message\",\"seq\":" + std::to_string(seq) + ",\"id\":\"m" +
         std::to_string(seq) +
         "\",\"sender\":\"s\",\"sender_verified\":false,\"ciphertext\":\"AA==\","
         "\"nonce\":\"AA==\",\"ts\":1}\n\n";
}

std::string ready_event(int last_seq) {
  return "data: {\"type\":\"ready\",\"roomId\":\"ROOM1234\",\"size\":1,\"last_seq\":" +
         std::to_string(last_seq) + ",\"participants\":[]}\n\n";
}

void start_stream(tcp::socket& s) {
  write_all(s,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
}

TEST(RoomStream, ResumesAfterTheLastSeqAndDropsDuplicates) {
  std::mutex mu;
  std::vector<std::string> request_lines;
  ScriptedServer server([&](tcp::socket& s, int n) {
    std::string line = read_request(s);
    {
      std::lock_guard lock(mu);
      request_lines.push_back(line);
    }
    start_stream(s);
    if (n == 0) {
      write_all(s, chunk(message_event(1) + message_event(2) + ready_event(2)));
      return;  // the connection breaks without the final chunk
    }
    write_all(s, chunk(message_event(2) + message_event(3) + ready_event(3)));
    read_request(s);  // until the client goes away
  });
  RoomStream stream(server.endpoint(), "ROOM1234", StreamOptions{0, "w x", "", 5s, 5s});
  std::vector<int64_t> seqs;
  int disconnects = 0;
  auto r = stream.run([&](const StreamEvent& ev) {
    if (ev.kind == StreamEvent::Kind::kDisconnected) ++disconnects;
    if (ev.kind != StreamEvent::Kind::kMessage) return true;
    seqs.push_back(ev.message.seq);
    return ev.message.seq < 3;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(disconnects, 1);
  EXPECT_EQ(stream.last_seq(), 3);
  std::lock_guard lock(mu);
  ASSERT_EQ(request_lines.size(), 2u);
  EXPECT_EQ(request_lines[0], "GET /api/rooms/ROOM1234/events?name=w%20x HTTP/1.1");
  EXPECT_EQ(request_lines[1], "GET /api/rooms/ROOM1234/events?name=w%20x&after=2 HTTP/1.1");
}

TEST(RoomStream, ReadyLastSeqIsTheFloorForLiveMessages) {
  ScriptedServer server([](tcp::socket& s, int) {
    read_request(s);
    start_stream(s);
    // Nothing replayed after 10, the room's newest is 12: a late 11 is not news.
    write_all(s, chunk(ready_event(12) + message_event(11) + message_event(13)));
    read_request(s);
  });
  RoomStream stream(server.endpoint(), "ROOM1234", StreamOptions{10, "", "", 5s, 5s});
  std::vector<int64_t> seqs;
  auto r = stream.run([&](const StreamEvent& ev) {
    if (ev.kind != StreamEvent::Kind::kMessage) return true;
    seqs.push_back(ev.message.seq);
    return false;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(seqs, (std::vector<int64_t>{13}));
}

TEST(RoomStream, ABadRoomIdEndsTheStream) {
  ScriptedServer server([](tcp::socket& s, int) {
    read_request(s);
    write_all(s, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  });
  RoomStream stream(server.endpoint(), "bad!", StreamOptions{});
  auto r = stream.run([](const StreamEvent&) { return true; });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().error, "bad roomId");
}

TEST(RoomStream, StopFromAnotherThreadEndsRunPromptly) {
  ScriptedServer server([](tcp::socket& s, int) {
    read_request(s);
    start_stream(s);
    write_all(s, chunk(ready_event(0)));
    read_request(s);
  });
  RoomStream stream(server.endpoint(), "ROOM1234", StreamOptions{});
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stream.stop();
  });
  auto start = std::chrono::steady_clock::now();
  auto r = stream.run([](const StreamEvent&) { return true; });
  stopper.join();
  EXPECT_TRUE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

}  // namespace
}  // namespace b2b::client
