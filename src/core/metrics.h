// Process-wide counters behind GET /metrics. Content-free by construction: no room ids,
// keys or addresses are ever labels (ROOMS.md §14.2). Relaxed atomics: counters need no
// ordering, and every shard increments them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace b2b::core {

using Counter = std::atomic<uint64_t>;
using Gauge = std::atomic<int64_t>;

inline void inc(Counter& c, uint64_t n = 1) {
  c.fetch_add(n, std::memory_order_relaxed);
}
inline void add(Gauge& g, int64_t n) {
  g.fetch_add(n, std::memory_order_relaxed);
}

// Route labels for response counting: a fixed set, so no user input becomes a label.
enum class RouteLabel : uint8_t {
  kRoomMessages,
  kRoomEvents,
  kRoomWs,
  kRoomWait,
  kRoomTranscript,
  kRoomStatus,
  kRoomListening,
  kRoomClaim,
  kRoomAck,
  kIdentity,
  kDirectMessages,
  kAgents,
  kRoomOther,
  kHealth,
  kStatus,
  kVersion,
  kMetrics,
  kReport,
  kContact,
  kDocs,
  kOtherApi,
  kPages,
  kCount
};
const char* route_label_name(RouteLabel r);

struct Metrics {
  Gauge rooms{0};
  Gauge sse_connections{0};
  Gauge ws_connections{0};
  Gauge http_connections{0};
  // Mirrored from the transport's NetStats when /metrics is rendered.
  Counter accept_fd_exhausted{0};
  Counter accept_errors{0};
  Counter connections_refused_per_ip{0};
  Counter rooms_created{0};
  Counter rooms_evicted{0};
  Counter messages_posted_http{0};
  Counter messages_posted_ws{0};
  Counter messages_delivered{0};
  Counter bytes_relayed{0};
  Counter rate_limited{0};
  Counter slow_consumers_dropped{0};
  Counter sse_connects{0};
  Counter ws_connects{0};
  Counter longpoll_waits{0};
  Counter longpoll_wakes{0};
  Counter longpoll_timeouts{0};
  Counter bug_reports{0};
  Counter contact_submissions{0};
  // responses[route][class], class index 0..3 = 2xx,3xx,4xx,5xx
  std::array<std::array<Counter, 4>, static_cast<size_t>(RouteLabel::kCount)> responses{};

  void count_response(RouteLabel route, unsigned status);

  // Prometheus text exposition format 0.0.4. `buffered_bytes` comes from the ByteBudget.
  std::string render_prometheus(int64_t buffered_bytes) const;
};

}  // namespace b2b::core
