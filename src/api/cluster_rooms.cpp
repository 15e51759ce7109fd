#include "api/cluster_rooms.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include <charconv>
#include <future>
#include <limits>

#include "api/relay_state.h"
#include "core/clock.h"
#include "core/uuid.h"
#include "store/store.h"

namespace b2b::api {
namespace {

// Held in a Track after a reconnect: "read back everything after what was applied".
constexpr int64_t kCatchUp = std::numeric_limits<int64_t>::max();
// How long a signed post's nonce is remembered in Redis: its sender_ts may be 60 s ahead of
// now and stays acceptable until 60 s after it (ROOMS.md §20.7), plus a margin.
constexpr int64_t kNonceMemoryMs = 130'000;
// How soon a hole read that failed (Redis unreachable) is tried again.
constexpr std::chrono::milliseconds kHoleRetry{250};

// "<room_key> <seq> <record>", as the append script publishes it.
bool parse_live(std::string_view payload, std::string_view& key, int64_t& seq,
                std::string_view& record) {
  const auto first = payload.find(' ');
  if (first == std::string_view::npos) return false;
  const auto second = payload.find(' ', first + 1);
  if (second == std::string_view::npos) return false;
  key = payload.substr(0, first);
  const char* begin = payload.data() + first + 1;
  const char* end = payload.data() + second;
  const auto [ptr, ec] = std::from_chars(begin, end, seq);
  if (ec != std::errc{} || ptr != end) return false;
  record = payload.substr(second + 1);
  return true;
}

}  // namespace

ClusterRooms::ClusterRooms(RelayState& state, cluster::RedisEndpoint endpoint,
                           std::string room_key_secret)
    : state_(state),
      endpoint_(std::move(endpoint)),
      secret_(std::move(room_key_secret)),
      node_id_(core::random_uuid_v4()),
      work_(ioc_.get_executor()) {
  for (std::size_t i = 0; i < state_.pool().size(); ++i) {
    sides_.push_back(std::make_unique<ShardSide>());
  }
}

ClusterRooms::~ClusterRooms() {
  stop();
}

core::Result<bool> ClusterRooms::start(std::chrono::milliseconds wait) {
  auto commands_ready = std::make_shared<std::promise<void>>();
  auto live_ready = std::make_shared<std::promise<void>>();
  boost::asio::post(ioc_, [this, commands_ready, live_ready] {
    commands_ = cluster::RedisConnection::create(ioc_.get_executor(), endpoint_);
    log_ = std::make_unique<cluster::RoomLog>(commands_);
    commands_->on_ready([this, commands_ready, first = true]() mutable {
      // A restarted Redis has no scripts; appends work meanwhile (NOSCRIPT fallback).
      log_->load_script([](core::Result<bool>) {});
      if (first) commands_ready->set_value();
      first = false;
    });
    live_ = cluster::RedisConnection::create(ioc_.get_executor(), endpoint_);
    live_->subscribe({kLiveChannel},
                     [this](std::string, std::string payload) { on_live(payload); });
    live_->on_ready([this, live_ready, first = true]() mutable {
      if (first) {
        live_ready->set_value();
      } else {
        // Messages published while we were not subscribed are read back from the streams.
        spdlog::info("cluster: live subscription back; catching up the rooms this node serves");
        resync_all();
      }
      first = false;
    });
    commands_->start();
    live_->start();
    presence_refresh_ = std::make_unique<boost::asio::steady_timer>(ioc_);
    arm_presence_refresh();
  });
  thread_ = std::thread([this] { ioc_.run(); });
  const auto deadline = std::chrono::steady_clock::now() + wait;
  if (commands_ready->get_future().wait_until(deadline) != std::future_status::ready ||
      live_ready->get_future().wait_until(deadline) != std::future_status::ready) {
    return core::Error{cluster::kRedisUnavailable,
                       "no answer from " + endpoint_.host + ":" + std::to_string(endpoint_.port)};
  }
  return true;
}

void ClusterRooms::stop() {
  if (!thread_.joinable()) return;
  boost::asio::post(ioc_, [this] {
    if (commands_) commands_->stop();
    if (live_) live_->stop();
    if (presence_refresh_) presence_refresh_->cancel();
    work_.reset();
  });
  thread_.join();
}

std::string ClusterRooms::room_key(const std::string& room_id) const {
  return store::room_key_for(secret_, room_id);
}

// --- loading ----------------------------------------------------------------------------

void ClusterRooms::with_room(std::size_t s, const std::string& room_id, bool create,
                             RoomThen then) {
  if (core::Room* room = state_.shard(s).find(room_id)) {
    if (sides_[s]->tracks.contains(room_id)) return then(room);
  }
  ShardSide& side = *sides_[s];
  auto [it, fresh] = side.loading.try_emplace(room_id);
  it->second.waiting.push_back(std::move(then));
  it->second.create = it->second.create || create;
  if (fresh) begin_load(s, room_id);
}

void ClusterRooms::begin_load(std::size_t s, const std::string& room_id) {
  std::string key = room_key(room_id);
  {
    // Registered before the read, so a message published after it is not missed.
    std::lock_guard lock(served_mu_);
    served_[key] = room_id;
  }
  const auto count = state_.limits.room_buffer_max;
  boost::asio::post(ioc_, [this, s, room_id, key = std::move(key), count] {
    log_->load(key, count, [this, s, room_id](core::Result<cluster::RoomSnapshot> r) {
      state_.on_shard(s, [this, s, room_id, r = std::move(r)](core::RoomShard&) mutable {
        finish_load(s, room_id, std::move(r));
      });
    });
  });
}

void ClusterRooms::finish_load(std::size_t s, const std::string& room_id,
                               core::Result<cluster::RoomSnapshot> snapshot) {
  ShardSide& side = *sides_[s];
  auto node = side.loading.extract(room_id);
  if (node.empty()) return;
  Loading loading = std::move(node.mapped());
  if (!snapshot) {
    for (auto& then : loading.waiting) then(snapshot.error());
    return forget_unless_awaited(s, room_id);
  }
  const cluster::RoomSnapshot& snap = snapshot.value();
  const bool exists = snap.last_seq > 0;
  if (!exists && !loading.create && state_.shard(s).waiters_for(room_id) == 0) {
    for (auto& then : loading.waiting) then(static_cast<core::Room*>(nullptr));
    // A read of a room nobody has: nothing to serve — unless a wait or claim parked on it.
    return forget_unless_awaited(s, room_id);
  }
  const int64_t now = core::wall_clock_ms();
  auto created = state_.shard(s).get_or_create(room_id, now);
  if (!created) {
    for (auto& then : loading.waiting) then(created.error());
    return forget_unless_awaited(s, room_id);
  }
  core::Room& room = *created.value();
  if (snap.signed_only) room.lock_signed_only(now);
  room.set_presence_observer(this);
  for (const auto& record : snap.presence) {
    auto p = cluster::decode_node_presence(record);
    if (p && p.value().node != node_id_ && p.value().presence.expires_ms >= now) {
      room.set_remote_presence(p.value().node, std::move(p.value().presence), now);
    }
  }
  Track& track = side.tracks[room_id];
  track = Track{};
  track.next = exists ? snap.last_seq + 1 : 0;
  if (exists) room.expect_next_seq(track.next);
  for (const auto& e : snap.entries) apply(room, e.seq, e.record);
  for (auto& [seq, record] : loading.live) {
    if (track.next == 0 || seq >= track.next) track.held.emplace(seq, std::move(record));
  }
  apply_in_order(s, room_id, room, track);
  for (auto& then : loading.waiting) then(&room);
}

// A room this node no longer serves (evicted by its shard, or never made): its track and its
// entry in served_ go, so that neither grows with every room the node ever loaded.
void ClusterRooms::forget(std::size_t s, const std::string& room_id) {
  sides_[s]->tracks.erase(room_id);
  const std::string key = room_key(room_id);
  std::lock_guard lock(served_mu_);
  served_.erase(key);
}

void ClusterRooms::forget_unless_awaited(std::size_t s, const std::string& room_id) {
  if (state_.shard(s).waiters_for(room_id) == 0) forget(s, room_id);
}

// On shard `s`: the rooms of this shard that are served_ but gone (evicted, or a wait on a
// missing room ended) and not being loaded.
void ClusterRooms::forget_evicted(std::size_t s) {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(served_mu_);
    for (const auto& [key, room_id] : served_) {
      if (state_.shard_of(room_id) == s) gone.push_back(room_id);
    }
  }
  std::erase_if(gone, [&](const std::string& room_id) {
    return state_.shard(s).find(room_id) || sides_[s]->loading.contains(room_id) ||
           state_.shard(s).waiters_for(room_id) > 0;
  });
  for (const auto& room_id : gone) forget(s, room_id);
  if (!gone.empty()) {
    spdlog::debug("cluster: shard {} forgot {} evicted rooms; {} rooms served", s, gone.size(),
                  served_rooms());
  }
}

std::size_t ClusterRooms::served_rooms() {
  std::lock_guard lock(served_mu_);
  return served_.size();
}

// --- live fan-out -----------------------------------------------------------------------

void ClusterRooms::on_live(const std::string& payload) {
  std::string_view key, record;
  int64_t seq = 0;
  if (!parse_live(payload, key, seq, record)) {
    spdlog::warn("cluster: unreadable message on the live channel ({} bytes)", payload.size());
    return;
  }
  std::string room_id;
  {
    std::lock_guard lock(served_mu_);
    auto it = served_.find(std::string(key));
    if (it == served_.end()) return;  // no room of this node: nothing to deliver
    room_id = it->second;
  }
  const std::size_t s = state_.shard_of(room_id);
  state_.on_shard(s, [this, s, room_id = std::move(room_id), seq,
                      record = std::string(record)](core::RoomShard&) mutable {
    if (seq == 0) return on_presence(s, room_id, record);
    deliver(s, room_id, seq, std::move(record));
  });
}

void ClusterRooms::deliver(std::size_t s, const std::string& room_id, int64_t seq,
                           std::string record) {
  ShardSide& side = *sides_[s];
  if (auto l = side.loading.find(room_id); l != side.loading.end()) {
    l->second.live.emplace(seq, std::move(record));
    return;
  }
  core::Room* room = state_.shard(s).find(room_id);
  auto t = side.tracks.find(room_id);
  if (!room || t == side.tracks.end()) {
    // Evicted here (the next request loads it again) — unless a wait is parked for it.
    if (state_.shard(s).waiters_for(room_id) > 0) {
      if (t != side.tracks.end()) side.tracks.erase(t);
      auto& loading = side.loading[room_id];
      loading.create = true;
      loading.live.emplace(seq, std::move(record));
      begin_load(s, room_id);
    } else {
      forget(s, room_id);
    }
    return;
  }
  Track& track = t->second;
  if (track.next != 0 && seq < track.next) return;  // already applied
  track.held.emplace(seq, std::move(record));
  apply_in_order(s, room_id, *room, track);
}

void ClusterRooms::apply_in_order(std::size_t s, const std::string& room_id, core::Room& room,
                                  Track& track) {
  while (!track.held.empty()) {
    auto first = track.held.begin();
    if (track.next != 0 && first->first < track.next) {
      track.held.erase(first);
      continue;
    }
    if (track.next != 0 && first->first > track.next) {
      if (!track.filling) fill_hole(s, room_id, track);
      return;
    }
    apply(room, first->first, first->second);
    track.next = first->first + 1;
    track.held.erase(first);
  }
}

void ClusterRooms::fill_hole(std::size_t s, const std::string& room_id, Track& track) {
  track.filling = true;
  const int64_t after = track.next - 1;
  const int64_t count =
      std::min<int64_t>(track.held.begin()->first - track.next, state_.limits.room_buffer_max);
  boost::asio::post(ioc_, [this, s, room_id, key = room_key(room_id), after, count] {
    log_->read_after(key, after, count, [this, s, room_id](auto r) {
      state_.on_shard(s, [this, s, room_id, r = std::move(r)](core::RoomShard&) mutable {
        hole_filled(s, room_id, std::move(r));
      });
    });
  });
}

void ClusterRooms::hole_filled(std::size_t s, const std::string& room_id,
                               core::Result<std::vector<cluster::LogEntry>> entries) {
  ShardSide& side = *sides_[s];
  core::Room* room = state_.shard(s).find(room_id);
  auto t = side.tracks.find(room_id);
  if (!room || t == side.tracks.end()) return;
  Track& track = t->second;
  if (!entries) {
    // Redis is not reachable yet (its restart also cut our subscription): read again shortly.
    auto timer = std::make_shared<boost::asio::steady_timer>(state_.pool().context(s), kHoleRetry);
    timer->async_wait([this, s, room_id, timer](boost::system::error_code) {
      auto again = sides_[s]->tracks.find(room_id);
      if (again == sides_[s]->tracks.end() || !state_.shard(s).find(room_id)) return;
      again->second.filling = false;
      if (!again->second.held.empty()) fill_hole(s, room_id, again->second);
    });
    return;
  }
  track.filling = false;
  holes_filled_.fetch_add(1, std::memory_order_relaxed);
  for (auto& e : entries.value()) track.held.emplace(e.seq, std::move(e.record));
  track.held.erase(kCatchUp);
  // What the stream no longer has (trimmed by MAXLEN or expired) is lost, as a message
  // dropped from a full buffer is: readers below it are told (Room::dropped_through).
  if (!track.held.empty() && track.held.begin()->first > track.next) {
    room->mark_lost_through(track.held.begin()->first - 1);
    track.next = track.held.begin()->first;
  }
  apply_in_order(s, room_id, *room, track);
}

void ClusterRooms::apply(core::Room& room, int64_t seq, const std::string& record) {
  auto decoded = cluster::decode_room_record(record);
  if (!decoded) {
    spdlog::warn("cluster: skipped an unreadable room record (seq {})", seq);
    return;
  }
  const bool lock_first = decoded.value().lock_first;
  room.append_numbered(cluster::numbered_message(std::move(decoded.value()), seq),
                       core::wall_clock_ms(), lock_first);
}

void ClusterRooms::resync_all() {
  for (std::size_t s = 0; s < sides_.size(); ++s) {
    state_.on_shard(s, [this, s](core::RoomShard& shard) {
      for (auto& [room_id, track] : sides_[s]->tracks) {
        if (track.filling || track.next == 0 || !shard.find(room_id)) continue;
        // A placeholder past anything published: the hole read fetches all after `next`.
        track.held.emplace(kCatchUp, std::string());
        fill_hole(s, room_id, track);
      }
    });
  }
}

// --- posting ----------------------------------------------------------------------------

void ClusterRooms::append(std::size_t s, const std::string& room_id,
                          const cluster::RoomRecord& record, bool is_signed,
                          std::function<void(core::Result<int64_t>)> done) {
  cluster::AppendRequest request;
  request.room_key = room_key(room_id);
  request.record = cluster::encode_room_record(record);
  request.min_seq = core::wall_clock_ms();  // a new room starts at the clock (ROOMS.md §2.4)
  request.max_len = state_.limits.room_buffer_max;
  request.ttl_ms = state_.limits.room_retain_ms;
  request.is_signed = is_signed;
  request.lock = record.lock_first;
  request.channel = kLiveChannel;
  if (record.draft.signature) {
    // The node's own replay cache already refused a nonce it saw; this refuses one that
    // another node accepted. Kept as long as a replay could pass the ±60 s skew check.
    request.signer_nonce = record.draft.sender + ":" + record.draft.signature->sender_nonce;
    request.nonce_ttl_ms = kNonceMemoryMs;
  }
  boost::asio::post(ioc_, [this, s, room_id, request = std::move(request), done = std::move(done)] {
    log_->append(request, [this, s, room_id, record = request.record,
                           done = std::move(done)](core::Result<int64_t> r) mutable {
      state_.on_shard(s, [this, s, room_id = std::move(room_id), record = std::move(record),
                          r = std::move(r), done = std::move(done)](core::RoomShard&) mutable {
        // Read your own writes: the poster's node applies the message before it answers, as a
        // single node does, rather than when its publish comes back (that copy is then a
        // duplicate and dropped). Behind a hole it waits in order like any other.
        if (r) deliver(s, room_id, r.value(), std::move(record));
        done(std::move(r));
      });
    });
  });
}

// --- presence -----------------------------------------------------------------------------

void ClusterRooms::on_presence(std::size_t s, const std::string& room_id,
                               const std::string& record) {
  core::Room* room = state_.shard(s).find(room_id);
  if (!room || !sides_[s]->tracks.contains(room_id)) return;  // loading reads the hash itself
  auto p = cluster::decode_node_presence(record);
  if (!p) {
    spdlog::warn("cluster: skipped an unreadable presence record");
    return;
  }
  if (p.value().node == node_id_) return;
  room->set_remote_presence(p.value().node, std::move(p.value().presence), core::wall_clock_ms());
}

void ClusterRooms::local_presence_changed(core::Room& room) {
  const std::size_t s = state_.shard_of(room.id());
  ShardSide& side = *sides_[s];
  side.presence_dirty.insert(room.id());
  if (side.presence_flush_posted) return;
  side.presence_flush_posted = true;
  // After this turn of the event loop: a burst of joins goes out as one update per room.
  boost::asio::post(state_.pool().context(s), [this, s] { flush_presence(s); });
}

void ClusterRooms::flush_presence(std::size_t s) {
  ShardSide& side = *sides_[s];
  side.presence_flush_posted = false;
  const int64_t now = core::wall_clock_ms();
  for (const auto& room_id : side.presence_dirty) {
    if (core::Room* room = state_.shard(s).find(room_id)) publish_presence(*room, now);
  }
  side.presence_dirty.clear();
}

void ClusterRooms::publish_presence(core::Room& room, int64_t now_ms) {
  cluster::NodePresenceRecord record{node_id_,
                                     room.local_presence(now_ms, now_ms + kPresenceTtl.count())};
  cluster::PresenceUpdate update;
  update.room_key = room_key(room.id());
  update.node = node_id_;
  update.gone = record.presence.streams == 0 && record.presence.heartbeats.empty();
  update.record = cluster::encode_node_presence(record);
  update.ttl_ms = 2 * kPresenceTtl.count();
  update.channel = kLiveChannel;
  boost::asio::post(ioc_, [this, update = std::move(update)] {
    log_->publish_presence(update, [](core::Result<bool>) {});
  });
}

void ClusterRooms::arm_presence_refresh() {
  presence_refresh_->expires_after(kPresenceRefresh);
  presence_refresh_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    for (std::size_t s = 0; s < sides_.size(); ++s) {
      state_.on_shard(s, [this, s](core::RoomShard& shard) {
        const int64_t now = core::wall_clock_ms();
        for (const auto& [room_id, track] : sides_[s]->tracks) {
          core::Room* room = shard.find(room_id);
          if (room && room->subscriber_count() + room->heartbeat_count() > 0) {
            publish_presence(*room, now);
          }
        }
        forget_evicted(s);
      });
    }
    arm_presence_refresh();
  });
}

}  // namespace b2b::api
