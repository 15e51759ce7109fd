// Following a room's SSE stream forever (ROOMS.md §6.2, CLIENT-PROTOCOL.md §4.1 `stream()`),
// resuming through disconnects without gaps or duplicates.
//
// API:
//   RoomStream stream(endpoint, room_id, StreamOptions{.after = 0, .name = "me"});
//   auto r = stream.run([&](const StreamEvent& ev) { ...; return true; });  // false = stop
//   stream.stop();        // thread-safe; run() returns promptly with ok
//   stream.last_seq();    // the resume point (highest seq delivered or ready.last_seq floor)
// Rules: connects with ?name=&box_pub=[&after=<last>] (after only when > 0); delivers every
// `message` with seq > last and raises last to it; on `ready` raises last to ready.last_seq
// (the replay is over); reconnects on any break, idle timeout (no byte for idle_timeout,
// relay keepalive is 15 s) or `error` event, with backoff min(15, 0.5·2^min(n,5) + 0.1·n) s,
// reset after each `ready`. A 400 (bad room id) ends run() with an error: retrying cannot help.
// Events other than message/ready reach the callback as kOther with the raw JSON; connection
// changes arrive as kConnected / kDisconnected (with `error` text) for status displays.
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <variant>

#include "client/endpoint.h"
#include "client/http_client.h"
#include "client/relay_types.h"
#include "core/result.h"

namespace b2b::client {

struct StreamOptions {
  int64_t after = 0;
  std::string name;     // presence name (optional)
  std::string box_pub;  // presence box_pub, unpadded base64url (optional)
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds connect_timeout{10000};
};

struct StreamEvent {
  enum class Kind { kMessage, kReady, kOther, kConnected, kDisconnected };
  Kind kind = Kind::kOther;
  RoomMessage message;      // kMessage
  int64_t last_seq = 0;     // kReady: the relay's newest seq
  boost::json::object raw;  // kMessage, kReady, kOther: the event as sent
  std::string error;        // kDisconnected: why
};

class RoomStream {
 public:
  RoomStream(Endpoint endpoint, std::string room_id, StreamOptions options);
  core::Result<std::monostate> run(const std::function<bool(const StreamEvent&)>& on_event);
  void stop();
  int64_t last_seq() const { return last_seq_.load(); }

 private:
  std::string target() const;
  // One connection: false when the callback asked to stop.
  bool follow(SseConnection& conn, const std::function<bool(const StreamEvent&)>& on_event,
              std::string& why, bool& saw_ready);
  void sleep_backoff(int attempt);

  Endpoint endpoint_;
  std::string room_id_;
  StreamOptions options_;
  std::atomic<int64_t> last_seq_;
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  SseConnection* current_ = nullptr;  // guarded by mu_
};

}  // namespace b2b::client
