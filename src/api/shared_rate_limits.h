// `serve --redis … --global-rate-limits`: the rate buckets of ROOMS.md §10.1 — per (IP, room)
// and per IP — are shared by every node, so a client spreading its requests over the nodes
// behind a load balancer gets one budget, not one per node.
//
// Every sync interval (100 ms) this node charges the cluster-wide bucket of each key it took
// tokens from (cluster/shared_bucket.h) and lowers its own bucket to what is left there. The
// request path is unchanged: no round trip per request. Bucket keys in Redis are a keyed hash of
// the limiter key (which names an IP and a room id), so Redis sees neither.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "cluster/shared_bucket.h"
#include "core/limiters.h"

namespace b2b::api {

class ClusterRooms;
class RelayState;

class SharedRateLimits {
 public:
  static constexpr std::chrono::milliseconds kSyncInterval{100};

  // `secret` keys the hash of bucket names (the room-key secret every node shares).
  SharedRateLimits(RelayState& state, ClusterRooms& redis, std::string secret);
  SharedRateLimits(const SharedRateLimits&) = delete;
  SharedRateLimits& operator=(const SharedRateLimits&) = delete;

  // Runs on shard 0's loop from start() until the pool stops.
  void start();

 private:
  void arm();
  void sync();
  void charge(core::RateLimiter& limiter, const char* family);
  std::string bucket_key(const char* family, const std::string& key) const;

  RelayState& state_;
  ClusterRooms& redis_;
  const std::string secret_;
  const cluster::SharedBucket bucket_;
  boost::asio::steady_timer timer_;
};

}  // namespace b2b::api
