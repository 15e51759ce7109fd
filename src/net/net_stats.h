// Connection gauges and counters the transport maintains itself (it knows sockets, not
// rooms); the api layer reads them for /metrics.
#pragma once

#include <atomic>
#include <cstdint>

namespace b2b::net {

struct NetStats {
  inline static std::atomic<int64_t> http_sessions{0};
  // accept() failed for want of descriptors or kernel memory (EMFILE, ENFILE, ENOBUFS,
  // ENOMEM); the listener paused and retried.
  inline static std::atomic<uint64_t> accept_fd_exhausted{0};
  // Any other accept() failure.
  inline static std::atomic<uint64_t> accept_errors{0};
  // Connections closed at accept because their address was at --conn-cap-per-ip.
  inline static std::atomic<uint64_t> connections_refused_per_ip{0};
};

}  // namespace b2b::net
