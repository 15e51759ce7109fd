// Webhooks (issue 10): a handle's DM hook and room message subscriptions, their verification,
// and at-least-once delivery with retries. Everything runs on the service's own thread (its
// own io_context), so neither a room's executor nor a connection's loop ever waits for a
// receiver; callers post work here and get their answer through a callback.
//
// Durability: hooks and DM deliveries are in the Store (a DM delivery is durable before the
// DM's POST is answered 200, and survives restarts with its retry state). Room message
// deliveries are retried in memory only: room content never reaches a Store (store.h).
//
// Cluster mode (cluster_webhooks.h): hooks written by other nodes arrive through apply_hook /
// forget_hook / replace_hooks; a stored delivery is sent only by the node that owns it
// (DeliveryOwners), so no delivery is resumed by every node that loads it.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/webhook_http.h"
#include "api/webhook_settings.h"
#include "core/message.h"
#include "core/result.h"
#include "core/token_bucket.h"
#include "identity/inbox.h"
#include "store/store.h"

namespace b2b::api {

// Error texts the routes map to statuses: "bad webhook URL", "webhook address refused",
// "webhook verification failed" (400), "too many webhooks" (429), "no such webhook" (404),
// and the store's "storage …" errors (503).
using HookAnswer = std::function<void(core::Result<boost::json::object>)>;

// Cluster mode: which node sends a stored (DM) delivery. Without one (a single node) this node
// owns every delivery it stores or loads. Callable from any thread.
class DeliveryOwners {
 public:
  virtual ~DeliveryOwners() = default;
  // Records this node as the owner of a new delivery; `then` runs (on any thread) once that is
  // recorded or failed — the delivery is stored only after it, so a node that loads it at start
  // can tell that it has an owner.
  virtual void claim(const std::string& delivery_id, std::function<void()> then) = 0;
  // The delivery finished or is gone: no node has to resume it.
  virtual void release(const std::string& delivery_id) = 0;
};

class WebhookService {
 public:
  WebhookService(store::Store& store, std::string room_key_secret, WebhookSettings settings);
  ~WebhookService();
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  // Before start(): what the store held at start-up. Pending deliveries resume — unless
  // `owners` is set (cluster mode): then they resume only when handed to adopt().
  void restore(const std::vector<store::WebhookRecord>& hooks,
               const std::vector<store::WebhookDeliveryRecord>& deliveries,
               DeliveryOwners* owners = nullptr);
  void start();
  // Drops in-flight calls (their state is in the store) and joins the thread.
  void stop();

  // PUT /api/identity/:handle/webhook: verify, then replace the handle's DM hook.
  // Answers {"ok":true,"secret","hook_id","url"}.
  void set_dm_hook(std::string handle, std::string url, HookAnswer answer);
  void get_dm_hook(std::string handle, HookAnswer answer);
  void delete_dm_hook(std::string handle, HookAnswer answer);

  // POST /api/rooms/:id/webhooks and DELETE …/webhooks/:hook_id (only the owner may delete).
  void add_room_hook(std::string handle, std::string room_id, std::string url, HookAnswer answer);
  void delete_room_hook(std::string handle, std::string room_id, std::string hook_id,
                        HookAnswer answer);

  // After a DM is durable: records a delivery if `handle` has a hook and calls `then` once
  // that record is durable too (at once, from this thread, when there is no hook).
  void enqueue_dm(const std::string& handle, const identity::Envelope& envelope,
                  std::function<void()> then);
  // After a room post: delivers to the room's subscribers. Cheap when no room has hooks.
  void enqueue_room_message(std::string room_id, core::MessagePtr message);

  // Janitor: forgets finished deliveries older than the retry window in the store.
  void sweep(int64_t now_ms);

  // Cluster mode: another node stored or deleted a hook (nothing is written here). Of two DM
  // hooks of one handle the newer (created_at, then id) wins on every node.
  void apply_hook(store::WebhookRecord record);
  void forget_hook(std::string id);
  // After a lost change feed: the hooks the store held at `read_at_ms` (hooks made here since
  // are kept).
  void replace_hooks(std::vector<store::WebhookRecord> hooks, int64_t read_at_ms);
  // A stored delivery this node now owns (taken over from a dead node): sent if still pending.
  void adopt(store::WebhookDeliveryRecord record);
  // This node's ownership lapsed: stored deliveries not in `owned` belong to another node now.
  void keep_only(std::unordered_set<std::string> owned);

 private:
  struct Hook {
    store::WebhookRecord record;
    HookUrl url;
    std::deque<store::WebhookDeliveryRecord> history;  // newest first
    std::size_t pending = 0;
    std::size_t in_flight = 0;
    std::deque<std::string> waiting;  // due while in_flight was at its cap
  };
  struct Delivery {
    store::WebhookDeliveryRecord record;
    bool durable = false;  // DM deliveries are mirrored in the store; room ones are not
    std::unique_ptr<boost::asio::steady_timer> timer;
  };

  template <class Work>
  void run(Work&& work);

  Hook* add_hook(store::WebhookRecord record);
  void add_stored_hook(store::WebhookRecord record);
  void remove_hook(std::string id, store::Done done);
  bool drop_hook(const std::string& id);
  void verify_then(std::string url, std::function<void(core::Result<HookUrl>)> next);
  void persist_new_hook(store::WebhookRecord record, HookAnswer answer);
  std::size_t room_hooks_of(const std::string& handle) const;

  void add_delivery(Hook& hook, std::string id, std::string body, bool durable, int64_t now,
                    store::Done persisted);
  void schedule(const std::string& id, int64_t at_ms);
  void pump();
  boost::asio::ssl::context& tls();
  void attempt(Delivery& delivery);
  void finish_attempt(const std::string& id, const std::string& hook_id,
                      core::Result<HookResponse> result);
  void save(const Delivery& delivery);

  store::Store& store_;
  DeliveryOwners* owners_ = nullptr;  // cluster mode only
  const std::string room_key_secret_;
  const WebhookSettings settings_;
  std::atomic<std::size_t> dm_hooks_{0};
  std::atomic<std::size_t> room_hooks_{0};

  boost::asio::io_context io_;
  // Created by tls() at the first delivery; used only on the webhook thread.
  std::optional<boost::asio::ssl::context> tls_;
  std::unordered_map<std::string, Hook> hooks_;                        // by hook id
  std::unordered_map<std::string, std::string> dm_hook_of_;            // handle -> hook id
  std::unordered_map<std::string, std::vector<std::string>> by_room_;  // room key -> hook ids
  std::unordered_map<std::string, Delivery> deliveries_;               // pending, by id
  std::deque<std::string> ready_;                                      // due, awaiting a slot
  std::size_t in_flight_ = 0;
  core::TokenBucket bucket_;
  boost::asio::steady_timer pump_timer_;
  bool pump_armed_ = false;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace b2b::api
