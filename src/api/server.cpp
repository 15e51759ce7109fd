#include "api/server.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <functional>
#include <iostream>
#include <thread>

#include "api/agents_routes.h"
#include "api/alert_webhook.h"
#include "api/cluster_rooms.h"
#include "api/cluster_sync.h"
#include "api/cluster_webhooks.h"
#include "api/identity_services.h"
#include "api/logging.h"
#include "api/relay_state.h"
#include "api/router.h"
#include "api/shared_rate_limits.h"
#include "api/signed_sender.h"
#include "api/site_services.h"
#include "api/stored_seq_reservations.h"
#include "api/webhook_service.h"
#include "cluster/redis_endpoint.h"
#include "cluster/redis_store.h"
#include "core/clock.h"
#include "net/listener.h"
#include "net/tls_certificates.h"
#include "store/sqlite_store.h"

namespace b2b::api {
namespace {

constexpr int64_t kRateBucketIdleMs = 5 * 60 * 1000;  // §10.1: idle buckets are discarded
constexpr int64_t kRateSweepEveryMs = 60 * 1000;

// Every janitor interval: prune and evict on each shard's own thread (§2.3, §15).
class Janitor {
 public:
  Janitor(RelayState& state, SiteServices& site) : state_(state), site_(site) {}
  void start() {
    for (std::size_t i = 0; i < state_.pool().size(); ++i) {
      timers_.push_back(std::make_unique<boost::asio::steady_timer>(state_.pool().context(i)));
      boost::asio::post(state_.pool().context(i), [this, i] { arm(i); });
    }
  }
  void stop() {
    for (std::size_t i = 0; i < timers_.size(); ++i) {
      boost::asio::post(state_.pool().context(i), [t = timers_[i].get()] { t->cancel(); });
    }
  }

 private:
  void arm(std::size_t i) {
    timers_[i]->expires_after(std::chrono::milliseconds(state_.limits.janitor_interval_ms));
    timers_[i]->async_wait([this, i](boost::system::error_code ec) {
      if (ec) return;
      const int64_t now = core::wall_clock_ms();
      state_.shard(i).janitor(now);
      if (state_.ids) {  // §4.3: expired envelopes leave memory and the store
        identity::InboxChange change;
        state_.ids->inboxes[i]->janitor(now, &change);
        if (!change.dropped_ids.empty()) {
          state_.ids->store->delete_dms_older_than(now - state_.ids->inbox_limits.ttl_ms + 1,
                                                   [](auto) {});
        }
      }
      if (i == 0 && now - last_rate_sweep_ms_ >= kRateSweepEveryMs) {
        state_.keyed_rate.sweep(now, kRateBucketIdleMs);
        state_.global_rate.sweep(now, kRateBucketIdleMs);
        site_.reports.sweep(now, kRateBucketIdleMs);
        if (state_.webhooks) state_.webhooks->sweep(now);
        last_rate_sweep_ms_ = now;
      }
      arm(i);
    });
  }
  RelayState& state_;
  SiteServices& site_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers_;
  int64_t last_rate_sweep_ms_ = 0;
};

// §20.22: say goodbye to every stream and parked wait, then stop once they are gone.
class Shutdown {
 public:
  Shutdown(RelayState& state, net::Listener& listener, Janitor& janitor)
      : state_(state), listener_(listener), janitor_(janitor), timer_(state.pool().context(0)) {}

  void begin() {
    if (started_) return;
    started_ = true;
    spdlog::warn("shutting down: draining streams");
    listener_.stop();
    janitor_.stop();
    for (std::size_t i = 0; i < state_.pool().size(); ++i) {
      boost::asio::post(state_.pool().context(i), [this, i] {
        for (auto& s : state_.shard(i).release_all_subscribers()) s->close_going_away();
        for (auto& w : state_.shard(i).release_all_waiters()) w->answer_for_shutdown();
      });
    }
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::milliseconds(state_.config.shutdown_grace_ms);
    poll();
  }

 private:
  void poll() {
    timer_.expires_after(std::chrono::milliseconds(50));
    timer_.async_wait([this](boost::system::error_code) {
      const auto streams =
          state_.metrics.sse_connections.load() + state_.metrics.ws_connections.load();
      if (streams <= 0 || std::chrono::steady_clock::now() >= deadline_) {
        state_.pool().stop();
        return;
      }
      poll();
    });
  }

  RelayState& state_;
  net::Listener& listener_;
  Janitor& janitor_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  bool started_ = false;
};

// Opens the store under --data-dir and loads what it holds; the webhooks and their deliveries
// go to `webhook_state` for the WebhookService. nullptr (after one line on stderr naming the
// file) if the store cannot be used.
// The durable store: Redis in cluster mode (`redis` set), else SQLite under --data-dir.
core::Result<std::unique_ptr<store::Store>> open_store(const RelayConfig& config,
                                                       const cluster::RedisEndpoint* redis) {
  if (redis) {
    auto opened = cluster::open_redis_store(*redis);
    if (!opened) return opened.error();
    return std::unique_ptr<store::Store>(std::move(opened.value()));
  }
  auto opened = store::open_sqlite_store(config.data_dir);
  if (opened && config.store_max_bytes > 0) {
    store::set_sqlite_max_bytes(*opened.value(), config.store_max_bytes);
  }
  return opened;
}

std::unique_ptr<IdentityServices> open_identity_services(const RelayConfig& config,
                                                         const cluster::RedisEndpoint* redis,
                                                         std::size_t shards,
                                                         store::Snapshot& webhook_state) {
  auto opened = open_store(config, redis);
  if (!opened) {
    std::cerr << "bot2bot: " << opened.error().error << ": " << opened.error().detail << "\n";
    return nullptr;
  }
  auto ids = std::make_unique<IdentityServices>(std::move(opened.value()), config.identity, shards);
  auto snapshot = ids->store->load();
  if (!snapshot) {
    std::cerr << "bot2bot: " << snapshot.error().error << ": " << snapshot.error().detail << "\n";
    return nullptr;
  }
  store::Snapshot& s = snapshot.value();
  ids->registry.load(s.identities);
  load_directory(*ids, s.profiles, core::wall_clock_ms());
  for (const auto& d : s.dms) {
    ids->inboxes[std::hash<std::string_view>{}(d.recipient) % shards]->restore(
        d.recipient, envelope_from_record(d));
  }
  for (const auto& c : s.claim_cursors) ids->restored_cursors.add(c.handle, c.room_key, c.cursor);
  for (const auto& h : s.room_high_waters) ids->restored_high_water[h.room_key] = h.next_seq;
  webhook_state.webhooks = std::move(s.webhooks);
  webhook_state.webhook_deliveries = std::move(s.webhook_deliveries);
  return ids;
}

std::string without_trailing_slashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

std::string default_share_dir() {
  // An installed binary (the .deb: /usr/bin/bot2bot) finds its files in ../share/bot2bot; a
  // binary run from its build tree serves the source tree it was built from.
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / "share" / "bot2bot";
    if (std::filesystem::is_directory(installed / "web", ec)) return installed.string();
  }
  return BOT2BOT_DEFAULT_SHARE_DIR;
}

int run_server(const RelayConfig& config) {
  setup_logging(config.log_level);
  auto trusted = core::TrustedProxies::parse(config.trust_proxy);
  if (!trusted) {
    std::cerr << "bot2bot: --trust-proxy: " << trusted.error().detail << "\n";
    return 2;
  }
  std::error_code fs_ec;
  std::filesystem::create_directories(config.data_dir, fs_ec);
  if (fs_ec) {
    std::cerr << "bot2bot: cannot create data dir " << config.data_dir << ": " << fs_ec.message()
              << "\n";
    return 1;
  }

  if (!config.alert_webhook.empty()) {
    if (auto target = parse_webhook_url(config.alert_webhook); !target) {
      std::cerr << "bot2bot: --alert-webhook: " << target.error().detail << "\n";
      return 2;
    }
  }

  std::optional<cluster::RedisEndpoint> redis;
  if (!config.redis_url.empty()) {
    auto endpoint = cluster::parse_redis_url(config.redis_url);
    if (!endpoint) {
      std::cerr << "bot2bot: --redis: " << endpoint.error().detail << "\n";
      return 2;
    }
    redis = std::move(endpoint.value());
    if (!config.redis_password.empty()) redis->password = config.redis_password;
  }

  std::size_t threads = config.threads;
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  store::Snapshot webhook_state;
  auto ids = open_identity_services(config, redis ? &*redis : nullptr, threads, webhook_state);
  if (!ids) return 1;
  // In cluster mode Redis numbers every message (cluster_rooms.h): no local reservations.
  StoredSeqReservations reservations(*ids);
  RelayState state(config, std::move(trusted.value()), threads, redis ? nullptr : &reservations);
  state.ids = ids.get();
  state.sender_verifier = std::make_unique<SignedSenderVerifier>(*ids);
  net::ShardPool pool(threads);
  state.attach(pool);
  // Declared after the pool: it posts Redis replies to the pool's loops.
  std::unique_ptr<ClusterRooms> cluster_rooms;
  std::unique_ptr<ClusterSync> cluster_sync;
  std::unique_ptr<SharedRateLimits> shared_rate_limits;
  if (redis) {
    cluster_rooms = std::make_unique<ClusterRooms>(state, *redis, ids->room_key_secret);
    if (auto started = cluster_rooms->start(std::chrono::seconds(10)); !started) {
      std::cerr << "bot2bot: --redis: " << started.error().error << ": " << started.error().detail
                << "\n";
      return 1;
    }
    state.cluster = cluster_rooms.get();
    cluster_sync = std::make_unique<ClusterSync>(
        state, *ids, dynamic_cast<cluster::RedisStore&>(*ids->store), *redis);
    if (auto started = cluster_sync->start(std::chrono::seconds(10)); !started) {
      std::cerr << "bot2bot: --redis: " << started.error().detail << "\n";
      return 1;
    }
    ids->nonce_claimer = cluster_sync.get();
    if (config.global_rate_limits) {
      shared_rate_limits =
          std::make_unique<SharedRateLimits>(state, *cluster_rooms, ids->room_key_secret);
      shared_rate_limits->start();
    }
  }
  // Declared after the pool so it is destroyed before it: callbacks still queued on the
  // webhook thread hold replies whose sockets belong to the pool's loops.
  WebhookService webhooks(*ids->store, ids->room_key_secret, config.webhooks);
  // Cluster mode: the other nodes' hooks, and one owner per stored delivery (cluster_webhooks.h).
  std::unique_ptr<ClusterWebhooks> cluster_webhooks;
  if (redis) {
    cluster_webhooks = std::make_unique<ClusterWebhooks>(
        webhooks, dynamic_cast<cluster::RedisStore&>(*ids->store), *cluster_rooms, *redis,
        std::chrono::milliseconds(config.webhooks.cluster_lease_ms));
  }
  webhooks.restore(webhook_state.webhooks, webhook_state.webhook_deliveries,
                   cluster_webhooks.get());
  webhooks.start();
  if (cluster_webhooks) {
    if (auto started = cluster_webhooks->start(std::chrono::seconds(10)); !started) {
      std::cerr << "bot2bot: --redis: " << started.error().detail << "\n";
      webhooks.stop();
      return 1;
    }
  }
  state.webhooks = &webhooks;
  const std::string share_dir = config.share_dir.empty() ? default_share_dir() : config.share_dir;
  if (!std::filesystem::is_regular_file(std::filesystem::path(share_dir) / "docs/openapi.json")) {
    // Not fatal: the API works; the SDK, docs and Swagger pages answer 500 until it is fixed.
    spdlog::warn("share dir {} has no docs/openapi.json: set --share-dir", share_dir);
  }
  SiteServices site(config, share_dir);
  Router router(state, site);
  net::HttpLimits http_limits;
  http_limits.body_limit = static_cast<uint64_t>(config.limits.body_limit_bytes);
  http_limits.header_limit = static_cast<uint32_t>(config.header_limit_bytes);
  http_limits.keepalive_timeout_s = config.keepalive_timeout_s;
  http_limits.request_line_limit = config.request_line_limit_bytes;
  http_limits.header_count_limit = config.header_count_limit;
  http_limits.header_timeout_s = config.header_timeout_s;
  // A trusted proxy's connections carry many clients: they are limited by forwarded address.
  net::Listener listener(pool, router, http_limits, config.conn_cap_per_ip,
                         [&trusted = state.trusted_proxies](const std::string& address) {
                           return trusted.trusts(address);
                         });

  std::shared_ptr<net::TlsCertificates> tls;
  if (!config.tls_cert.empty()) {
    auto opened = net::TlsCertificates::open(config.tls_cert, config.tls_key);
    if (auto* error = std::get_if<std::string>(&opened)) {
      std::cerr << "bot2bot: " << *error << "\n";
      return 1;
    }
    tls = std::get<std::shared_ptr<net::TlsCertificates>>(std::move(opened));
    listener.serve_tls(tls);
  }
  const std::string scheme = tls ? "https://" : "http://";

  boost::asio::ip::tcp::endpoint ep;
  try {
    ep = listener.bind(config.host, config.port);
  } catch (const std::exception& e) {
    std::cerr << "bot2bot: cannot listen on " << config.host << ":" << config.port << ": "
              << e.what() << "\n";
    return 1;
  }
  std::string host =
      ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  site.public_url = without_trailing_slashes(config.public_url.empty()
                                                 ? scheme + host + ":" + std::to_string(ep.port())
                                                 : config.public_url);
  listener.start();
  Janitor janitor(state, site);
  janitor.start();
  Shutdown shutdown(state, listener, janitor);
  boost::asio::signal_set signals(pool.context(0), SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) shutdown.begin();
  });
  // SIGHUP re-reads the TLS pair: new connections get it, open ones keep theirs, and a pair
  // that fails to load leaves the current one in use. Without TLS, SIGHUP keeps its default.
  boost::asio::signal_set reload_signals(pool.context(0));
  std::function<void()> reload_on_sighup = [&] {
    reload_signals.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      if (auto error = tls->reload()) {
        spdlog::warn("SIGHUP: keeping the current TLS certificate: {}", *error);
      } else {
        spdlog::info("SIGHUP: TLS certificate and key reloaded from {}", tls->cert_file());
      }
      reload_on_sighup();
    });
  };
  if (tls) {
    reload_signals.add(SIGHUP);
    reload_on_sighup();
  }

  // §14.4: the old test harnesses wait for this exact phrase on stdout (https:// with TLS).
  // Written in one piece: the Redis threads may log meanwhile, and a line cut by theirs would
  // not be recognised.
  const std::string listening =
      "Bot2Bot.chat listening on " + scheme + host + ":" + std::to_string(ep.port()) + " (" +
      std::to_string(threads) + " threads, data in " +
      (redis ? "redis " + redis->host + ":" + std::to_string(redis->port) : config.data_dir) +
      ")\n";
  std::cout << listening << std::flush;
  pool.run();
  // Anything still registered with a room (a stream that outlived the drain deadline, a wait
  // parked during it) goes now, while its event loop still exists.
  for (std::size_t i = 0; i < threads; ++i) {
    state.shard(i).release_all_subscribers();
    state.shard(i).release_all_waiters();
    ids->inboxes[i]->release_all_waiters();
  }
  if (cluster_webhooks) {  // hands this node's pending deliveries to the others at once
    webhooks.stop();
    cluster_webhooks->stop();
  }
  if (cluster_sync) cluster_sync->stop();
  if (cluster_rooms) cluster_rooms->stop();
  webhooks.stop();      // pending deliveries are in the store and resume at the next start
  ids->store->close();  // every acknowledged write is already committed; this is the rest
  flush_logs();
  spdlog::shutdown();
  return 0;
}

}  // namespace b2b::api
