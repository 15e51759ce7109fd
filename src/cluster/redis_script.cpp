#include "cluster/redis_script.h"

namespace b2b::cluster {

namespace {

std::vector<std::string> eval_args(bool by_sha, const std::string& body,
                                   const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> out;
  out.reserve(3 + keys.size() + args.size());
  out.push_back(by_sha ? "EVALSHA" : "EVAL");
  out.push_back(body);
  out.push_back(std::to_string(keys.size()));
  out.insert(out.end(), keys.begin(), keys.end());
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

}  // namespace

void RedisScript::load(RedisConnection& redis) const {
  redis.command({"SCRIPT", "LOAD", *source_}, [sha = sha_](core::Result<RedisReply> r) {
    if (r && r.value().type == RedisReply::Type::kString) *sha = r.value().str;
  });
}

void RedisScript::run(const std::shared_ptr<RedisConnection>& redis, std::vector<std::string> keys,
                      std::vector<std::string> args, RedisCallback done) const {
  if (sha_->empty()) {
    redis->command(eval_args(false, *source_, keys, args), std::move(done));
    return;
  }
  auto first = eval_args(true, *sha_, keys, args);
  redis->command(
      std::move(first), [redis, source = source_, keys = std::move(keys), args = std::move(args),
                         done = std::move(done)](core::Result<RedisReply> r) mutable {
        if (!r && r.error().error == kRedisError && r.error().detail.starts_with("NOSCRIPT")) {
          return redis->command(eval_args(false, *source, keys, args), std::move(done));
        }
        done(std::move(r));
      });
}

}  // namespace b2b::cluster
