// Where cluster mode's Redis is: `--redis redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace b2b::cluster {

struct RedisEndpoint {
  std::string host;
  uint16_t port = 6379;
  int db = 0;
  std::string user;      // ACL user (Redis 6+); empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
};

// Parses a redis:// URL (percent-escapes in the user and password are decoded). Anything else —
// another scheme, a path that is not a database number, a query — is an Error naming the part.
core::Result<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace b2b::cluster
