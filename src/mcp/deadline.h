// Long-poll tools (wait_for_messages, claim_task, next_task) keep the caller's timeout across
// several relay requests: these helpers share one deadline between them.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

namespace b2b::mcp {

class Deadline {
 public:
  explicit Deadline(std::chrono::seconds timeout)
      : end_(std::chrono::steady_clock::now() + timeout) {}

  // Seconds left for the next relay long-poll, rounded up (a fresh 2 s deadline asks for 2,
  // not 1), and at least the relay's minimum of 1.
  int seconds_left() const {
    const auto left =
        std::chrono::ceil<std::chrono::seconds>(end_ - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::int64_t>(1, left.count()));
  }

  // True while another long-poll of at least a second still fits.
  bool has_another_second() const {
    return std::chrono::steady_clock::now() + std::chrono::seconds(1) < end_;
  }

  // A missing room answers at once (ROOMS.md §6.4, §9.2); our presence stream creates it
  // within moments, so pause instead of spinning, then poll again.
  bool pause_for_missing_room() const {
    if (!has_another_second()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    return true;
  }

 private:
  std::chrono::steady_clock::time_point end_;
};

}  // namespace b2b::mcp
