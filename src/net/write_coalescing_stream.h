// The layer between Beast's websocket::stream and the TCP stream of a WebSocket session.
// Beast writes every WebSocket message (and every control frame) with writes of its own, so a
// busy room's fan-out cost one send syscall — and one loopback/NIC transmit — per message per
// subscriber. This layer copies what Beast writes into one buffer and hands the socket
// everything accumulated in one write, issued once the writes queued behind it on this thread
// have run (DESIGN.md principle 2: serialize once, send many; here: send in batches) — and
// while the connection or its shard is busy, in the shard's next flush round (FlushRounds in
// send_queue.h), so each write carries everything that arrived in the meantime.
//
// Ordering is preserved for every byte Beast writes (messages, pings, pongs, close frames),
// since all of them pass through the same buffer. A write completes at once while fewer than
// kHighWaterBytes wait; beyond that it completes when the socket has taken the batch, so the
// session's own send-queue bound still finds slow consumers. Beast's teardown (after a close
// frame) waits for the buffer to drain before the socket is shut down.
//
// Everything runs on the session's executor (one shard thread), like the stream above it.
//
// The layer sits directly on the socket, not on a beast::tcp_stream: sessions never use its
// timeouts (WsKeepAlive's pings find dead peers), and an idle connection would pay for its
// shared state with two timers (~0.5 KiB) and for an extra operation layer in the pending read.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "net/send_queue.h"

namespace b2b::net {

class WriteCoalescingStream {
 public:
  // The socket is bound to its shard's io_context executor itself, not to the type-erased
  // any_io_executor: every operation layer of the read an idle session keeps pending (and
  // Beast's ping timer wait) stores the executor, 8 bytes instead of 56 each.
  using executor_type = boost::asio::io_context::executor_type;
  using next_layer_type = boost::asio::basic_stream_socket<boost::asio::ip::tcp, executor_type>;
  using error_code = boost::system::error_code;
  static constexpr std::size_t kHighWaterBytes = 64 * 1024;

  // `socket` must belong to an io_context (the shards' sockets do).
  explicit WriteCoalescingStream(boost::asio::ip::tcp::socket socket)
      : next_(rebind(std::move(socket))),
        state_(std::make_shared<State>()),
        flush_rounds_(FlushRounds::of(next_.get_executor())) {}
  ~WriteCoalescingStream() { state_->alive = false; }
  WriteCoalescingStream(const WriteCoalescingStream&) = delete;
  WriteCoalescingStream& operator=(const WriteCoalescingStream&) = delete;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    return next_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    return boost::asio::async_initiate<Handler, void(error_code, std::size_t)>(
        [this](auto h, const ConstBuffers& b) { this->accept_write(b, std::move(h)); }, handler,
        buffers);
  }

  // SyncWriteStream, for messages handed over while has_room(): the bytes join the batch at
  // once (no socket call, no completion to queue), so a session can give Beast its whole
  // queue in one turn. Never blocks, hence the caller's has_room() check.
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, error_code& ec) {
    ec = state_->error;
    if (ec) return 0;
    const std::size_t n = append(buffers);
    schedule_flush();
    return n;
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    error_code ec;
    const std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  // SyncReadStream (Beast asks for a complete sync stream; the session only reads async).
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, error_code& ec) {
    return next_.read_some(buffers, ec);
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    return next_.read_some(buffers);
  }
  // Below the high-water mark: a write now would complete at once.
  bool has_room() const {
    return !state_->error && state_->pending.size() + state_->sending.size() < kHighWaterBytes;
  }

  // Calls `done` on this executor once every accepted byte has been handed to the socket
  // (or the socket failed).
  template <class Handler>
  void async_wait_drained(Handler done) {
    wait_drained(erase<void(error_code)>(std::move(done)));
  }

 private:
  struct State {
    std::vector<char> pending;  // accepted, not yet handed to the socket
    std::vector<char> sending;  // the batch being written
    bool writing = false;
    bool flush_posted = false;
    bool appended_since_post = false;
    bool alive = true;
    core::WriteTimes writes;
    error_code error;
    // Completions that wait for the socket: only under backpressure or while closing, so an
    // idle connection keeps a null pointer rather than two empty std::functions (~80 bytes).
    struct Waiters {
      std::optional<std::pair<std::function<void(error_code, std::size_t)>, std::size_t>>
          blocked_writer;
      std::function<void(error_code)> on_drained;
    };
    std::unique_ptr<Waiters> waiters;
    Waiters& waiting() {
      if (!waiters) waiters = std::make_unique<Waiters>();
      return *waiters;
    }
  };

  // Stores a move-only completion handler in a std::function (asio's any_completion_handler
  // recurses when moved in Boost 1.81).
  template <class Signature, class Handler>
  static std::function<Signature> erase(Handler handler) {
    auto held = std::make_shared<Handler>(std::move(handler));
    return [held](auto... args) { std::move (*held)(args...); };
  }

  template <class ConstBuffers, class Handler>
  void accept_write(const ConstBuffers& buffers, Handler handler) {
    State& st = *state_;
    const std::size_t n = boost::asio::buffer_size(buffers);
    if (st.error) return complete(std::move(handler), st.error, 0);
    append(buffers);
    schedule_flush();
    if (st.pending.size() + st.sending.size() <= kHighWaterBytes) {
      return complete(std::move(handler), error_code{}, n);
    }
    // Resumed when a batch is written.
    st.waiting().blocked_writer.emplace(erase<void(error_code, std::size_t)>(std::move(handler)),
                                        n);
  }

  template <class ConstBuffers>
  std::size_t append(const ConstBuffers& buffers) {
    std::vector<char>& pending = state_->pending;
    const std::size_t n = boost::asio::buffer_size(buffers);
    const std::size_t old = pending.size();
    pending.resize(old + n);
    boost::asio::buffer_copy(boost::asio::buffer(pending.data() + old, n), buffers);
    return n;
  }

  template <class Handler, class... Args>
  void complete(Handler handler, Args... args) {
    // Every handler here belongs to this shard's single-threaded executor.
    boost::asio::post(get_executor(),
                      [h = std::move(handler), args...]() mutable { std::move(h)(args...); });
  }

  static next_layer_type rebind(boost::asio::ip::tcp::socket socket);
  void wait_drained(std::function<void(error_code)> done);
  void schedule_flush();
  void flush();
  void on_batch_written(error_code ec);

  next_layer_type next_;
  std::shared_ptr<State> state_;
  FlushRounds& flush_rounds_;
};

// Beast closes a WebSocket with a teardown of the layer under it: drain first, then shut the
// socket down as Beast does for a plain socket.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, WriteCoalescingStream& stream,
                    TeardownHandler&& handler) {
  stream.async_wait_drained([&stream, role, h = std::forward<TeardownHandler>(handler)](
                                boost::system::error_code) mutable {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, stream.next_layer(), std::move(h));
  });
}

inline void teardown(boost::beast::role_type role, WriteCoalescingStream& stream,
                     boost::system::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

}  // namespace b2b::net
