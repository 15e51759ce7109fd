#include "cluster/redis_store.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <future>
#include <optional>
#include <tuple>

#include "cluster/change_event.h"
#include "cluster/redis_store_keys.h"
#include "cluster/redis_store_records.h"

namespace b2b::cluster {

namespace asio = boost::asio;
namespace keys = store_keys;
using store::Done;

namespace {

constexpr std::size_t kRoomKeySecretBytes = 32;

core::Error closed_error() {
  return core::Error{"storage error", "the store is closed"};
}

}  // namespace

core::Error storage_error_from_redis(const core::Error& e) {
  if (e.error == kRedisUnavailable) {
    return core::Error{"storage error", "redis unavailable: " + e.detail};
  }
  if (e.error == kRedisError && e.detail.starts_with("OOM")) {
    return core::Error{"storage full", "redis refused the write: maxmemory reached"};
  }
  if (e.error == kRedisError) {
    return core::Error{"storage error", "redis answered " + e.detail.substr(0, e.detail.find(' '))};
  }
  return core::Error{"storage error", "redis: " + e.error};
}

namespace {

std::string num(int64_t v) {
  return std::to_string(v);
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                 raw.size());
  hex.pop_back();
  return hex;
}

// The members of a SMEMBERS / ZRANGE reply, or nullopt.
std::optional<std::vector<std::string>> members(const core::Result<RedisReply>& r) {
  if (!r || r.value().type != RedisReply::Type::kArray) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(r.value().elements.size());
  for (const RedisReply& e : r.value().elements) out.push_back(e.str);
  return out;
}

bool vanished(const RedisReply& r) {  // an index entry whose record is gone meanwhile
  return r.is_nil() || (r.type == RedisReply::Type::kArray && r.elements.empty());
}

}  // namespace

RedisStore::RedisStore(const RedisEndpoint& endpoint, const RedisStoreOptions& options)
    : work_(ioc_.get_executor()), node_id_(random_hex(4)) {
  redis_ = RedisConnection::create(ioc_.get_executor(), endpoint, options.connection);
  // A restarted Redis has an empty script cache; EVALSHA would fall back anyway, this saves
  // the first write of each kind a round trip.
  redis_->on_ready([this] {
    scripts_.load_all(*redis_);
    // A Redis that came back without its data (no AOF, a wiped dir) has no secret any more, and
    // the next node to start would create another one: every room would get a second name.
    // Nodes that knew it put it back first (NX: all of them hold the same value).
    if (!known_secret_.empty()) {
      redis_->command({"SET", keys::kRoomKeySecret, known_secret_, "NX"},
                      [](core::Result<RedisReply> r) {
                        if (r && r.value().type == RedisReply::Type::kStatus) {
                          spdlog::warn("redis had lost the room key secret; restored it");
                        }
                      });
    }
  });
}

RedisStore::~RedisStore() {
  close();
}

core::Result<bool> RedisStore::start(std::chrono::milliseconds timeout) {
  thread_ = std::thread([this] { ioc_.run(); });
  asio::post(ioc_, [this] { redis_->start(); });
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    Replies ping = batch({{"PING"}});
    if (ping[0]) break;
    if (std::chrono::steady_clock::now() > deadline)
      return storage_error_from_redis(ping[0].error());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The first node creates the secret; every later one (and every restart) reads it.
  Replies secret = batch({{"SET", keys::kRoomKeySecret, random_hex(kRoomKeySecretBytes), "NX"},
                          {"GET", keys::kRoomKeySecret}});
  if (!secret[1]) return storage_error_from_redis(secret[1].error());
  if (secret[1].value().type != RedisReply::Type::kString || secret[1].value().str.empty()) {
    return core::Error{"storage error", "redis holds no room key secret"};
  }
  secret_ = secret[1].value().str;
  asio::post(ioc_, [this, known = secret_] { known_secret_ = known; });
  return true;
}

core::Result<std::unique_ptr<RedisStore>> open_redis_store(const RedisEndpoint& endpoint,
                                                           RedisStoreOptions options) {
  if (sodium_init() < 0) return core::Error{"storage error", "libsodium failed to initialise"};
  std::unique_ptr<RedisStore> store(new RedisStore(endpoint, options));
  auto started = store->start(options.startup_timeout);
  if (!started) return started.error();
  return store;
}

std::string RedisStore::event(const char* kind, std::string handle, std::string room_key,
                              std::string id, int64_t seq) const {
  return change_event_json(
      ChangeEvent{kind, std::move(handle), std::move(room_key), std::move(id), seq, node_id_});
}

// ---- writes ----

void RedisStore::write(const RedisScript& script, Command keys, Command args, Done done,
                       bool repeat) {
  uint64_t ticket = 0;
  std::optional<core::Error> refused;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      refused = closed_error();
    } else if (in_flight_.size() >= kRedisMaxPendingWrites) {
      refused = core::Error{"storage busy", "too many writes queued for redis"};
    } else {
      ticket = next_ticket_++;
      in_flight_.insert(ticket);
    }
    if (refused) ++writes_failed_;
  }
  if (refused) return done(std::move(*refused));
  asio::post(ioc_, [this, &script, keys = std::move(keys), args = std::move(args), repeat, ticket,
                    done = std::move(done)]() mutable {
    run_write(script, std::move(keys), std::move(args), repeat, ticket, std::move(done));
  });
}

void RedisStore::run_write(const RedisScript& script, Command keys, Command args, bool repeat,
                           uint64_t ticket, Done done) {
  Command again_keys = repeat ? keys : Command{};
  Command again_args = repeat ? args : Command{};
  script.run(redis_, std::move(keys), std::move(args),
             [this, &script, again_keys = std::move(again_keys), again_args = std::move(again_args),
              repeat, ticket, done = std::move(done)](core::Result<RedisReply> r) mutable {
               if (!r) return finish(ticket, storage_error_from_redis(r.error()), done);
               // A sweep that deleted a whole batch may have more to delete.
               if (repeat && r.value().type == RedisReply::Type::kInteger &&
                   r.value().integer >= kSweepBatch) {
                 return run_write(script, std::move(again_keys), std::move(again_args), true,
                                  ticket, std::move(done));
               }
               // A sweep's count may be 0; any other script answers 0 only when it chose
               // not to write (see redis_store_scripts.h).
               const RedisReply& reply = r.value();
               const bool declined =
                   !repeat && reply.type == RedisReply::Type::kInteger && reply.integer == 0;
               finish(ticket, !declined, done);
             });
}

void RedisStore::finish(uint64_t ticket, core::Result<bool> result, Done& done) {
  {
    std::lock_guard lock(mutex_);  // counted before Done runs: a caller woken by it sees it
    ++(result.ok() ? writes_ok_ : writes_failed_);
  }
  try {
    done(std::move(result));
  } catch (const std::exception& e) {  // a caller's bug must not stop the store's thread
    spdlog::error("redis store: a write's completion handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("redis store: a write's completion handler threw");
  }
  std::lock_guard lock(mutex_);
  in_flight_.erase(ticket);
  idle_.notify_all();
}

void RedisStore::insert_identity(store::IdentityRecord r, Done done) {
  write_identity(scripts_.insert_identity, std::move(r), std::move(done));
}

void RedisStore::upsert_identity(store::IdentityRecord r, Done done) {
  write_identity(scripts_.upsert_identity, std::move(r), std::move(done));
}

void RedisStore::write_identity(const RedisScript& script, store::IdentityRecord r, Done done) {
  const std::string h = r.handle;
  write(script, {keys::identity(h), keys::kHandles},
        {h, std::move(r.box_pub), std::move(r.sign_pub), num(r.registered_at), num(r.updated_at),
         num(r.last_seen_at), std::move(r.meta_json), num(r.inbox_seq), event(kChangeIdentity, h)},
        std::move(done));
}

void RedisStore::delete_identity(std::string h, Done done) {
  write(scripts_.delete_identity,
        {keys::identity(h), keys::profile(h), keys::dms(h), keys::dm_ids(h), keys::cursor_rooms(h),
         keys::handle_hooks(h), keys::kHandles, keys::kProfiles, keys::kInboxes, keys::kDmTimes,
         keys::kCursorRooms},
        {h, event(kChangeIdentity, h)}, std::move(done));
}

void RedisStore::upsert_profile(store::ProfileRecord r, Done done) {
  const std::string h = r.handle;
  write(scripts_.upsert_profile, {keys::profile(h), keys::kProfiles},
        {h, std::move(r.profile_json), std::move(r.profile_sig), num(r.updated_at),
         num(r.last_seen_at), num(r.expires_at), num(r.created_at), event(kChangeProfile, h)},
        std::move(done));
}

void RedisStore::delete_profile(std::string h, Done done) {
  write(scripts_.delete_profile, {keys::profile(h), keys::kProfiles}, {h, event(kChangeProfile, h)},
        std::move(done));
}

void RedisStore::insert_dm(store::DmRecord r, Done done) {
  const std::string& h = r.recipient;
  write(scripts_.insert_dm, {keys::dms(h), keys::dm_ids(h), keys::kInboxes, keys::kDmTimes},
        {h, num(r.seq), r.id, num(r.ts), records::dm_json(r), event(kChangeDm, h, {}, {}, r.seq)},
        std::move(done));
}

void RedisStore::delete_dm(std::string h, std::string id, Done done) {
  write(scripts_.delete_dm, {keys::dms(h), keys::dm_ids(h), keys::kInboxes, keys::kDmTimes},
        {h, id, event(kChangeDm, h, {}, id)}, std::move(done));
}

void RedisStore::delete_dms_older_than(int64_t ts, Done done) {
  write(scripts_.sweep_dms, {keys::kDmTimes, keys::kInboxes},
        {num(ts), num(kSweepBatch), event(kChangeDmSweep, {}, {}, {}, ts)}, std::move(done),
        /*repeat=*/true);
}

void RedisStore::set_inbox_seq(std::string h, int64_t seq, Done done) {
  write(scripts_.set_inbox_seq, {keys::identity(h)}, {num(seq), event(kChangeIdentity, h)},
        std::move(done));
}

void RedisStore::upsert_claim_cursor(store::ClaimCursorRecord r, Done done) {
  write(
      scripts_.upsert_cursor,
      {keys::cursors(r.room_key), keys::cursor_rooms(r.handle), keys::kCursorRooms},
      {r.handle, r.room_key, records::cursor_value(r), event(kChangeCursor, r.handle, r.room_key)},
      std::move(done));
}

void RedisStore::delete_claim_cursor(std::string h, std::string room_key, Done done) {
  write(scripts_.delete_cursor,
        {keys::cursors(room_key), keys::cursor_rooms(h), keys::kCursorRooms},
        {h, room_key, event(kChangeCursor, h, room_key)}, std::move(done));
}

void RedisStore::upsert_room_high_water(store::RoomHighWater r, Done done) {
  write(scripts_.upsert_high_water, {keys::high_water(r.room_key), keys::kHighWaterRooms},
        {r.room_key, num(r.next_seq), event(kChangeHighWater, {}, r.room_key)}, std::move(done));
}

void RedisStore::upsert_webhook(store::WebhookRecord r, Done done) {
  write(scripts_.upsert_webhook, {keys::hook(r.id), keys::kHooks, keys::handle_hooks(r.handle)},
        {r.id, r.handle, std::move(r.room_key), std::move(r.url), std::move(r.secret),
         num(r.created_at), event(kChangeWebhook, {}, {}, r.id)},
        std::move(done));
}

void RedisStore::delete_webhook(std::string id, Done done) {
  write(scripts_.delete_webhook, {keys::hook(id)}, {id, event(kChangeWebhook, {}, {}, id)},
        std::move(done));
}

void RedisStore::upsert_webhook_delivery(store::WebhookDeliveryRecord r, Done done) {
  write(scripts_.upsert_delivery,
        {keys::delivery(r.id), keys::hook_deliveries(r.hook_id), keys::kDeliveries,
         keys::kFinishedDeliveries},
        {r.id, r.hook_id, std::move(r.body), num(r.created_at), num(r.attempts),
         num(r.next_attempt_at), std::move(r.state), num(r.last_status), std::move(r.last_error),
         num(r.updated_at), event(kChangeDelivery, {}, {}, r.id)},
        std::move(done));
}

void RedisStore::delete_webhook_deliveries_before(int64_t ts, Done done) {
  write(scripts_.sweep_deliveries, {keys::kFinishedDeliveries},
        {num(ts), num(kSweepBatch), event(kChangeDeliverySweep, {}, {}, {}, ts)}, std::move(done),
        /*repeat=*/true);
}

// ---- blocking calls ----

RedisStore::Replies RedisStore::batch(std::vector<Command> commands) {
  struct Gather {
    std::vector<std::optional<core::Result<RedisReply>>> slots;
    std::size_t left = 0;
    std::promise<Replies> promise;
  };
  auto gather = std::make_shared<Gather>();
  gather->slots.resize(commands.size());
  gather->left = commands.size();
  auto future = gather->promise.get_future();
  asio::post(ioc_, [this, gather, commands = std::move(commands)]() mutable {
    const auto complete = [](Gather& g) {
      Replies out;
      out.reserve(g.slots.size());
      for (auto& s : g.slots) out.push_back(std::move(*s));
      g.promise.set_value(std::move(out));
    };
    if (commands.empty()) return complete(*gather);
    for (std::size_t i = 0; i < commands.size(); ++i) {
      redis_->command(std::move(commands[i]), [gather, i, complete](core::Result<RedisReply> r) {
        gather->slots[i] = std::move(r);
        if (--gather->left == 0) complete(*gather);
      });
    }
  });
  return future.get();
}

core::Result<store::Snapshot> RedisStore::load() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return closed_error();
  }
  flush();  // load() sees every write queued before it
  return read_snapshot();
}

core::Result<store::Snapshot> RedisStore::read_snapshot() {
  Replies index = batch({{"SMEMBERS", keys::kHandles},
                         {"SMEMBERS", keys::kProfiles},
                         {"SMEMBERS", keys::kInboxes},
                         {"SMEMBERS", keys::kCursorRooms},
                         {"SMEMBERS", keys::kHighWaterRooms},
                         {"SMEMBERS", keys::kHooks},
                         {"ZRANGE", keys::kDeliveries, "0", "-1"}});
  std::vector<std::vector<std::string>> lists;
  for (const auto& r : index) {
    if (!r) return storage_error_from_redis(r.error());
    auto m = members(r);
    if (!m) return core::Error{"storage error", "unexpected reply to an index read"};
    // Sets come unordered; the snapshot lists are by key. Deliveries stay in zset order
    // (created_at, then id).
    if (lists.size() < 6) std::sort(m->begin(), m->end());
    lists.push_back(std::move(*m));
  }
  const auto& handles = lists[0];
  const auto& profiles = lists[1];
  const auto& inboxes = lists[2];
  const auto& rooms = lists[3];
  const auto& hw_rooms = lists[4];
  const auto& hooks = lists[5];
  const auto& deliveries = lists[6];

  std::vector<Command> reads;
  for (const auto& h : handles) reads.push_back({"HGETALL", keys::identity(h)});
  for (const auto& h : profiles) reads.push_back({"HGETALL", keys::profile(h)});
  for (const auto& h : inboxes) reads.push_back({"HGETALL", keys::dms(h)});
  for (const auto& r : rooms) reads.push_back({"HGETALL", keys::cursors(r)});
  for (const auto& r : hw_rooms) reads.push_back({"GET", keys::high_water(r)});
  for (const auto& id : hooks) reads.push_back({"HGETALL", keys::hook(id)});
  for (const auto& id : deliveries) reads.push_back({"HGETALL", keys::delivery(id)});
  Replies replies = batch(std::move(reads));
  for (const auto& r : replies) {
    if (!r) return storage_error_from_redis(r.error());
  }

  store::Snapshot snap;
  std::size_t at = 0;
  // Parses one reply per name of `names` into `out` with `parse`, skipping vanished records.
  const auto each = [&replies, &at](const std::vector<std::string>& names, auto parse,
                                    auto&& add) -> std::optional<core::Error> {
    for (const std::string& name : names) {
      const RedisReply& reply = replies[at++].value();
      if (vanished(reply)) continue;
      auto parsed = parse(name, reply);
      if (!parsed) return parsed.error();
      add(std::move(parsed).value());
    }
    return std::nullopt;
  };
  const auto append_to = [](auto& vec) {
    return [&vec](auto&& v) {
      if constexpr (requires { vec.insert(vec.end(), v.begin(), v.end()); }) {
        vec.insert(vec.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
      } else {
        vec.push_back(std::move(v));
      }
    };
  };
  std::optional<core::Error> failed;
  if (!failed) failed = each(handles, records::parse_identity, append_to(snap.identities));
  if (!failed) failed = each(profiles, records::parse_profile, append_to(snap.profiles));
  if (!failed) failed = each(inboxes, records::parse_inbox, append_to(snap.dms));
  if (!failed) failed = each(rooms, records::parse_cursors, append_to(snap.claim_cursors));
  if (!failed) {
    failed = each(hw_rooms, records::parse_high_water, append_to(snap.room_high_waters));
  }
  if (!failed) failed = each(hooks, records::parse_webhook, append_to(snap.webhooks));
  if (!failed) {
    failed = each(deliveries, records::parse_delivery, append_to(snap.webhook_deliveries));
  }
  if (failed) return *failed;
  std::sort(snap.claim_cursors.begin(), snap.claim_cursors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.handle, a.room_key) < std::tie(b.handle, b.room_key);
  });
  return snap;
}

void RedisStore::flush() {
  std::unique_lock lock(mutex_);
  const uint64_t last = next_ticket_ - 1;
  idle_.wait(lock, [&] { return in_flight_.empty() || *in_flight_.begin() > last; });
}

void RedisStore::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
  }
  flush();
  if (!thread_.joinable()) return;
  std::promise<void> stopped;
  asio::post(ioc_, [this, &stopped] {
    redis_->stop();
    stopped.set_value();
  });
  stopped.get_future().wait();
  work_.reset();
  ioc_.stop();
  thread_.join();
}

store::StoreStats RedisStore::stats() const {
  std::lock_guard lock(mutex_);
  return store::StoreStats{in_flight_.size(), writes_ok_, writes_ok_, writes_failed_};
}

}  // namespace b2b::cluster
