// Caps the TCP connections one peer address may hold open at once (--conn-cap-per-ip).
// Enforced at accept, before a single byte is read, so the key is the socket's peer
// address — never X-Forwarded-For, which a client could forge per connection.
//
// A connection holds its ConnectionSlot while it is an HTTP session (requests, keep-alive
// idling, parked long-polls). A connection that becomes an SSE or WebSocket stream gives
// its slot back: streams are counted by the api's own per-IP stream cap instead, so one
// address holds at most --conn-cap-per-ip + --stream-cap-per-ip sockets.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace b2b::net {

class ConnectionLimiter;

// One unit of an address's allowance, returned exactly once when destroyed.
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(std::shared_ptr<ConnectionLimiter> owner, std::string key)
      : owner_(std::move(owner)), key_(std::move(key)) {}
  ConnectionSlot(ConnectionSlot&& o) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&& o) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot() { release(); }

  bool held() const { return owner_ != nullptr; }
  void release();

 private:
  // Shared: a session may outlive the listener that accepted it (shutdown order).
  std::shared_ptr<ConnectionLimiter> owner_;
  std::string key_;
};

class ConnectionLimiter : public std::enable_shared_from_this<ConnectionLimiter> {
 public:
  // Create with std::make_shared: slots keep their limiter alive.
  explicit ConnectionLimiter(std::int64_t max_per_address) : max_(max_per_address) {}

  // An empty slot when `address` already holds the maximum.
  ConnectionSlot try_acquire(const std::string& address);
  std::int64_t count(const std::string& address);

 private:
  friend class ConnectionSlot;
  void release(const std::string& address);

  // Every shard accepts, so the map is split into independently locked stripes.
  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, std::int64_t> counts;
  };
  static constexpr std::size_t kStripes = 32;
  Stripe& stripe_for(const std::string& address);

  const std::int64_t max_;
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace b2b::net
