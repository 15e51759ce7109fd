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
  for (const Item& it : items_) {
    if (n == max_items || (n > 0 && bytes + it.bytes.bytes.size() > max_bytes)) break;
    out.emplace_back(it.bytes.bytes.data(), it.bytes.bytes.size());
    bytes += it.bytes.bytes.size();
    ++n;
  }
  return n;
}

void SendQueue::pop(std::size_t n) {
  for (std::size_t i = 0; i < n && !items_.empty(); ++i) {
    if (items_.front().counted)
      live_bytes_ -= static_cast<int64_t>(items_.front().bytes.bytes.size());
    items_.pop_front();
  }
}

}  // namespace b2b::net
