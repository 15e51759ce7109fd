// Cluster mode: keeps what this node caches of the durable store (identities, directory
// profiles, DM inboxes) in step with what the other nodes write.
//
// Every RedisStore write publishes a change event naming the record (cluster/change_event.h);
// this node's ChangeFeed hears the others' events, re-reads the named record from Redis and
// applies it: an identity to the registry, a profile to the directory, a DM to its inbox on the
// inbox's shard (waking a parked GET /api/inbox). A lost subscription (Redis restarted, network)
// is followed by a re-read of the whole store, since pub/sub keeps nothing for an absent
// subscriber.
//
// It is also the cluster's NonceClaimer (shared_nonces.h): a nonce a node accepted is claimed
// with SET NX on this object's command connection, so a replay to any other node is refused
// however soon it follows.
//
// Threading: the feed runs on this object's own thread; RedisStore runs the reads' callbacks on
// the store's thread; inbox changes are posted to the inbox's shard.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/shared_nonces.h"
#include "cluster/change_feed.h"
#include "cluster/redis_endpoint.h"
#include "core/result.h"
#include "store/store.h"

namespace b2b::cluster {
class RedisStore;
}

namespace b2b::api {

class RelayState;
struct IdentityServices;

class ClusterSync final : public NonceClaimer {
 public:
  ClusterSync(RelayState& state, IdentityServices& ids, cluster::RedisStore& store,
              cluster::RedisEndpoint endpoint);
  ~ClusterSync() override;
  ClusterSync(const ClusterSync&) = delete;
  ClusterSync& operator=(const ClusterSync&) = delete;

  // Subscribes, and returns once the first subscription is confirmed (or after `wait`): a node
  // must not serve before it hears the others' writes.
  core::Result<bool> start(std::chrono::milliseconds wait);
  void stop();

  // Records re-read and applied (tests, metrics).
  uint64_t applied() const { return applied_; }

  void claim(std::string key, int64_t ttl_ms, Claimed done) override;

 private:
  void on_change(const cluster::ChangeEvent& event);
  void resync();
  void reread_all_later(const std::string& why);
  void apply_identity(const std::string& handle);
  void apply_profile(const std::string& handle);
  void apply_inbox(const std::string& handle);
  void merge_dms(std::vector<store::DmRecord> records);
  void remove_dm(const std::string& handle, const std::string& id);

  RelayState& state_;
  IdentityServices& ids_;
  cluster::RedisStore& store_;
  const cluster::RedisEndpoint endpoint_;
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::shared_ptr<cluster::ChangeFeed> feed_;
  std::shared_ptr<cluster::RedisConnection> commands_;  // nonce claims
  std::atomic<uint64_t> applied_{0};
};

}  // namespace b2b::api
