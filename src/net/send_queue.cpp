#include "net/send_queue.h"

#include <boost/asio/post.hpp>

#include <chrono>

namespace b2b::net {

PushResult SendQueue::push(SharedBytes bytes, bool counted) {
  if (closed_) return PushResult::kClosed;
  const auto n = static_cast<int64_t>(bytes.bytes.size());
  if (counted) {
    if (live_bytes_ + n > max_live_bytes_) return PushResult::kOverLimit;
    live_bytes_ += n;
  }
  items_.push_back(Item{std::move(bytes), counted});
  return PushResult::kQueued;
}

std::size_t SendQueue::front_batch(std::vector<boost::asio::const_buffer>& out,
                                   std::size_t max_items, std::size_t max_bytes) const {
  std::size_t n = 0, bytes = 0;
  for (std::size_t i = head_; i < items_.size(); ++i) {
    const Item& it = items_[i];
    if (n == max_items || (n > 0 && bytes + it.bytes.bytes.size() > max_bytes)) break;
    out.emplace_back(it.bytes.bytes.data(), it.bytes.bytes.size());
    bytes += it.bytes.bytes.size();
    ++n;
  }
  return n;
}

void SendQueue::pop(std::size_t n) {
  for (std::size_t i = 0; i < n && !empty(); ++i, ++head_) {
    Item& it = items_[head_];
    if (it.counted) live_bytes_ -= static_cast<int64_t>(it.bytes.bytes.size());
    it.bytes = {};  // release the shared event now, not when the queue drains
  }
  if (empty()) {
    std::vector<Item>().swap(items_);
    head_ = 0;
  } else if (head_ > 64 && head_ * 2 > items_.size()) {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

boost::asio::execution_context::id FlushRounds::id;

FlushRounds::FlushRounds(boost::asio::execution_context& context)
    : boost::asio::execution_context::service(context) {}

FlushRounds& FlushRounds::of(const boost::asio::any_io_executor& executor) {
  auto& context = boost::asio::query(executor, boost::asio::execution::context);
  FlushRounds& rounds = boost::asio::use_service<FlushRounds>(context);
  if (!rounds.executor_) rounds.executor_ = executor;
  return rounds;
}

int64_t FlushRounds::now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool FlushRounds::defer(const core::WriteTimes& writes, std::function<void()>& flush) {
  const int64_t now = now_ns();
  if (!pacer_.must_wait(now, writes)) return false;
  pending_.push_back(std::move(flush));
  if (pacer_.round_pending()) return true;
  const int64_t at = pacer_.schedule_round(now);
  if (at <= now) {
    boost::asio::post(executor_, [this] { run_round(); });
    return true;
  }
  if (!timer_) timer_.emplace(executor_);
  timer_->expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(at)));
  timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) run_round();
  });
  return true;
}

void FlushRounds::run_round() {
  pacer_.round_started(now_ns(), pending_.size());
  running_.swap(pending_);
  // A flush may ask again (defer() then fills pending_ for the next round, not running_).
  for (auto& flush : running_) flush();
  running_.clear();
  pacer_.round_finished(now_ns());
}

void FlushRounds::shutdown() {
  // The queued flushes own their streams; the timer must go before its own service does.
  pending_.clear();
  running_.clear();
  timer_.reset();
}

}  // namespace b2b::net
