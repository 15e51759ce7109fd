// A Lua script run by its SHA (EVALSHA, one round trip, no script text on the wire), with the
// fallback every Redis client needs: a restarted or failed-over Redis has an empty script
// cache, so a NOSCRIPT answer is retried once as EVAL with the full text (which caches it).
// load() (SCRIPT LOAD) from the connection's on_ready avoids even that one retry.
//
// Use on the connection's executor, like the connection itself.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cluster/redis_connection.h"

namespace b2b::cluster {

class RedisScript {
 public:
  explicit RedisScript(std::string source)
      : source_(std::make_shared<const std::string>(std::move(source))),
        sha_(std::make_shared<std::string>()) {}

  const std::string& source() const { return *source_; }

  // SCRIPT LOAD; failures are harmless (run() falls back to EVAL).
  void load(RedisConnection& redis) const;
  void run(const std::shared_ptr<RedisConnection>& redis, std::vector<std::string> keys,
           std::vector<std::string> args, RedisCallback done) const;

 private:
  std::shared_ptr<const std::string> source_;
  std::shared_ptr<std::string> sha_;  // empty until SCRIPT LOAD answered
};

}  // namespace b2b::cluster
