// A WebSocket connection (ROOMS.md §6.3) over Beast: one read loop handing text to the
// api, one write in flight with a bounded queue behind it, protocol pings for liveness
// (§20.15: every client answers them, so dead peers leave presence; sent by the event
// loop's WsKeepAlive rather than a timer per session).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_types.h"
#include "net/send_queue.h"
#include "net/write_coalescing_stream.h"

namespace b2b::net {

struct WsLimits {
  int64_t max_live_bytes = 8'388'608;
  std::size_t max_message_bytes = 262'144;
  std::chrono::milliseconds ping_interval{30'000};
};

class WsSession : public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::asio::ip::tcp::socket socket, const WsLimits& limits);

  // Completes the upgrade for `request`; `on_accepted(true)` once the 101 is written.
  void accept(Request request, std::function<void(bool)> on_accepted);
  // Starts the read loop. `on_message` gets every text/binary message; `on_closed` runs
  // once when the connection ends.
  void start(std::function<void(std::string_view)> on_message, std::function<void()> on_closed);

  // Must be called on this session's executor. `json` is one text message.
  PushResult push(SharedBytes json, bool counted);
  // Sends a close frame with `code` after what is queued.
  void close(boost::beast::websocket::close_code code);
  // Drops the connection now (slow consumer).
  void abort();

  boost::asio::any_io_executor executor() { return ws_.get_executor(); }

 private:
  friend class WsKeepAlive;
  // From this loop's WsKeepAlive sweep: pings or closes a silent peer; false once ended.
  bool keep_alive(int64_t now_ms);
  void read_next();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void write_next();
  void closed();

  // Writes are batched per socket (write_coalescing_stream.h): a fan-out burst costs one
  // syscall per subscriber, not one per message. No permessage-deflate (ROOMS.md §6.3), so
  // the stream is built without its state.
  boost::beast::websocket::stream<WriteCoalescingStream, false> ws_;
  // An idle session waits for the next message with only these few bytes: small client
  // frames fit; a larger message continues in `message_`, which holds no memory between
  // messages (a std::string rather than a flat_buffer: 16 bytes less per session).
  std::array<char, 48> idle_read_bytes_;
  std::string message_;
  SendQueue queue_;
  std::function<void(std::string_view)> on_message_;
  std::function<void()> on_closed_;
  // Liveness (ws_keep_alive.h): when the peer last sent a byte, when we last pinged it.
  const std::chrono::milliseconds ping_interval_;
  int64_t heard_ms_ = 0;
  int64_t pinged_ms_ = 0;
  boost::beast::websocket::close_code close_code_ = boost::beast::websocket::close_code::normal;
  bool writing_ = false;
  bool closing_ = false;
  bool done_ = false;
};

}  // namespace b2b::net
