#include "api/cluster_sync.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <future>

#include "api/agents_routes.h"
#include "api/identity_services.h"
#include "api/relay_state.h"
#include "cluster/redis_store.h"
#include "core/clock.h"

namespace b2b::api {
namespace {

// How soon a failed re-read of the store (after a lost subscription) is tried again.
constexpr std::chrono::milliseconds kResyncRetry{250};

}  // namespace

ClusterSync::ClusterSync(RelayState& state, IdentityServices& ids, cluster::RedisStore& store,
                         cluster::RedisEndpoint endpoint)
    : state_(state),
      ids_(ids),
      store_(store),
      endpoint_(std::move(endpoint)),
      work_(ioc_.get_executor()) {}

ClusterSync::~ClusterSync() {
  stop();
}

core::Result<bool> ClusterSync::start(std::chrono::milliseconds wait) {
  auto subscribed = std::make_shared<std::promise<void>>();
  boost::asio::post(ioc_, [this, subscribed] {
    cluster::ChangeFeed::Handlers handlers;
    handlers.on_change = [this](const cluster::ChangeEvent& e) { on_change(e); };
    handlers.on_resync = [this] { resync(); };
    handlers.on_first_subscription = [subscribed] { subscribed->set_value(); };
    feed_ = cluster::ChangeFeed::create(ioc_.get_executor(), endpoint_, std::move(handlers),
                                        store_.node_id());
    feed_->start();
    commands_ = cluster::RedisConnection::create(ioc_.get_executor(), endpoint_);
    commands_->start();
  });
  thread_ = std::thread([this] { ioc_.run(); });
  if (subscribed->get_future().wait_for(wait) != std::future_status::ready) {
    return core::Error{cluster::kRedisUnavailable, "the change feed did not subscribe"};
  }
  return true;
}

void ClusterSync::stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(ioc_, [this] {
    if (feed_) feed_->stop();
    if (commands_) commands_->stop();
    work_.reset();
  });
  thread_.join();
}

void ClusterSync::claim(std::string key, int64_t ttl_ms, Claimed done) {
  boost::asio::post(ioc_, [this, key = std::move(key), ttl_ms, done = std::move(done)]() mutable {
    commands_->command({"SET", std::move(key), "1", "NX", "PX", std::to_string(ttl_ms)},
                       [done = std::move(done)](core::Result<cluster::RedisReply> r) {
                         if (!r) return done(r.error());
                         // "OK" when this SET created the key; nil when it existed.
                         done(r.value().type != cluster::RedisReply::Type::kNil);
                       });
  });
}

void ClusterSync::on_change(const cluster::ChangeEvent& e) {
  if (e.kind == cluster::kChangeIdentity) return apply_identity(e.handle);
  if (e.kind == cluster::kChangeProfile) return apply_profile(e.handle);
  if (e.kind == cluster::kChangeDm) {
    if (e.seq > 0) return apply_inbox(e.handle);  // inserted: read the inbox back
    if (!e.id.empty()) return remove_dm(e.handle, e.id);
  }
  // Cursors, high-water marks and webhooks are read where they are used; TTL sweeps run on
  // every node's own janitor.
}

void ClusterSync::apply_identity(const std::string& handle) {
  store_.read_identity(handle, [this, handle](auto r) {
    if (!r) return reread_all_later(r.error().detail);
    if (r.value()) {
      ids_.registry.load({*r.value()});
    } else {
      ids_.registry.forget(handle);
      ids_.directory.remove(handle);
    }
    applied_.fetch_add(1, std::memory_order_relaxed);
  });
}

void ClusterSync::apply_profile(const std::string& handle) {
  store_.read_profile(handle, [this, handle](auto r) {
    if (!r) return reread_all_later(r.error().detail);
    if (r.value()) {
      load_directory(ids_, {*r.value()}, core::wall_clock_ms());
    } else {
      ids_.directory.remove(handle);
    }
    applied_.fetch_add(1, std::memory_order_relaxed);
  });
}

void ClusterSync::apply_inbox(const std::string& handle) {
  store_.read_inbox(handle, [this](core::Result<std::vector<store::DmRecord>> r) {
    if (!r) return reread_all_later(r.error().detail);
    merge_dms(std::move(r.value()));
  });
}

void ClusterSync::merge_dms(std::vector<store::DmRecord> records) {
  for (auto& d : records) {
    const std::size_t s = state_.shard_of(d.recipient);
    boost::asio::post(state_.pool().context(s), [this, s, d = std::move(d)] {
      if (ids_.inboxes[s]->merge(d.recipient, envelope_from_record(d), core::wall_clock_ms())) {
        applied_.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
}

void ClusterSync::remove_dm(const std::string& handle, const std::string& id) {
  const std::size_t s = state_.shard_of(handle);
  boost::asio::post(state_.pool().context(s),
                    [this, s, handle, id] { ids_.inboxes[s]->remove(handle, id); });
}

void ClusterSync::reread_all_later(const std::string& why) {
  // A record named by an event could not be read (the store's connection is down): read the
  // whole store again once it is back, so the change is not lost. Runs on the store's thread.
  spdlog::warn("cluster: could not re-read a changed record ({}); re-reading the store", why);
  boost::asio::post(ioc_, [this] {
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, kResyncRetry);
    timer->async_wait([this, timer](boost::system::error_code ec) {
      if (!ec) resync();
    });
  });
}

void ClusterSync::resync() {
  // Events published while the feed was away are gone: read the store again. load() blocks on
  // the store's thread, so it runs here, on the feed's.
  auto snapshot = store_.load();
  if (!snapshot) {
    // The store's own connection may still be reconnecting (Redis just came back): try again
    // shortly rather than miss what was written meanwhile.
    spdlog::warn("cluster: re-reading the store after a lost subscription failed: {}; retrying",
                 snapshot.error().detail);
    auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, kResyncRetry);
    timer->async_wait([this, timer](boost::system::error_code ec) {
      if (!ec) resync();
    });
    return;
  }
  spdlog::info("cluster: change feed back; re-read {} identities, {} profiles, {} DMs",
               snapshot.value().identities.size(), snapshot.value().profiles.size(),
               snapshot.value().dms.size());
  ids_.registry.load(snapshot.value().identities);
  load_directory(ids_, snapshot.value().profiles, core::wall_clock_ms());
  merge_dms(std::move(snapshot.value().dms));
}

}  // namespace b2b::api
