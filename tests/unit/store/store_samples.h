// Backend-neutral helpers of the Store tests, shared by the SQLite tests (unit_tests) and the
// Redis ones (cluster_tests): blocking wrappers around the asynchronous writes and sample
// records, so both backends are checked against the same shapes.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <string>

#include "store/store.h"

namespace b2b::store::testing {

// Issues one write and waits for its Done: `write` receives the Done to pass on.
template <class WriteFn>
core::Result<bool> sync(WriteFn&& write) {
  std::promise<core::Result<bool>> promise;
  auto future = promise.get_future();
  write([&promise](core::Result<bool> r) { promise.set_value(std::move(r)); });
  return future.get();
}

inline Done ignore() {
  return [](core::Result<bool>) {};
}

inline Snapshot must_load(Store& store) {
  auto loaded = store.load();
  EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().detail);
  return loaded.ok() ? std::move(loaded).value() : Snapshot{};
}

inline IdentityRecord identity(const std::string& handle) {
  return IdentityRecord{
      handle, "box:" + handle, "sign:" + handle, 1000, 2000, 3000, R"({"bio":"hi"})", 0};
}

inline ProfileRecord profile(const std::string& handle) {
  return ProfileRecord{handle, R"({"handle":")" + handle + R"("})", "sig:" + handle, 10, 11, 12,
                       13};
}

inline DmRecord dm(const std::string& recipient, int64_t seq, int64_t ts = 5000) {
  DmRecord r;
  r.recipient = recipient;
  r.seq = seq;
  r.id = recipient + "-dm-" + std::to_string(seq);
  r.ciphertext = "ct" + std::to_string(seq);
  r.nonce = "nonce";
  r.sender_eph_pub = "eph";
  r.ts = ts;
  return r;
}

inline WebhookRecord hook(const std::string& id, const std::string& handle,
                          const std::string& room_key) {
  return WebhookRecord{id, handle, room_key, "https://example.com/hook", "secret-" + id, 1000};
}

inline WebhookDeliveryRecord delivery(const std::string& id, const std::string& hook_id,
                                      const std::string& state, int64_t updated_at) {
  return WebhookDeliveryRecord{id,    hook_id, R"({"type":"dm"})", 1000,      2, 5000,
                               state, 500,     "answered 500",     updated_at};
}

}  // namespace b2b::store::testing
