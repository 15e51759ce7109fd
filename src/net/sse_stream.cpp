#include "net/sse_stream.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>

#include "net/write_without_waiting.h"

namespace b2b::net {

using tcp = boost::asio::ip::tcp;

namespace {
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";
constexpr std::string_view kKeepalive = ": keepalive\n\n";
constexpr std::size_t kMaxBatchItems = 256;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;
}  // namespace

SseStream::SseStream(tcp::socket socket, int64_t max_live_bytes,
                     std::chrono::milliseconds keepalive)
    : socket_(std::move(socket)),
      flush_rounds_(FlushRounds::of(socket_.get_executor())),
      keepalive_timer_(socket_.get_executor()),
      keepalive_(keepalive),
      queue_(max_live_bytes) {
  boost::system::error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);  // write_more() tries the socket before an async write
}

void SseStream::start(std::string head, std::function<void()> on_closed) {
  head_ = std::move(head);
  on_closed_ = std::move(on_closed);
  read_until_eof();
  arm_keepalive();
  write_more();
}

PushResult SseStream::push(SharedBytes event, bool counted) {
  if (done_ || finishing_) return PushResult::kClosed;
  PushResult r = queue_.push(std::move(event), counted);
  if (r == PushResult::kQueued) schedule_flush();
  return r;
}

// The write is deferred to a handler queued behind the work already waiting on this
// thread: when a busy room fans out post after post, each subscriber then gets one gathered
// write for all of them instead of one syscall per event; an idle room pays one queue hop.
// Under load the write waits for the shard's flush round instead (at most one per interval).
void SseStream::schedule_flush() {
  if (writing_ || flush_scheduled_) return;
  flush_scheduled_ = true;
  std::function<void()> flush = [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->write_more();
  };
  if (flush_rounds_.defer(writes_, flush)) return;
  boost::asio::post(socket_.get_executor(), std::move(flush));
}

void SseStream::write_more() {
  if (writing_ || done_) return;
  batch_.clear();
  if (!head_.empty()) batch_.emplace_back(head_.data(), head_.size());
  batch_.emplace_back();  // placeholder for the chunk-size line
  const std::size_t first_item = batch_.size();
  const std::size_t items = queue_.front_batch(batch_, kMaxBatchItems, kMaxBatchBytes);
  if (items > 0) {
    std::size_t bytes = 0;
    for (std::size_t i = first_item; i < batch_.size(); ++i) bytes += batch_[i].size();
    int n = std::snprintf(chunk_header_.data(), chunk_header_.size(), "%zx\r\n", bytes);
    batch_[first_item - 1] =
        boost::asio::const_buffer(chunk_header_.data(), static_cast<std::size_t>(n));
    batch_.emplace_back(kCrlf.data(), kCrlf.size());
  } else {
    batch_.pop_back();
    if (finishing_) {
      batch_.emplace_back(kLastChunk.data(), kLastChunk.size());
    } else if (head_.empty()) {
      return;  // nothing to write
    }
  }
  writing_ = true;
  writes_.wrote(FlushRounds::now_ns());
  // Only what the socket does not take now waits in an async write.
  boost::system::error_code ec;
  std::size_t taken = write_without_waiting(socket_, batch_, ec);
  if (ec || taken == boost::asio::buffer_size(batch_)) return on_written(ec, items);
  auto rest = batch_.begin();
  for (; taken >= rest->size(); ++rest) taken -= rest->size();
  *rest += taken;
  batch_.erase(batch_.begin(), rest);
  boost::asio::async_write(
      socket_, batch_,
      [self = shared_from_this(), items](boost::system::error_code ec, std::size_t) {
        self->on_written(ec, items);
      });
}

void SseStream::on_written(boost::system::error_code ec, std::size_t items) {
  writing_ = false;
  head_ = std::string();  // release its capacity: idle streams are most of the memory
  if (ec) return closed();
  const bool wrote_last_chunk = items == 0 && finishing_ && queue_.empty();
  queue_.pop(items);
  if (wrote_last_chunk) {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    return closed();
  }
  // What arrived during the write is paced like any other flush.
  if (!queue_.empty() || finishing_) schedule_flush();
}

void SseStream::finish(std::string final_comment) {
  if (done_ || finishing_) return;
  if (!final_comment.empty()) queue_.push(SharedBytes::copy_of(final_comment), false);
  finishing_ = true;
  if (!writing_) write_more();
}

void SseStream::abort() {
  if (done_) return;
  boost::system::error_code ec;
  socket_.close(ec);  // pending operations complete with operation_aborted
  closed();
}

void SseStream::read_until_eof() {
  socket_.async_read_some(boost::asio::buffer(read_sink_),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                            if (ec) return self->closed();
                            self->read_until_eof();  // clients have nothing to say; discard
                          });
}

void SseStream::arm_keepalive() {
  keepalive_timer_.expires_after(keepalive_);
  keepalive_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->done_) return;
    // §5.4: the keepalive doubles as the zombie check — a failed write closes the stream.
    self->queue_.push(SharedBytes{nullptr, kKeepalive}, false);
    self->write_more();
    self->arm_keepalive();
  });
}

void SseStream::closed() {
  if (done_) return;
  done_ = true;
  queue_.close();
  keepalive_timer_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
  if (auto cb = std::move(on_closed_)) cb();
}

}  // namespace b2b::net
