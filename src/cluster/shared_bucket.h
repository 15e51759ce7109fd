// A token bucket in Redis that several nodes charge together (`serve --global-rate-limits`).
//
// A node does not ask Redis before each request: that would add a round trip to every post.
// It keeps its own bucket, counts the tokens it took, and every sync interval charges them here;
// the answer is what the shared bucket holds after every node's charges (negative when the
// nodes together overspent: a debt that refills), and the node lowers its own bucket to it. So
// the nodes together keep one bucket's rate over time; within one interval each node may spend
// what its own bucket refilled, and that overspending is paid back before more is allowed.
//
// Refill uses Redis's clock (TIME), so nodes with skewed clocks agree. The script is run by its
// SHA, falling back to its text once after a Redis restart (RedisScript).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cluster/redis_connection.h"
#include "core/result.h"

namespace b2b::cluster {

class SharedBucket {
 public:
  SharedBucket();

  // Charges `tokens` to the bucket at `key` (created full with `capacity`), refilled at
  // `refill_per_sec`; `done` gets the tokens left. The key expires once a full refill would
  // have made it full again. Use on the connection's executor.
  void charge(const std::shared_ptr<RedisConnection>& redis, std::string key, double tokens,
              double capacity, double refill_per_sec,
              std::function<void(core::Result<double>)> done) const;

 private:
  struct Script;
  std::shared_ptr<const Script> script_;
};

}  // namespace b2b::cluster
