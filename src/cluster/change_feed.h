// The change feed of cluster mode: how a node learns, within milliseconds, that another node
// wrote an identity, a profile, a DM, a claim cursor or a lock (docs/SCALING.md "Change feed").
//
// Writers publish a ChangeEvent on kChangeChannel (RedisStore does it inside each write's
// script; publish_change() is for state outside the store, such as room locks). Each node runs
// one ChangeFeed: a subscriber connection of its own that re-subscribes after every reconnect.
// Redis pub/sub does not keep messages for an absent subscriber, so events published while the
// feed was disconnected are lost: after every re-subscription that follows a lost connection
// the feed calls on_resync, and the node must re-read what it caches (the store's load(), or
// the parts it keeps). The re-subscription is confirmed before on_resync runs, so nothing
// published after the re-read starts can be missed.
//
// Threading: create, use and destroy it on one executor; handlers run there.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cluster/change_event.h"
#include "cluster/redis_connection.h"
#include "cluster/redis_endpoint.h"

namespace b2b::cluster {

class ChangeFeed : public std::enable_shared_from_this<ChangeFeed> {
 public:
  struct Handlers {
    std::function<void(const ChangeEvent&)> on_change;
    std::function<void()> on_resync;
    // Once, when the first subscription is confirmed: a node starts serving only after it.
    std::function<void()> on_first_subscription;
  };

  // Events whose node is `own_node` (this node's RedisStore::node_id()) are skipped: the node
  // already knows what it wrote. Empty: every event is delivered.
  static std::shared_ptr<ChangeFeed> create(boost::asio::any_io_executor executor,
                                            RedisEndpoint endpoint, Handlers handlers,
                                            std::string own_node = {},
                                            RedisConnection::Options options = {});
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  void start();
  void stop();
  // Counters, readable from any thread (tests, metrics).
  uint64_t subscriptions() const { return subscriptions_; }  // confirmed (re)subscriptions
  uint64_t resyncs() const { return resyncs_; }              // subscriptions() - 1
  uint64_t events() const { return events_; }                // delivered to on_change
  uint64_t ignored() const { return ignored_; }              // own or unreadable

 private:
  ChangeFeed(boost::asio::any_io_executor executor, RedisEndpoint endpoint, Handlers handlers,
             std::string own_node, RedisConnection::Options options);
  void on_message(const std::string& payload);
  void on_subscribed();

  Handlers handlers_;
  std::string own_node_;
  std::shared_ptr<RedisConnection> redis_;
  std::atomic<uint64_t> subscriptions_{0};
  std::atomic<uint64_t> resyncs_{0};
  std::atomic<uint64_t> events_{0};
  std::atomic<uint64_t> ignored_{0};
};

// PUBLISHes `event` on kChangeChannel over an ordinary (non-subscriber) connection. `done` gets
// the number of subscribers that received it (PUBLISH's reply) or the error.
void publish_change(RedisConnection& redis, const ChangeEvent& event,
                    std::function<void(core::Result<int64_t>)> done);

}  // namespace b2b::cluster
