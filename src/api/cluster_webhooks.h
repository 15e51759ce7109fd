// Cluster mode's webhooks (`serve --redis`, docs/SCALING.md "Webhooks"): every node knows every
// hook, and each stored delivery is sent by exactly one node.
//
// Hooks: RedisStore publishes a change event (kind "webhook", the hook id) for each hook it
// stores or deletes. This object's own ChangeFeed hears the other nodes' events, re-reads the
// hook and hands it to the WebhookService (apply_hook, or forget_hook when it is gone); after a
// lost subscription it re-reads every hook. So a hook registered through one node fires for a
// DM or post accepted by any node — by that node, once — and a hook deleted anywhere stops
// everywhere.
//
// Deliveries: a stored (DM) delivery is owned by the node that enqueued it. Each node holds a
// lease in Redis, `b2b:webhook_lease:<node>` (`SET … PX <lease>`, renewed every third of the
// lease), and the set of delivery ids it owns, `b2b:webhook_owned:<node>`; the nodes that own
// any are in `b2b:webhook_nodes`. Every renewal also runs a take-over script: the sets of
// nodes whose lease lapsed (killed, or stopped) move, atomically, to the node that ran it, which
// re-reads those deliveries and sends the pending ones. A script runs alone, so exactly one
// node takes over a dead node's deliveries, and none while the owner is alive. A node that
// finds its own lease lapsed (Redis unreachable for longer than the lease) keeps only what is
// still in its set, and takes nothing over until the other live nodes could have renewed. At start
// a node adopts the stored pending deliveries that no node owns (stored before ownership existed).
// A graceful stop gives the lease back at once.
//
// The scripts build key names of several nodes, so this, like RedisStore, needs one Redis
// primary (not a Redis Cluster).
//
// Threading: the feed and the renewal timer run on this object's own thread; Redis commands go
// through ClusterRooms' command connection (on_redis), store reads come back on the store's
// thread; everything reaches the WebhookService by posting to its thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/webhook_service.h"
#include "cluster/change_feed.h"
#include "cluster/redis_endpoint.h"
#include "cluster/redis_script.h"
#include "core/result.h"

namespace b2b::cluster {
class RedisStore;
}

namespace b2b::api {

class ClusterRooms;

class ClusterWebhooks final : public DeliveryOwners {
 public:
  static constexpr const char* kNodesKey = "b2b:webhook_nodes";
  static constexpr const char* kLeasePrefix = "b2b:webhook_lease:";
  static constexpr const char* kOwnedPrefix = "b2b:webhook_owned:";

  ClusterWebhooks(WebhookService& service, cluster::RedisStore& store, ClusterRooms& rooms,
                  cluster::RedisEndpoint endpoint, std::chrono::milliseconds lease);
  ~ClusterWebhooks() override;
  ClusterWebhooks(const ClusterWebhooks&) = delete;
  ClusterWebhooks& operator=(const ClusterWebhooks&) = delete;

  // Takes this node's lease, subscribes to the change feed, re-reads the hooks (one may have
  // been stored between the start-up snapshot and the subscription) and adopts the pending
  // deliveries no node owns. Fails if Redis did not answer within `wait`.
  core::Result<bool> start(std::chrono::milliseconds wait);
  // After the WebhookService stopped: gives the lease back, so that the other nodes take this
  // node's pending deliveries over at their next renewal instead of after the lease.
  void stop();

  // DeliveryOwners.
  void claim(const std::string& delivery_id, std::function<void()> then) override;
  void release(const std::string& delivery_id) override;

 private:
  void on_change(const cluster::ChangeEvent& event);
  void reread_hooks();
  void reread_hooks_later();
  void renew();
  void renewed(core::Result<cluster::RedisReply> reply);
  void take_over();
  void resume(std::vector<std::string> ids);
  void arm_renewal();

  WebhookService& service_;
  cluster::RedisStore& store_;
  ClusterRooms& rooms_;
  const cluster::RedisEndpoint endpoint_;
  const std::chrono::milliseconds lease_;
  const std::string node_;
  const std::string lease_key_;
  const std::string owned_key_;
  // Used on ClusterRooms' Redis thread only (inside on_redis).
  const cluster::RedisScript renew_script_;
  const cluster::RedisScript take_over_script_;
  const cluster::RedisScript adopt_script_;

  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::shared_ptr<cluster::ChangeFeed> feed_;
  std::unique_ptr<boost::asio::steady_timer> renewal_;
  std::vector<std::string> unread_;  // taken over, not re-read yet (the store was unreachable)
  std::chrono::steady_clock::time_point no_take_over_until_;  // after this node's lease lapsed
};

}  // namespace b2b::api
