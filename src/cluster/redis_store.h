// The Store backend of cluster mode: identities, profiles, DM inboxes, claim cursors, room
// high-water marks and webhooks in Redis, shared by every node (docs/SCALING.md "Durable state
// in Redis" has the key layout).
//
// Each write is one Lua script (redis_store_scripts.cpp): one atomic step and one round trip,
// ending with a PUBLISH of its change event (change_event.h) so the other nodes re-read what
// changed. Its Done runs once Redis has replied: with appendonly yes and appendfsync everysec
// the write is then in the AOF (written before the reply, fsynced within a second), so it
// survives a Redis process crash; a machine crash can lose the last second.
//
// While Redis is unreachable every write fails at once with "storage error" and a detail that
// starts with "redis unavailable" (the API answers 503 + Retry-After, as for any store error);
// nothing is queued for later. Redis refusing a write under maxmemory is "storage full".
//
// Threading: the store owns one thread running an io_context with the Redis connection. Any
// thread may call the methods; they post to that thread. Done runs on it (or, for a write
// refused outright — closed, kRedisMaxPendingWrites queued — on the caller's thread before the
// call returns). load(), flush() and close() block: never call them from a Done.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cluster/redis_connection.h"
#include "cluster/redis_endpoint.h"
#include "cluster/redis_store_scripts.h"
#include "core/result.h"
#include "store/store.h"

namespace b2b::cluster {

inline constexpr std::size_t kRedisMaxPendingWrites = 100'000;

struct RedisStoreOptions {
  // How long open_redis_store waits for the first connection before it gives up.
  std::chrono::milliseconds startup_timeout{10'000};
  RedisConnection::Options connection;
};

class RedisStore final : public store::Store {
 public:
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  void insert_identity(store::IdentityRecord record, store::Done done) override;
  void upsert_identity(store::IdentityRecord record, store::Done done) override;
  void delete_identity(std::string handle, store::Done done) override;
  void upsert_profile(store::ProfileRecord record, store::Done done) override;
  void delete_profile(std::string handle, store::Done done) override;
  void insert_dm(store::DmRecord record, store::Done done) override;
  void delete_dm(std::string recipient, std::string id, store::Done done) override;
  void delete_dms_older_than(int64_t ts, store::Done done) override;
  void set_inbox_seq(std::string handle, int64_t seq, store::Done done) override;
  void upsert_claim_cursor(store::ClaimCursorRecord record, store::Done done) override;
  void delete_claim_cursor(std::string handle, std::string room_key, store::Done done) override;
  void upsert_room_high_water(store::RoomHighWater record, store::Done done) override;
  void upsert_webhook(store::WebhookRecord record, store::Done done) override;
  void delete_webhook(std::string id, store::Done done) override;
  void upsert_webhook_delivery(store::WebhookDeliveryRecord record, store::Done done) override;
  void delete_webhook_deliveries_before(int64_t ts, store::Done done) override;

  core::Result<store::Snapshot> load() override;
  void flush() override;
  void close() override;

  std::string room_key_secret() const override { return secret_; }
  store::StoreStats stats() const override;

  // This node's id in change events (ChangeEvent::node): 8 random hex digits.
  const std::string& node_id() const { return node_id_; }

  // One record as it is now, for a node acting on a change event (change_feed.h) without a
  // full load(). Asynchronous like the writes: `done` runs on the store's thread with the
  // record, nullopt when it does not exist (deleted), or the error ("storage error", detail
  // "redis unavailable: …" while Redis is down). Must not be called after close().
  template <class T>
  using ReadDone = std::function<void(core::Result<std::optional<T>>)>;
  void read_identity(std::string handle, ReadDone<store::IdentityRecord> done);
  void read_profile(std::string handle, ReadDone<store::ProfileRecord> done);
  void read_inbox(std::string handle,
                  std::function<void(core::Result<std::vector<store::DmRecord>>)> done);
  void read_claim_cursor(std::string handle, std::string room_key,
                         ReadDone<store::ClaimCursorRecord> done);
  void read_room_high_water(std::string room_key, ReadDone<store::RoomHighWater> done);
  void read_webhook(std::string id, ReadDone<store::WebhookRecord> done);
  void read_webhook_delivery(std::string id, ReadDone<store::WebhookDeliveryRecord> done);

 private:
  friend core::Result<std::unique_ptr<RedisStore>> open_redis_store(const RedisEndpoint&,
                                                                    RedisStoreOptions);
  using Command = std::vector<std::string>;
  using Replies = std::vector<core::Result<RedisReply>>;

  RedisStore(const RedisEndpoint& endpoint, const RedisStoreOptions& options);
  core::Result<bool> start(std::chrono::milliseconds timeout);
  // One write: runs `script` on the store thread and reports to `done`. A sweep (`repeat`)
  // runs again while a run deleted a whole batch.
  void write(const RedisScript& script, Command keys, Command args, store::Done done,
             bool repeat = false);
  void run_write(const RedisScript& script, Command keys, Command args, bool repeat,
                 uint64_t ticket, store::Done done);
  void finish(uint64_t ticket, core::Result<bool> result, store::Done& done);
  // insert_identity and upsert_identity: the same keys and arguments, another script.
  void write_identity(const RedisScript& script, store::IdentityRecord r, store::Done done);
  std::string event(const char* kind, std::string handle = {}, std::string room_key = {},
                    std::string id = {}, int64_t seq = 0) const;
  // Sends `commands` pipelined from the store thread and waits for every reply.
  Replies batch(std::vector<Command> commands);
  // Sends `command` from the store thread; `done` gets the reply or the mapped storage error.
  void read(Command command, std::function<void(core::Result<RedisReply>)> done);
  core::Result<store::Snapshot> read_snapshot();

  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::shared_ptr<RedisConnection> redis_;
  RedisStoreScripts scripts_;
  std::thread thread_;
  std::string secret_;
  std::string known_secret_;  // the same, touched only on the store thread (on_ready)
  std::string node_id_;
  bool closed_ = false;  // guarded by mutex_

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  uint64_t next_ticket_ = 1;
  std::set<uint64_t> in_flight_;  // tickets whose Done has not run yet
  uint64_t writes_ok_ = 0;
  uint64_t writes_failed_ = 0;
};

// What a failed Redis command (kRedisUnavailable, kRedisError) means for a Store caller:
// "storage error" with "redis unavailable: …", "storage full" for an OOM answer (maxmemory),
// else "storage error" with "redis answered <CODE>". The detail never holds user data.
core::Error storage_error_from_redis(const core::Error& e);

// Connects (waiting up to options.startup_timeout), then reads — or, on the very first node,
// creates with SET NX — the deployment's room_key secret in Redis, which every node shares.
// Errors: "storage error" with a detail naming what failed ("redis unavailable: …").
core::Result<std::unique_ptr<RedisStore>> open_redis_store(const RedisEndpoint& endpoint,
                                                           RedisStoreOptions options = {});

}  // namespace b2b::cluster
