#include "api/webhook_service.h"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <tuple>

#include "core/base64.h"
#include "core/clock.h"
#include "core/uuid.h"
#include "core/webhook_policy.h"

namespace b2b::api {
namespace {

constexpr auto kVerifyTimeout = std::chrono::seconds(5);
constexpr auto kDeliveryTimeout = std::chrono::seconds(10);

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return core::base64url_encode_unpadded(raw);
}

boost::json::object delivery_json(const store::WebhookDeliveryRecord& d) {
  boost::json::object o{{"delivery_id", d.id},
                        {"state", d.state},
                        {"attempts", d.attempts},
                        {"created_at", d.created_at},
                        {"updated_at", d.updated_at}};
  if (d.state == "pending") o.emplace("next_attempt_at", d.next_attempt_at);
  if (d.last_status != 0) o.emplace("last_status", d.last_status);
  if (!d.last_error.empty()) o.emplace("last_error", d.last_error);
  return o;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The delivery body: the event's own fields, then the envelope or message record fields.
std::string delivery_body(boost::json::object head, const std::string& record_json) {
  boost::system::error_code ec;
  auto record = boost::json::parse(record_json, ec);
  if (!ec && record.is_object()) {
    for (auto& [k, v] : record.get_object()) head.emplace(k, v);
  }
  return boost::json::serialize(head);
}

}  // namespace

WebhookService::WebhookService(store::Store& store, std::string room_key_secret,
                               WebhookSettings settings)
    : store_(store),
      room_key_secret_(std::move(room_key_secret)),
      settings_(settings),
      bucket_(core::TokenBucket::full(std::max(1.0, settings.deliveries_per_sec),
                                      core::wall_clock_ms())),
      pump_timer_(io_),
      guard_(io_.get_executor()) {}

WebhookService::~WebhookService() {
  stop();
}

void WebhookService::start() {
  thread_ = std::thread([this] { io_.run(); });
}

// OpenSSL's set-up and the system CA bundle (every certificate parsed: ~40 ms and ~250 M
// instructions) wait for the first delivery, on the webhook thread: most relays have no
// webhook, and none should start slower for them.
boost::asio::ssl::context& WebhookService::tls() {
  if (!tls_) {
    tls_.emplace(boost::asio::ssl::context::tls_client);
    tls_->set_verify_mode(boost::asio::ssl::verify_peer);
    tls_->set_default_verify_paths();
  }
  return *tls_;
}

void WebhookService::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

template <class Work>
void WebhookService::run(Work&& work) {
  boost::asio::post(io_, std::forward<Work>(work));
}

void WebhookService::restore(const std::vector<store::WebhookRecord>& hooks,
                             const std::vector<store::WebhookDeliveryRecord>& deliveries,
                             DeliveryOwners* owners) {
  owners_ = owners;
  for (const auto& r : hooks) add_stored_hook(r);
  const int64_t now = core::wall_clock_ms();
  for (const auto& d : deliveries) {
    auto hook = hooks_.find(d.hook_id);
    if (hook == hooks_.end()) continue;
    if (d.state != "pending") {
      auto& h = hook->second.history;
      h.push_front(d);  // the snapshot is oldest first
      if (h.size() > settings_.history_per_hook) h.pop_back();
      continue;
    }
    if (owners_) continue;  // resumed by whichever node owns it (adopt)
    ++hook->second.pending;
    Delivery& del = deliveries_[d.id];
    del.record = d;
    del.durable = true;
    schedule(d.id, std::max(now, d.next_attempt_at));
  }
}

WebhookService::Hook* WebhookService::add_hook(store::WebhookRecord record) {
  auto url = parse_hook_url(record.url, settings_.allow_private);
  if (!url) return nullptr;
  const std::string id = record.id;
  if (record.room_key.empty()) {
    dm_hook_of_[record.handle] = id;
    ++dm_hooks_;
  } else {
    by_room_[record.room_key].push_back(id);
    ++room_hooks_;
  }
  Hook& hook = hooks_[id];
  hook.record = std::move(record);
  hook.url = std::move(url).value();
  return &hook;
}

// `id` by value: callers pass references into dm_hook_of_, whose entry this erases.
void WebhookService::remove_hook(std::string id, store::Done done) {
  if (!drop_hook(id)) return done(true);
  store_.delete_webhook(id, std::move(done));
}

// Forgets hook `id` and its deliveries here; false if there is no such hook.
bool WebhookService::drop_hook(const std::string& id) {
  auto it = hooks_.find(id);
  if (it == hooks_.end()) return false;
  const store::WebhookRecord& r = it->second.record;
  if (r.room_key.empty()) {
    dm_hook_of_.erase(r.handle);
    --dm_hooks_;
  } else {
    auto& ids = by_room_[r.room_key];
    std::erase(ids, id);
    if (ids.empty()) by_room_.erase(r.room_key);
    --room_hooks_;
  }
  for (auto d = deliveries_.begin(); d != deliveries_.end();) {
    if (d->second.record.hook_id == id) {
      if (owners_ && d->second.durable) owners_->release(d->first);
      d = deliveries_.erase(d);
    } else {
      ++d;
    }
  }
  hooks_.erase(it);
  return true;
}

std::size_t WebhookService::room_hooks_of(const std::string& handle) const {
  return static_cast<std::size_t>(std::count_if(hooks_.begin(), hooks_.end(), [&](const auto& e) {
    return e.second.record.handle == handle && !e.second.record.room_key.empty();
  }));
}

// The endpoint proves it wants our POSTs: a GET with a random `challenge` that must come back
// as the body. It also runs the address policy before any hook exists.
void WebhookService::verify_then(std::string url, std::function<void(core::Result<HookUrl>)> next) {
  auto parsed = parse_hook_url(url, settings_.allow_private);
  if (!parsed) return next(parsed.error());
  const std::string challenge = random_token(24);
  HookRequest req;
  req.target = parsed.value().target;
  req.target += (req.target.find('?') == std::string::npos ? "?" : "&");
  req.target += "challenge=" + challenge;
  HookClient client{io_, tls(), settings_.allow_private};
  send_hook_request(
      client, parsed.value(), std::move(req), kVerifyTimeout,
      [next = std::move(next), challenge, target = parsed.value()](auto result) {
        if (!result) {
          if (result.error().error == "webhook address refused") return next(result.error());
          return next(core::Error{"webhook verification failed", result.error().detail});
        }
        const HookResponse& res = result.value();
        if (res.status < 200 || res.status >= 300) {
          return next(core::Error{"webhook verification failed",
                                  "the challenge GET was answered " + std::to_string(res.status)});
        }
        if (trimmed(res.body) != challenge) {
          return next(core::Error{"webhook verification failed",
                                  "the response body was not the challenge parameter"});
        }
        next(target);
      });
}

void WebhookService::persist_new_hook(store::WebhookRecord record, HookAnswer answer) {
  boost::json::object out{
      {"ok", true}, {"hook_id", record.id}, {"url", record.url}, {"secret", record.secret}};
  store_.upsert_webhook(record, [answer = std::move(answer), out](auto r) {
    if (!r) return answer(r.error());
    answer(out);
  });
  add_hook(std::move(record));
}

void WebhookService::set_dm_hook(std::string handle, std::string url, HookAnswer answer) {
  run([this, handle = std::move(handle), url, answer = std::move(answer)]() mutable {
    verify_then(url, [this, handle = std::move(handle), url,
                      answer = std::move(answer)](core::Result<HookUrl> verified) mutable {
      if (!verified) return answer(verified.error());
      if (auto old = dm_hook_of_.find(handle); old != dm_hook_of_.end()) {
        remove_hook(old->second, [](auto) {});  // a new URL replaces the old hook and secret
      }
      store::WebhookRecord rec{core::random_uuid_v4(), handle, "", url, random_token(32),
                               core::wall_clock_ms()};
      persist_new_hook(std::move(rec), std::move(answer));
    });
  });
}

void WebhookService::get_dm_hook(std::string handle, HookAnswer answer) {
  run([this, handle = std::move(handle), answer = std::move(answer)] {
    auto found = dm_hook_of_.find(handle);
    if (found == dm_hook_of_.end()) {
      return answer(core::Error{"no such webhook", "this handle has no webhook"});
    }
    const Hook& hook = hooks_.at(found->second);
    boost::json::array list;
    for (const auto& [id, d] : deliveries_) {
      if (list.size() >= settings_.history_per_hook) break;  // `pending` has the count
      if (d.record.hook_id == hook.record.id) list.push_back(delivery_json(d.record));
    }
    for (const auto& d : hook.history) list.push_back(delivery_json(d));
    answer(boost::json::object{{"ok", true},
                               {"hook_id", hook.record.id},
                               {"url", hook.record.url},
                               {"created_at", hook.record.created_at},
                               {"pending", hook.pending},
                               {"deliveries", std::move(list)}});
  });
}

void WebhookService::delete_dm_hook(std::string handle, HookAnswer answer) {
  run([this, handle = std::move(handle), answer = std::move(answer)] {
    auto found = dm_hook_of_.find(handle);
    if (found == dm_hook_of_.end()) {
      return answer(boost::json::object{{"ok", true}, {"removed", 0}});
    }
    remove_hook(found->second, [answer](auto r) {
      if (!r) return answer(r.error());
      answer(boost::json::object{{"ok", true}, {"removed", 1}});
    });
  });
}

void WebhookService::add_room_hook(std::string handle, std::string room_id, std::string url,
                                   HookAnswer answer) {
  run([this, handle = std::move(handle), room_id = std::move(room_id), url,
       answer = std::move(answer)]() mutable {
    std::string key = store::room_key_for(room_key_secret_, room_id);
    // Takes its inputs as arguments: it is copied into the verification callback, which runs
    // after this frame is gone (capturing &handle/&key here was a use after return).
    auto over_cap = [this](const std::string& handle,
                           const std::string& key) -> std::optional<core::Error> {
      if (room_hooks_of(handle) >= settings_.room_hooks_per_handle) {
        return core::Error{"too many webhooks", "this handle has the maximum of room webhooks"};
      }
      if (auto it = by_room_.find(key);
          it != by_room_.end() && it->second.size() >= settings_.hooks_per_room) {
        return core::Error{"too many webhooks", "this room has the maximum of webhooks"};
      }
      return std::nullopt;
    };
    if (auto refused = over_cap(handle, key)) return answer(*refused);
    verify_then(url, [this, handle = std::move(handle), key = std::move(key), url, over_cap,
                      answer = std::move(answer)](core::Result<HookUrl> verified) mutable {
      if (!verified) return answer(verified.error());
      if (auto refused = over_cap(handle, key)) return answer(*refused);  // others won the race
      store::WebhookRecord rec{core::random_uuid_v4(), handle, key, url, random_token(32),
                               core::wall_clock_ms()};
      persist_new_hook(std::move(rec), std::move(answer));
    });
  });
}

void WebhookService::delete_room_hook(std::string handle, std::string room_id, std::string hook_id,
                                      HookAnswer answer) {
  run([this, handle = std::move(handle), room_id = std::move(room_id), hook_id = std::move(hook_id),
       answer = std::move(answer)] {
    auto it = hooks_.find(hook_id);
    if (it == hooks_.end() || it->second.record.handle != handle ||
        it->second.record.room_key != store::room_key_for(room_key_secret_, room_id)) {
      return answer(core::Error{"no such webhook", "no webhook with this id for this handle"});
    }
    remove_hook(hook_id, [answer](auto r) {
      if (!r) return answer(r.error());
      answer(boost::json::object{{"ok", true}, {"removed", 1}});
    });
  });
}

void WebhookService::enqueue_dm(const std::string& handle, const identity::Envelope& envelope,
                                std::function<void()> then) {
  if (dm_hooks_.load() == 0) return then();
  run([this, handle, record = envelope.to_json(), then = std::move(then)]() mutable {
    auto found = dm_hook_of_.find(handle);
    if (found == dm_hook_of_.end()) return then();
    const std::string id = core::random_uuid_v4();
    std::string body = delivery_body(
        boost::json::object{{"type", "dm"}, {"handle", handle}, {"delivery_id", id}}, record);
    add_delivery(hooks_.at(found->second), id, std::move(body), true, core::wall_clock_ms(),
                 [then = std::move(then)](auto) { then(); });
  });
}

void WebhookService::enqueue_room_message(std::string room_id, core::MessagePtr message) {
  if (room_hooks_.load() == 0) return;
  run([this, room_id = std::move(room_id), message = std::move(message)] {
    auto found = by_room_.find(store::room_key_for(room_key_secret_, room_id));
    if (found == by_room_.end()) return;
    const std::string record = message->record_json();
    const int64_t now = core::wall_clock_ms();
    for (const std::string& hook_id : found->second) {
      const std::string id = core::random_uuid_v4();
      std::string body = delivery_body(
          boost::json::object{{"type", "message"}, {"hook_id", hook_id}, {"delivery_id", id}},
          record);
      add_delivery(hooks_.at(hook_id), id, std::move(body), false, now, {});
    }
  });
}

void WebhookService::add_delivery(Hook& hook, std::string id, std::string body, bool durable,
                                  int64_t now, store::Done persisted) {
  store::WebhookDeliveryRecord rec{
      id, hook.record.id, std::move(body), now, 0, now, "pending", 0, "", now};
  if (hook.pending >= settings_.pending_per_hook) {
    // The receiver is far behind: this delivery is given up at once (the DM stays in the inbox).
    rec.state = "failed";
    rec.last_error = "too many pending deliveries for this webhook";
    hook.history.push_front(std::move(rec));
    if (hook.history.size() > settings_.history_per_hook) hook.history.pop_back();
    if (persisted) persisted(true);
    return;
  }
  ++hook.pending;
  Delivery& d = deliveries_[id];
  d.record = std::move(rec);
  d.durable = durable;
  if (!durable) return schedule(id, now);
  auto store_and_send = [this, id, persisted = std::move(persisted)]() mutable {
    auto it = deliveries_.find(id);
    if (it == deliveries_.end()) return persisted(true);  // its hook went meanwhile
    store_.upsert_webhook_delivery(it->second.record, std::move(persisted));
    schedule(id, it->second.record.created_at);
  };
  if (!owners_) return store_and_send();
  // Owned before it is stored: a node loading the store meanwhile sees an owned delivery.
  owners_->claim(id, [this, send = std::move(store_and_send)]() mutable { run(std::move(send)); });
}

void WebhookService::schedule(const std::string& id, int64_t at_ms) {
  Delivery& d = deliveries_.at(id);
  const int64_t wait = at_ms - core::wall_clock_ms();
  if (wait <= 0) {
    ready_.push_back(id);
    return pump();
  }
  if (!d.timer) d.timer = std::make_unique<boost::asio::steady_timer>(io_);
  d.timer->expires_after(std::chrono::milliseconds(wait));
  d.timer->async_wait([this, id](boost::system::error_code ec) {
    if (ec || !deliveries_.contains(id)) return;
    ready_.push_back(id);
    pump();
  });
}

// Starts due deliveries while the in-flight cap and the rate allow; otherwise comes back when
// a token has refilled (an ending call also pumps).
void WebhookService::pump() {
  const double rate = std::max(1.0, settings_.deliveries_per_sec);
  while (!ready_.empty() && in_flight_ < settings_.max_in_flight) {
    auto it = deliveries_.find(ready_.front());
    if (it == deliveries_.end()) {  // its hook was removed
      ready_.pop_front();
      continue;
    }
    Hook& hook = hooks_.at(it->second.record.hook_id);
    if (hook.in_flight >= settings_.in_flight_per_hook) {
      // A slow receiver waits its turn instead of taking every slot from the others.
      hook.waiting.push_back(std::move(ready_.front()));
      ready_.pop_front();
      continue;
    }
    if (!bucket_.take(rate, rate, core::wall_clock_ms())) {
      if (pump_armed_) return;
      pump_armed_ = true;
      pump_timer_.expires_after(std::chrono::microseconds(static_cast<int64_t>(1e6 / rate) + 1));
      pump_timer_.async_wait([this](boost::system::error_code ec) {
        pump_armed_ = false;
        if (!ec) pump();
      });
      return;
    }
    ready_.pop_front();
    ++hook.in_flight;
    attempt(it->second);
  }
}

void WebhookService::attempt(Delivery& delivery) {
  const store::WebhookDeliveryRecord& rec = delivery.record;
  const Hook& hook = hooks_.at(rec.hook_id);
  HookRequest req;
  req.post = true;
  req.target = hook.url.target;
  req.body = rec.body;
  req.headers = {{"X-Bot2Bot-Signature", core::webhook_signature(hook.record.secret, rec.body)},
                 {"X-Bot2Bot-Delivery", rec.id},
                 {"X-Bot2Bot-Timestamp", std::to_string(core::wall_clock_ms())}};
  ++in_flight_;
  HookClient client{io_, tls(), settings_.allow_private};
  send_hook_request(client, hook.url, std::move(req), kDeliveryTimeout,
                    [this, id = rec.id, hook_id = rec.hook_id](auto result) {
                      finish_attempt(id, hook_id, std::move(result));
                    });
}

void WebhookService::finish_attempt(const std::string& id, const std::string& hook_id,
                                    core::Result<HookResponse> result) {
  --in_flight_;
  if (auto hook = hooks_.find(hook_id); hook != hooks_.end()) {
    --hook->second.in_flight;
    if (!hook->second.waiting.empty()) {
      ready_.push_back(std::move(hook->second.waiting.front()));
      hook->second.waiting.pop_front();
    }
  }
  auto it = deliveries_.find(id);
  if (it != deliveries_.end()) {
    Delivery& d = it->second;
    store::WebhookDeliveryRecord& rec = d.record;
    const int64_t now = core::wall_clock_ms();
    ++rec.attempts;
    rec.updated_at = now;
    rec.last_status = result ? result.value().status : 0;
    const bool ok = result && rec.last_status >= 200 && rec.last_status < 300;
    rec.last_error = ok       ? ""
                     : result ? "the receiver answered " + std::to_string(rec.last_status)
                              : result.error().detail;
    if (!ok && now - rec.created_at < core::kWebhookRetryWindowMs) {
      const double jitter = 0.5 + 0.5 * randombytes_uniform(1001) / 1000.0;
      rec.next_attempt_at =
          now + core::webhook_retry_delay_ms(static_cast<int>(rec.attempts), jitter);
      save(d);
      schedule(id, rec.next_attempt_at);
    } else {
      rec.state = ok ? "delivered" : "failed";
      rec.next_attempt_at = 0;
      if (d.durable && owners_) {
        // Released once the final state is stored: a node taking over meanwhile re-reads it.
        store_.upsert_webhook_delivery(rec, [owners = owners_, id](auto) { owners->release(id); });
      } else {
        save(d);
      }
      if (auto hook = hooks_.find(rec.hook_id); hook != hooks_.end()) {
        --hook->second.pending;
        hook->second.history.push_front(rec);
        if (hook->second.history.size() > settings_.history_per_hook) {
          hook->second.history.pop_back();
        }
      }
      deliveries_.erase(it);
    }
  }
  pump();
}

void WebhookService::save(const Delivery& delivery) {
  if (delivery.durable) store_.upsert_webhook_delivery(delivery.record, [](auto) {});
}

void WebhookService::sweep(int64_t now_ms) {
  store_.delete_webhook_deliveries_before(now_ms - core::kWebhookRetryWindowMs, [](auto) {});
}

// --- cluster mode (cluster_webhooks.h) ----------------------------------------------------

void WebhookService::apply_hook(store::WebhookRecord record) {
  run([this, record = std::move(record)]() mutable { add_stored_hook(std::move(record)); });
}

// A hook from the store that this node may not know yet. Of two DM hooks of one handle (set on
// two nodes at once) the newer wins, so every node keeps the same one.
void WebhookService::add_stored_hook(store::WebhookRecord record) {
  if (hooks_.contains(record.id)) return;
  if (record.room_key.empty()) {
    if (auto old = dm_hook_of_.find(record.handle); old != dm_hook_of_.end()) {
      const store::WebhookRecord& held = hooks_.at(old->second).record;
      if (std::tie(held.created_at, held.id) > std::tie(record.created_at, record.id)) return;
      drop_hook(std::string(old->second));
    }
  }
  if (!add_hook(record))
    spdlog::warn("webhook {}: stored URL no longer accepted; skipped", record.id);
}

void WebhookService::forget_hook(std::string id) {
  run([this, id = std::move(id)] { drop_hook(id); });
}

void WebhookService::replace_hooks(std::vector<store::WebhookRecord> hooks, int64_t read_at_ms) {
  run([this, hooks = std::move(hooks), read_at_ms]() mutable {
    std::unordered_set<std::string> stored;
    for (const auto& h : hooks) stored.insert(h.id);
    std::vector<std::string> gone;
    for (const auto& [id, hook] : hooks_) {
      if (!stored.contains(id) && hook.record.created_at < read_at_ms) gone.push_back(id);
    }
    for (const auto& id : gone) drop_hook(id);
    for (auto& h : hooks) add_stored_hook(std::move(h));
  });
}

void WebhookService::adopt(store::WebhookDeliveryRecord record) {
  run([this, record = std::move(record)]() mutable {
    if (deliveries_.contains(record.id)) return;
    auto hook = hooks_.find(record.hook_id);
    if (record.state != "pending" || hook == hooks_.end()) {
      if (owners_) owners_->release(record.id);  // nothing left to send
      return;
    }
    ++hook->second.pending;
    const std::string id = record.id;
    const int64_t at = std::max(core::wall_clock_ms(), record.next_attempt_at);
    Delivery& d = deliveries_[id];
    d.record = std::move(record);
    d.durable = true;
    schedule(id, at);
  });
}

void WebhookService::keep_only(std::unordered_set<std::string> owned) {
  run([this, owned = std::move(owned)] {
    for (auto d = deliveries_.begin(); d != deliveries_.end();) {
      if (!d->second.durable || owned.contains(d->first)) {
        ++d;
        continue;
      }
      if (auto hook = hooks_.find(d->second.record.hook_id); hook != hooks_.end()) {
        --hook->second.pending;
      }
      d = deliveries_.erase(d);
    }
  });
}

}  // namespace b2b::api
