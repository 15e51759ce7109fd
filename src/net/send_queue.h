// A per-connection outbound queue with a byte bound (STYLE.md: "one write in flight,
// everything else queued" — and, unlike Beast's chat example, bounded). Entries reference
// immutable shared buffers, so a fan-out to N connections copies no payload bytes. Also the
// shard's flush rounds, which decide when a queue is written to its socket.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/flush_pacer.h"

namespace b2b::net {

// Bytes kept alive by `owner` (typically a rendered event shared by many queues).
struct SharedBytes {
  std::shared_ptr<const void> owner;
  std::string_view bytes;

  static SharedBytes copy_of(std::string_view s) {
    auto owned = std::make_shared<const std::string>(s);
    return SharedBytes{owned, *owned};
  }
};

// What happened to a push; the caller must act on kOverLimit (drop the consumer).
enum class PushResult { kQueued, kOverLimit, kClosed };

class SendQueue {
 public:
  explicit SendQueue(int64_t max_live_bytes) : max_live_bytes_(max_live_bytes) {}

  // `counted` entries are live traffic and count towards the bound; uncounted ones (a
  // connect-time replay, §20.15a) are only paced by the socket.
  PushResult push(SharedBytes bytes, bool counted);
  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }
  int64_t live_bytes() const { return live_bytes_; }

  // Buffers for one gathered write of up to `max_items` entries / about `max_bytes`.
  std::size_t front_batch(std::vector<boost::asio::const_buffer>& out, std::size_t max_items,
                          std::size_t max_bytes) const;
  void pop(std::size_t n);
  void close() { closed_ = true; }
  bool closed() const { return closed_; }

 private:
  struct Item {
    SharedBytes bytes;
    bool counted;
  };
  // A vector read from `head_` rather than a std::deque: libstdc++'s deque allocates ~600
  // bytes even when empty, and most connections are idle with nothing queued. The storage is
  // released whenever the queue drains.
  std::vector<Item> items_;
  std::size_t head_ = 0;
  int64_t live_bytes_ = 0;
  const int64_t max_live_bytes_;
  bool closed_ = false;
};

// One per event loop (an asio service of the shard's io_context): runs core::FlushPacer's
// rounds. A stream about to write its queue asks defer(); when that says no, the stream writes
// as it always did (one queue hop), otherwise `flush` runs in the shard's next round together
// with every other stream that waited for it. Only the loop's own thread may call it.
class FlushRounds : public boost::asio::execution_context::service {
 public:
  static boost::asio::execution_context::id id;
  // One round per millisecond at most: under load a subscriber gets at most ~1,000 writes/s,
  // and the added latency stays far below the 50 ms of issue 6's p99 bound.
  static constexpr int64_t kIntervalNs = 1'000'000;

  explicit FlushRounds(boost::asio::execution_context& context);
  static FlushRounds& of(const boost::asio::any_io_executor& executor);
  static int64_t now_ns();

  // `writes`: when the asking stream wrote lately.
  // True: `flush` was queued for the next round. False: write now; `flush` was not kept.
  bool defer(const core::WriteTimes& writes, std::function<void()>& flush);

 private:
  void shutdown() override;
  void run_round();

  core::FlushPacer pacer_{kIntervalNs};
  boost::asio::any_io_executor executor_;
  std::optional<boost::asio::steady_timer> timer_;
  std::vector<std::function<void()>> pending_;
  std::vector<std::function<void()>> running_;  // kept to reuse its capacity
};

}  // namespace b2b::net
