#include "net/send_queue.h"

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

}  // namespace b2b::net
