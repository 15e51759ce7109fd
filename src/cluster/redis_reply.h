// A Redis reply as a plain value, copied out of hiredis's reply tree so it can outlive the
// callback and cross to another executor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace b2b::cluster {

struct RedisReply {
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  int64_t integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_nil() const { return type == Type::kNil; }
  bool is_error() const { return type == Type::kError; }
};

RedisReply copy_reply(const redisReply& r);

}  // namespace b2b::cluster
