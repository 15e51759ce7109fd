// Helpers of the RedisStore tests: open a store on a test redis-server, blocking wrappers
// around the asynchronous writes, sample records (the same shapes as the SQLite store's tests).
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "cluster/redis_store.h"
#include "redis_server.h"

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

inline store::Snapshot must_load(store::Store& store) {
  auto loaded = store.load();
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().detail);
  return loaded.ok() ? std::move(loaded).value() : store::Snapshot{};
}

// Issues one write and waits for its Done: `write` receives the Done to pass on.
template <class WriteFn>
core::Result<bool> sync(WriteFn&& write) {
  std::promise<core::Result<bool>> promise;
  auto future = promise.get_future();
  write([&promise](core::Result<bool> r) { promise.set_value(std::move(r)); });
  return future.get();
}

inline store::Done ignore() {
  return [](core::Result<bool>) {};
}

inline store::IdentityRecord identity(const std::string& handle) {
  return store::IdentityRecord{
      handle, "box:" + handle, "sign:" + handle, 1000, 2000, 3000, R"({"bio":"hi"})", 0};
}

inline store::ProfileRecord profile(const std::string& handle) {
  return store::ProfileRecord{
      handle, R"({"handle":")" + handle + R"("})", "sig:" + handle, 10, 11, 12, 13};
}

inline store::DmRecord dm(const std::string& recipient, int64_t seq, int64_t ts = 5000) {
  store::DmRecord r;
  r.recipient = recipient;
  r.seq = seq;
  r.id = recipient + "-dm-" + std::to_string(seq);
  r.ciphertext = "ct" + std::to_string(seq);
  r.nonce = "nonce";
  r.sender_eph_pub = "eph";
  r.ts = ts;
  return r;
}

inline store::WebhookRecord hook(const std::string& id, const std::string& handle,
                                 const std::string& room_key) {
  return store::WebhookRecord{id,  handle, room_key, "https://example.com/hook", "secret-" + id,
                              1000};
}

inline store::WebhookDeliveryRecord delivery(const std::string& id, const std::string& hook_id,
                                             const std::string& state, int64_t updated_at) {
  return store::WebhookDeliveryRecord{id,    hook_id, R"({"type":"dm"})", 1000,      2, 5000,
                                      state, 500,     "answered 500",     updated_at};
}

}  // namespace b2b::cluster::testing
