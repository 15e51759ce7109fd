// The state every request handler shares: configuration, the domain shards (one per event
// loop), the cross-shard limiters and counters. Handlers reach a room by posting work to
// its shard with `on_shard`, never by touching it from elsewhere.
#pragma once

#include <boost/asio/post.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/relay_config.h"
#include "core/byte_budget.h"
#include "core/client_ip.h"
#include "core/clock.h"
#include "core/limiters.h"
#include "core/metrics.h"
#include "core/room_shard.h"
#include "core/sender_verifier.h"
#include "net/shard_pool.h"

namespace b2b::api {

struct IdentityServices;
class WebhookService;
class ClusterRooms;

class RelayState {
 public:
  // The state outlives the event loops (handlers destroyed with a loop may still hold slots
  // of its limiters), so the pool is attached after construction.
  RelayState(const RelayConfig& config, core::TrustedProxies trusted, std::size_t shards,
             core::SeqReservations* reservations = nullptr);
  void attach(net::ShardPool& pool) { pool_ = &pool; }
  net::ShardPool& pool() { return *pool_; }

  const RelayConfig& config;
  const core::RelayLimits& limits;
  const core::TrustedProxies trusted_proxies;
  core::Metrics metrics;
  core::ByteBudget budget;
  core::RoomCount room_count;
  core::RateLimiter keyed_rate;
  core::RateLimiter global_rate;
  core::ConcurrencyLimiter streams_per_ip;
  core::ConcurrencyLimiter waiters_per_ip;
  std::unique_ptr<core::SenderVerifier> sender_verifier;
  IdentityServices* ids = nullptr;     // identities, store, inboxes (owned by run_server)
  WebhookService* webhooks = nullptr;  // issue 10 (owned by run_server)
  ClusterRooms* cluster = nullptr;     // `serve --redis` (owned by run_server); null: one node
  const int64_t started_ms;

  std::size_t shard_of(std::string_view room_id) const;
  core::RoomShard& shard(std::size_t index) { return *shards_[index]; }

  // Runs `work(shard)` on shard `s`'s thread: inline when the caller already is that
  // thread, otherwise posted to it. Take `s = shard_of(id)` in a statement of its own when
  // `work` captures the id by move (argument evaluation order is unspecified).
  template <class Work>
  void on_shard(std::size_t s, Work&& work) {
    if (net::ShardPool::current_shard() == s) {
      work(*shards_[s]);
    } else {
      boost::asio::post(pool_->context(s),
                        [this, s, w = std::forward<Work>(work)]() mutable { w(*shards_[s]); });
    }
  }

  // Calls `then(core::Result<core::Room*>)` on shard `s` (where the caller must be) with the
  // room `id`, creating it if needed. At the global room cap, when shard `s` has no idle room
  // to evict, the other shards are asked in turn to evict one of theirs (§2.3, §20.18), so
  // the cap is global, not per shard.
  // In cluster mode the room is loaded from Redis first (cluster_rooms.h).
  template <class Then>
  void get_or_create_room(std::size_t s, std::string_view id, Then&& then, std::size_t asked = 0) {
    if (cluster) return cluster_room(s, id, true, std::forward<Then>(then));
    auto room = shards_[s]->get_or_create(id, core::wall_clock_ms());
    if (room || asked + 1 >= shards_.size() || room.error().error != "room cap reached") {
      return then(std::move(room));
    }
    const std::size_t other = (s + asked + 1) % shards_.size();
    boost::asio::post(pool_->context(other), [this, s, other, asked, id = std::string(id),
                                              then = std::forward<Then>(then)]() mutable {
      shards_[other]->evict_oldest_idle(core::wall_clock_ms());
      boost::asio::post(pool_->context(s),
                        [this, s, asked, id = std::move(id), then = std::move(then)]() mutable {
                          get_or_create_room(s, id, std::move(then), asked + 1);
                        });
    });
  }

  // Calls `then(core::Result<core::Room*>)` on shard `s` (where the caller must be) with the
  // room `id`, or nullptr if there is none. Never creates one. In cluster mode a room this node
  // does not serve yet is loaded from Redis first; the error then means Redis is unreachable.
  template <class Then>
  void find_room(std::size_t s, std::string_view id, Then&& then) {
    if (cluster) return cluster_room(s, id, false, std::forward<Then>(then));
    then(core::Result<core::Room*>(shards_[s]->find(id)));
  }

  // §10.1: the keyed bucket first, then the per-IP global bucket. False = 429.
  bool allow_rate(const std::string& ip, std::string_view key, int64_t now_ms);

 private:
  using RoomThen = std::function<void(core::Result<core::Room*>)>;
  // `then` may be move-only (it holds the request's reply): it is kept behind a shared_ptr.
  template <class Then>
  void cluster_room(std::size_t s, std::string_view id, bool create, Then&& then) {
    auto held = std::make_shared<std::decay_t<Then>>(std::forward<Then>(then));
    cluster_room_impl(s, std::string(id), create,
                      [held](core::Result<core::Room*> room) { (*held)(std::move(room)); });
  }
  void cluster_room_impl(std::size_t s, std::string id, bool create, RoomThen then);

  std::vector<std::unique_ptr<core::RoomShard>> shards_;
  net::ShardPool* pool_ = nullptr;
};

}  // namespace b2b::api
