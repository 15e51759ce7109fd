#include "api/cluster_webhooks.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <future>
#include <unordered_map>
#include <unordered_set>

#include "api/cluster_rooms.h"
#include "cluster/redis_store.h"
#include "core/clock.h"

namespace b2b::api {
namespace {

// How soon a failed re-read of the hooks (the store's connection is down) is tried again.
constexpr std::chrono::milliseconds kRereadRetry{250};
// How long a graceful stop waits for Redis to take the lease back.
constexpr std::chrono::seconds kGiveBackWait{1};
// The longest a live node may take to reconnect once Redis is back (RedisConnection's backoff
// reaches 5 s, ±20 %): after an outage no node is taken over before the others could renew.
constexpr std::chrono::seconds kReconnectSlack{6};

// KEYS[1] this node's lease, KEYS[2] the nodes set, KEYS[3] this node's owned set;
// ARGV[1] node id, ARGV[2] lease ms. 1 = renewed; otherwise the lease had lapsed (or is new):
// it is taken again and the reply is what this node still owns.
constexpr const char* kRenewScript = R"lua(#!lua
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[2], 'XX') then return 1 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return redis.call('SMEMBERS', KEYS[3])
)lua";

// KEYS[1] the nodes set; ARGV[1] node id, ARGV[2] lease key prefix, ARGV[3] owned set prefix.
// Moves the owned sets of every node whose lease lapsed to this node; replies the moved ids.
constexpr const char* kTakeOverScript = R"lua(#!lua
local taken = {}
for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if n ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. n) == 0 then
    local owned = ARGV[3] .. n
    for _, id in ipairs(redis.call('SMEMBERS', owned)) do
      redis.call('SADD', ARGV[3] .. ARGV[1], id)
      taken[#taken + 1] = id
    end
    redis.call('DEL', owned)
    redis.call('SREM', KEYS[1], n)
  end
end
return taken
)lua";

// KEYS[1] the nodes set; ARGV[1] node id, ARGV[2] owned set prefix, ARGV[3…] delivery ids.
// Takes the ids that no node's set holds; replies them.
constexpr const char* kAdoptScript = R"lua(#!lua
local nodes = redis.call('SMEMBERS', KEYS[1])
local adopted = {}
for i = 3, #ARGV do
  local owned = false
  for _, n in ipairs(nodes) do
    if redis.call('SISMEMBER', ARGV[2] .. n, ARGV[i]) == 1 then
      owned = true
      break
    end
  end
  if not owned then
    redis.call('SADD', ARGV[2] .. ARGV[1], ARGV[i])
    adopted[#adopted + 1] = ARGV[i]
  end
end
return adopted
)lua";

std::vector<std::string> strings_of(const cluster::RedisReply& reply) {
  std::vector<std::string> out;
  for (const auto& e : reply.elements) out.push_back(e.str);
  return out;
}

template <class T>
core::Result<T> wait_for(std::future<core::Result<T>> f,
                         std::chrono::steady_clock::time_point deadline, const char* what) {
  if (f.wait_until(deadline) != std::future_status::ready) {
    return core::Error{cluster::kRedisUnavailable, std::string(what) + ": no answer"};
  }
  return f.get();
}

}  // namespace

ClusterWebhooks::ClusterWebhooks(WebhookService& service, cluster::RedisStore& store,
                                 ClusterRooms& rooms, cluster::RedisEndpoint endpoint,
                                 std::chrono::milliseconds lease)
    : service_(service),
      store_(store),
      rooms_(rooms),
      endpoint_(std::move(endpoint)),
      lease_(lease),
      node_(rooms.node_id()),
      lease_key_(kLeasePrefix + node_),
      owned_key_(kOwnedPrefix + node_),
      renew_script_(kRenewScript),
      take_over_script_(kTakeOverScript),
      adopt_script_(kAdoptScript),
      work_(ioc_.get_executor()) {}

ClusterWebhooks::~ClusterWebhooks() {
  stop();
}

core::Result<bool> ClusterWebhooks::start(std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  using Reply = core::Result<cluster::RedisReply>;
  // The lease comes first: a delivery claimed before it would look abandoned to the others.
  auto leased = std::make_shared<std::promise<Reply>>();
  rooms_.on_redis([this, leased](const std::shared_ptr<cluster::RedisConnection>& redis) {
    renew_script_.run(redis, {lease_key_, kNodesKey, owned_key_},
                      {node_, std::to_string(lease_.count())},
                      [leased](Reply r) { leased->set_value(std::move(r)); });
  });
  if (auto r = wait_for(leased->get_future(), deadline, "webhook lease"); !r) {
    return r.error();
  } else if (r.value().is_error()) {
    return core::Error{"storage error", "webhook lease: " + r.value().str};
  }

  auto subscribed = std::make_shared<std::promise<Reply>>();
  boost::asio::post(ioc_, [this, subscribed] {
    cluster::ChangeFeed::Handlers handlers;
    handlers.on_change = [this](const cluster::ChangeEvent& e) { on_change(e); };
    handlers.on_resync = [this] { reread_hooks(); };
    handlers.on_first_subscription = [subscribed] { subscribed->set_value(cluster::RedisReply{}); };
    feed_ = cluster::ChangeFeed::create(ioc_.get_executor(), endpoint_, std::move(handlers),
                                        store_.node_id());
    feed_->start();
    renewal_ = std::make_unique<boost::asio::steady_timer>(ioc_);
  });
  thread_ = std::thread([this] { ioc_.run(); });
  if (auto r = wait_for(subscribed->get_future(), deadline, "webhook change feed"); !r) {
    return r.error();
  }

  // Anything stored between the start-up snapshot and the subscription is in this one.
  const int64_t read_at = core::wall_clock_ms();
  auto snapshot = store_.load();
  if (!snapshot) return snapshot.error();
  service_.replace_hooks(snapshot.value().webhooks, read_at);
  std::unordered_map<std::string, store::WebhookDeliveryRecord> pending;
  std::vector<std::string> args{node_, kOwnedPrefix};
  for (auto& d : snapshot.value().webhook_deliveries) {
    if (d.state != "pending") continue;
    args.push_back(d.id);
    pending.emplace(d.id, std::move(d));
  }
  if (!pending.empty()) {
    auto adopted = std::make_shared<std::promise<Reply>>();
    rooms_.on_redis([this, adopted, args = std::move(args)](
                        const std::shared_ptr<cluster::RedisConnection>& redis) {
      adopt_script_.run(redis, {kNodesKey}, args,
                        [adopted](Reply r) { adopted->set_value(std::move(r)); });
    });
    auto r = wait_for(adopted->get_future(), deadline, "webhook deliveries");
    if (!r) return r.error();
    if (r.value().is_error()) return core::Error{"storage error", r.value().str};
    for (const auto& id : strings_of(r.value())) service_.adopt(std::move(pending.at(id)));
  }
  boost::asio::post(ioc_, [this] { arm_renewal(); });
  return true;
}

void ClusterWebhooks::stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(ioc_, [this] {
    if (feed_) feed_->stop();
    if (renewal_) renewal_->cancel();
    work_.reset();
  });
  thread_.join();
  // No renewal follows: the lease is given back, and the deliveries this node owned are taken
  // over at the others' next renewal (they are stored; the WebhookService has stopped).
  auto given_back = std::make_shared<std::promise<void>>();
  rooms_.on_redis([this, given_back](const std::shared_ptr<cluster::RedisConnection>& redis) {
    redis->command({"DEL", lease_key_}, [given_back](auto) { given_back->set_value(); });
  });
  given_back->get_future().wait_for(kGiveBackWait);
}

void ClusterWebhooks::claim(const std::string& delivery_id, std::function<void()> then) {
  rooms_.on_redis([this, delivery_id,
                   then = std::move(then)](const std::shared_ptr<cluster::RedisConnection>& redis) {
    redis->command({"SADD", owned_key_, delivery_id}, [then](auto r) {
      if (!r) spdlog::warn("webhooks: could not record a delivery's owner: {}", r.error().detail);
      then();
    });
  });
}

void ClusterWebhooks::release(const std::string& delivery_id) {
  rooms_.on_redis([this, delivery_id](const std::shared_ptr<cluster::RedisConnection>& redis) {
    redis->command({"SREM", owned_key_, delivery_id}, [](auto) {});
  });
}

// --- hooks written by other nodes --------------------------------------------------------

void ClusterWebhooks::on_change(const cluster::ChangeEvent& e) {
  // Deliveries are sent by their owner; the others need not hear of them.
  if (e.kind != cluster::kChangeWebhook || e.id.empty()) return;
  store_.read_webhook(e.id, [this, id = e.id](auto r) {
    if (!r) return reread_hooks_later();
    if (r.value()) {
      service_.apply_hook(std::move(*r.value()));
    } else {
      service_.forget_hook(id);
    }
  });
}

void ClusterWebhooks::reread_hooks() {
  // Events published while the feed was away are gone. load() blocks: it runs here, on the
  // feed's thread, never on the store's.
  const int64_t read_at = core::wall_clock_ms();
  auto snapshot = store_.load();
  if (!snapshot) return reread_hooks_later();
  service_.replace_hooks(std::move(snapshot.value().webhooks), read_at);
}

void ClusterWebhooks::reread_hooks_later() {
  boost::asio::post(ioc_, [this] {
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, kRereadRetry);
    timer->async_wait([this, timer](boost::system::error_code ec) {
      if (!ec) reread_hooks();
    });
  });
}

// --- the lease and taking over -----------------------------------------------------------

void ClusterWebhooks::arm_renewal() {
  renewal_->expires_after(lease_ / 3);
  renewal_->async_wait([this](boost::system::error_code ec) {
    if (!ec) renew();
  });
}

void ClusterWebhooks::renew() {
  rooms_.on_redis([this](const std::shared_ptr<cluster::RedisConnection>& redis) {
    renew_script_.run(
        redis, {lease_key_, kNodesKey, owned_key_}, {node_, std::to_string(lease_.count())},
        [this](core::Result<cluster::RedisReply> r) {
          boost::asio::post(ioc_, [this, r = std::move(r)]() mutable { renewed(std::move(r)); });
        });
  });
}

void ClusterWebhooks::renewed(core::Result<cluster::RedisReply> reply) {
  if (!reply || reply.value().is_error()) return arm_renewal();  // Redis away: try next time
  if (reply.value().type == cluster::RedisReply::Type::kArray) {
    // Redis was out of reach for longer than the lease: another node may have taken this
    // node's deliveries (and sends them now); keep what is still ours.
    spdlog::warn(
        "webhooks: this node's delivery lease had lapsed; keeping the deliveries "
        "still owned");
    auto owned = strings_of(reply.value());
    service_.keep_only(std::unordered_set<std::string>(owned.begin(), owned.end()));
    // After an outage of Redis every node's lease lapsed, and the others may still be
    // reconnecting: they are not dead. Nothing is taken over until they could have renewed.
    no_take_over_until_ = std::chrono::steady_clock::now() + lease_ + kReconnectSlack;
  }
  if (std::chrono::steady_clock::now() < no_take_over_until_) return arm_renewal();
  take_over();
}

void ClusterWebhooks::take_over() {
  rooms_.on_redis([this](const std::shared_ptr<cluster::RedisConnection>& redis) {
    take_over_script_.run(redis, {kNodesKey}, {node_, kLeasePrefix, kOwnedPrefix},
                          [this](core::Result<cluster::RedisReply> r) {
                            std::vector<std::string> taken;
                            if (r && !r.value().is_error()) taken = strings_of(r.value());
                            boost::asio::post(ioc_, [this, taken = std::move(taken)]() mutable {
                              if (!taken.empty()) {
                                spdlog::info(
                                    "webhooks: took over {} deliveries of a node that stopped",
                                    taken.size());
                              }
                              taken.insert(taken.end(), unread_.begin(), unread_.end());
                              unread_.clear();
                              resume(std::move(taken));
                              arm_renewal();
                            });
                          });
  });
}

void ClusterWebhooks::resume(std::vector<std::string> ids) {
  for (auto& id : ids) {
    store_.read_webhook_delivery(id, [this, id](auto r) {
      if (!r) {
        boost::asio::post(ioc_, [this, id] { unread_.push_back(id); });  // next renewal
      } else if (r.value()) {
        service_.adopt(std::move(*r.value()));
      } else {
        release(id);  // deleted with its hook meanwhile
      }
    });
  }
}

}  // namespace b2b::api
