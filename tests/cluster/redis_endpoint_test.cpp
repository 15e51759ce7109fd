#include "cluster/redis_endpoint.h"

#include <gtest/gtest.h>

namespace b2b::cluster {
namespace {

TEST(RedisEndpoint, HostPortAndDatabase) {
  auto ep = parse_redis_url("redis://10.0.0.7:6380/2");
  ASSERT_TRUE(ep) << ep.error().detail;
  EXPECT_EQ(ep.value().host, "10.0.0.7");
  EXPECT_EQ(ep.value().port, 6380);
  EXPECT_EQ(ep.value().db, 2);
  EXPECT_TRUE(ep.value().password.empty());
}

TEST(RedisEndpoint, Defaults) {
  auto ep = parse_redis_url("redis://cache.internal");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep.value().host, "cache.internal");
  EXPECT_EQ(ep.value().port, 6379);
  EXPECT_EQ(ep.value().db, 0);
}

TEST(RedisEndpoint, PasswordWithAndWithoutUser) {
  auto a = parse_redis_url("redis://:p%40ss@127.0.0.1:7000/0");
  ASSERT_TRUE(a);
  EXPECT_EQ(a.value().user, "");
  EXPECT_EQ(a.value().password, "p@ss");
  auto b = parse_redis_url("redis://relay:s3cret@127.0.0.1");
  ASSERT_TRUE(b);
  EXPECT_EQ(b.value().user, "relay");
  EXPECT_EQ(b.value().password, "s3cret");
  auto c = parse_redis_url("redis://s3cret@127.0.0.1");  // a bare secret is the password
  ASSERT_TRUE(c);
  EXPECT_EQ(c.value().user, "");
  EXPECT_EQ(c.value().password, "s3cret");
}

TEST(RedisEndpoint, Ipv6Literal) {
  auto ep = parse_redis_url("redis://[::1]:6390");
  ASSERT_TRUE(ep);
  EXPECT_EQ(ep.value().host, "::1");
  EXPECT_EQ(ep.value().port, 6390);
}

TEST(RedisEndpoint, RefusesWhatItCannotHonour) {
  for (const char* url :
       {"http://127.0.0.1:6379", "rediss://127.0.0.1", "redis://", "redis://h/x", "redis://h/1/2",
        "redis://h/-1", "redis://h:0", "redis://h?db=1", "not a url"}) {
    auto ep = parse_redis_url(url);
    EXPECT_FALSE(ep) << url;
    if (!ep) {
      EXPECT_EQ(ep.error().error, "bad redis url") << url;
    }
  }
}

}  // namespace
}  // namespace b2b::cluster
