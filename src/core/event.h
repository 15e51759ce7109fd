// A server push (ROOMS.md §4), rendered once and shared by every subscriber, waiter and
// transport (DESIGN.md principle 2: serialize once, send many).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace b2b::core {

class RenderedEvent {
 public:
  // `json` must be a compact JSON object without raw newlines.
  explicit RenderedEvent(std::string_view json);

  // The JSON object: a WebSocket text frame's payload, a long-poll record.
  std::string_view json() const {
    return std::string_view(sse_).substr(kSsePrefix.size(), json_size_);
  }
  // `data: <json>\n\n` — one SSE event exactly as §6.2 frames it (no event:/id: lines).
  std::string_view sse() const { return sse_; }

 private:
  static constexpr std::string_view kSsePrefix = "data: ";
  std::string sse_;
  std::size_t json_size_;
};

using EventPtr = std::shared_ptr<const RenderedEvent>;

inline EventPtr render_event(std::string_view json) {
  return std::make_shared<const RenderedEvent>(json);
}

inline RenderedEvent::RenderedEvent(std::string_view json) : json_size_(json.size()) {
  sse_.reserve(kSsePrefix.size() + json.size() + 2);
  sse_.append(kSsePrefix).append(json).append("\n\n");
}

}  // namespace b2b::core
