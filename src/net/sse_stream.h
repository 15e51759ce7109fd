// A Server-Sent Events response held open (ROOMS.md §6.2): a chunked HTTP/1.1 body to
// which events are appended as they come. Queued events go out in one gathered write, framed
// as a single chunk: deferred behind the work already queued on the thread, and while the
// stream or its shard is busy, to the shard's next flush round (FlushRounds in send_queue.h).
// A background read notices the client hanging up at once; a timer writes the keepalive
// comment.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/send_queue.h"

namespace b2b::net {

class SseStream : public std::enable_shared_from_this<SseStream> {
 public:
  SseStream(boost::asio::ip::tcp::socket socket, int64_t max_live_bytes,
            std::chrono::milliseconds keepalive);

  // `head` is the complete response head (status line and headers ending in CRLFCRLF, with
  // Transfer-Encoding: chunked). `on_closed` runs once, on this stream's executor, when the
  // connection ends for any reason.
  void start(std::string head, std::function<void()> on_closed);

  // Must be called on this stream's executor. `event` is one complete SSE event.
  PushResult push(SharedBytes event, bool counted);

  // Ends the response after what is queued: `final_comment` (e.g. ": shutting down\n\n"),
  // then the terminating chunk.
  void finish(std::string final_comment);
  // Closes the connection now, discarding what is queued (slow consumer).
  void abort();

  boost::asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  void schedule_flush();
  void write_more();
  void on_written(boost::system::error_code ec, std::size_t items);
  void read_until_eof();
  void arm_keepalive();
  void closed();

  boost::asio::ip::tcp::socket socket_;
  FlushRounds& flush_rounds_;
  boost::asio::steady_timer keepalive_timer_;
  const std::chrono::milliseconds keepalive_;
  SendQueue queue_;
  std::string head_;
  std::function<void()> on_closed_;
  std::vector<boost::asio::const_buffer> batch_;
  std::array<char, 24> chunk_header_{};
  std::array<char, 256> read_sink_{};
  core::WriteTimes writes_;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool finishing_ = false;
  bool done_ = false;
};

}  // namespace b2b::net
