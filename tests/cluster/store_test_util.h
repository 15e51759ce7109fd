// Helpers of the RedisStore tests: open a store on a test redis-server; the blocking writes
// and sample records are the SQLite store tests' own (unit/store/store_samples.h).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cluster/redis_store.h"
#include "redis_server.h"
#include "unit/store/store_samples.h"

namespace b2b::cluster::testing {

inline std::unique_ptr<RedisStore> open_store(const RedisServer& server,
                                              RedisStoreOptions options = {}) {
  auto opened = open_redis_store(parse_redis_url(server.url()).value(), options);
  if (!opened) {
    ADD_FAILURE() << opened.error().error << ": " << opened.error().detail;
    return nullptr;
  }
  return std::move(opened).value();
}

// The backend-neutral helpers, shared with the SQLite store tests.
using store::testing::delivery;
using store::testing::dm;
using store::testing::hook;
using store::testing::identity;
using store::testing::ignore;
using store::testing::must_load;
using store::testing::profile;
using store::testing::sync;

}  // namespace b2b::cluster::testing
