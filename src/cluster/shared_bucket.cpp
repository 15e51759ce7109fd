#include "cluster/shared_bucket.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "cluster/redis_script.h"

namespace b2b::cluster {
namespace {

// KEYS bucket. ARGV tokens, capacity, refill per ms. Fields: t = tokens, u = updated (ms).
constexpr const char* kCharge = R"lua(#!lua
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local capacity, refill = tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens, updated = tonumber(held[1]) or capacity, tonumber(held[2]) or now
if now > updated then
  tokens = math.min(capacity, tokens + (now - updated) * refill)
  updated = now
end
tokens = tokens - tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(updated))
local full_in = 1000
if refill > 0 then full_in = math.ceil((capacity - tokens) / refill) + 1000 end
redis.call('PEXPIRE', KEYS[1], full_in)
return tostring(tokens)
)lua";

std::string decimal(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

}  // namespace

struct SharedBucket::Script {
  RedisScript charge{kCharge};
};

SharedBucket::SharedBucket() : script_(std::make_shared<const Script>()) {}

void SharedBucket::charge(const std::shared_ptr<RedisConnection>& redis, std::string key,
                          double tokens, double capacity, double refill_per_sec,
                          std::function<void(core::Result<double>)> done) const {
  script_->charge.run(
      redis, {std::move(key)}, {decimal(tokens), decimal(capacity), decimal(refill_per_sec / 1000)},
      [done = std::move(done)](core::Result<RedisReply> r) {
        if (!r) return done(r.error());
        const std::string& text = r.value().str;
        double left = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), left);
        if (r.value().type != RedisReply::Type::kString || ec != std::errc() ||
            end != text.data() + text.size() || !std::isfinite(left)) {
          return done(core::Error{kRedisError, "unexpected shared bucket reply"});
        }
        done(left);
      });
}

}  // namespace b2b::cluster
