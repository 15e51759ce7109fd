#include "cluster/change_feed.h"

#include <spdlog/spdlog.h>

namespace b2b::cluster {

std::shared_ptr<ChangeFeed> ChangeFeed::create(boost::asio::any_io_executor executor,
                                               RedisEndpoint endpoint, Handlers handlers,
                                               std::string own_node,
                                               RedisConnection::Options options) {
  return std::shared_ptr<ChangeFeed>(new ChangeFeed(
      std::move(executor), std::move(endpoint), std::move(handlers), std::move(own_node), options));
}

ChangeFeed::ChangeFeed(boost::asio::any_io_executor executor, RedisEndpoint endpoint,
                       Handlers handlers, std::string own_node, RedisConnection::Options options)
    : handlers_(std::move(handlers)),
      own_node_(std::move(own_node)),
      redis_(RedisConnection::create(std::move(executor), std::move(endpoint), options)) {}

void ChangeFeed::start() {
  // Handlers hold a weak pointer: the connection may outlive a ChangeFeed that was dropped.
  std::weak_ptr<ChangeFeed> weak = weak_from_this();
  redis_->subscribe({kChangeChannel}, [weak](std::string /*channel*/, std::string payload) {
    if (auto self = weak.lock()) self->on_message(payload);
  });
  redis_->on_ready([weak] {
    if (auto self = weak.lock()) self->on_subscribed();
  });
  redis_->start();
}

void ChangeFeed::stop() {
  redis_->stop();
}

void ChangeFeed::on_subscribed() {
  // The first subscription needs no resync: the node loads its state after it.
  if (++subscriptions_ == 1) {
    if (handlers_.on_first_subscription) handlers_.on_first_subscription();
    return;
  }
  ++resyncs_;
  spdlog::info("change feed: re-subscribed after a lost connection; resyncing");
  if (handlers_.on_resync) handlers_.on_resync();
}

void ChangeFeed::on_message(const std::string& payload) {
  auto event = parse_change_event(payload);
  if (!event || (!own_node_.empty() && event->node == own_node_)) {
    ++ignored_;
    return;
  }
  ++events_;
  if (handlers_.on_change) handlers_.on_change(*event);
}

void publish_change(RedisConnection& redis, const ChangeEvent& event,
                    std::function<void(core::Result<int64_t>)> done) {
  redis.command({"PUBLISH", kChangeChannel, change_event_json(event)},
                [done = std::move(done)](core::Result<RedisReply> r) {
                  if (!r) return done(r.error());
                  done(r.value().integer);
                });
}

}  // namespace b2b::cluster
