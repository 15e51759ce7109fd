// Connection gauges the transport maintains itself (it knows sockets, not rooms); the api
// layer reads them for /metrics.
#pragma once

#include <atomic>
#include <cstdint>

namespace b2b::net {

struct NetStats {
  inline static std::atomic<int64_t> http_sessions{0};
  inline static std::atomic<uint64_t> accept_errors{0};
};

}  // namespace b2b::net
