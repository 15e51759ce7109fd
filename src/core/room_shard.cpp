#include "core/room_shard.h"

#include <algorithm>

namespace b2b::core {

RoomShard::RoomShard(const RelayLimits& limits, ByteBudget& budget, Metrics& metrics,
                     RoomCount& count, SeqReservations* reservations)
    : limits_(limits),
      budget_(budget),
      metrics_(metrics),
      count_(count),
      reservations_(reservations),
      claims_(static_cast<std::size_t>(limits.claim_cursors_per_handle_max)) {}

RoomShard::~RoomShard() {
  count_.value.fetch_sub(static_cast<int64_t>(rooms_.size()));
  add(metrics_.rooms, -static_cast<int64_t>(rooms_.size()));
}

Room* RoomShard::find(std::string_view id) {
  auto it = rooms_.find(std::string(id));
  return it == rooms_.end() ? nullptr : it->second.get();
}

Result<Room*> RoomShard::get_or_create(std::string_view id, int64_t now_ms) {
  std::string key(id);
  if (auto it = rooms_.find(key); it != rooms_.end()) return it->second.get();

  // Reserve a slot under the global cap; at the cap, make room from this shard's idle rooms.
  int64_t cur = count_.value.load();
  while (true) {
    if (cur < limits_.rooms_max) {
      if (count_.value.compare_exchange_weak(cur, cur + 1)) break;
      continue;
    }
    if (!evict_oldest_idle(now_ms)) {
      return Error{"room cap reached", "every room is in use; try again later"};
    }
    cur = count_.value.load();
  }

  const RoomOrigin origin = origin_for(key, now_ms);
  auto room = std::make_unique<Room>(key, now_ms, origin.first_seq, limits_, budget_, metrics_,
                                     reservations_);
  Room* r = room.get();
  r->mark_lost_through(origin.lost_through);
  if (auto hw = evicted_next_seq_.find(key);
      hw != evicted_next_seq_.end() && hw->second.signed_only) {
    r->lock_signed_only(now_ms);  // §20.5: no silent downgrade after an eviction
  }
  rooms_.emplace(key, std::move(room));
  add(metrics_.rooms, 1);
  inc(metrics_.rooms_created);
  if (auto it = orphans_.find(key); it != orphans_.end()) {
    for (auto& w : it->second) r->park(std::move(w), now_ms);
    orphans_.erase(it);
  }
  return r;
}

bool RoomShard::evict_oldest_idle(int64_t now_ms) {
  auto victim = rooms_.end();
  for (auto it = rooms_.begin(); it != rooms_.end(); ++it) {
    if (!it->second->evictable(now_ms, limits_.room_idle_grace_ms)) continue;
    if (victim == rooms_.end() || it->second->last_active_ms() < victim->second->last_active_ms()) {
      victim = it;
    }
  }
  if (victim == rooms_.end()) return false;
  evict(victim);
  return true;
}

void RoomShard::park_orphan(std::string_view id, std::shared_ptr<Waiter> waiter) {
  orphans_[std::string(id)].push_back(std::move(waiter));
}

void RoomShard::unpark_orphan(std::string_view id, const Waiter* waiter) {
  auto it = orphans_.find(std::string(id));
  if (it == orphans_.end()) return;
  std::erase_if(it->second, [&](const std::shared_ptr<Waiter>& w) { return w.get() == waiter; });
  if (it->second.empty()) orphans_.erase(it);
}

std::size_t RoomShard::waiters_for(std::string_view id) {
  if (Room* r = find(id)) return r->waiter_count();
  auto it = orphans_.find(std::string(id));
  return it == orphans_.end() ? 0 : it->second.size();
}

void RoomShard::janitor(int64_t now_ms) {
  const int64_t keep_with_messages = std::max(limits_.room_idle_grace_ms, limits_.room_retain_ms);
  for (auto it = rooms_.begin(); it != rooms_.end();) {
    const int64_t keep =
        it->second->last_seq() > 0 ? keep_with_messages : limits_.room_idle_grace_ms;
    if (it->second->evictable(now_ms, keep)) {
      auto next = std::next(it);
      evict(it);
      it = next;
    } else {
      it->second->prune(now_ms);
      it->second->expire_remote_presence(now_ms);
      ++it;
    }
  }
}

void RoomShard::evict(std::unordered_map<std::string, std::unique_ptr<Room>>::iterator it) {
  remember_evicted(*it->second);
  rooms_.erase(it);
  count_.value.fetch_sub(1);
  add(metrics_.rooms, -1);
  inc(metrics_.rooms_evicted);
}

void RoomShard::remember_evicted(const Room& room) {
  const uint64_t gen = ++evicted_generation_;
  evicted_next_seq_.insert_or_assign(
      room.id(),
      HighWater{room.next_seq(), std::max(room.dropped_through(), room.last_assigned_seq()), gen,
                room.signed_only()});
  evicted_order_.emplace_back(room.id(), gen);
  // Bound by live entries; queue positions left behind by a re-eviction are skipped.
  while (static_cast<int64_t>(evicted_next_seq_.size()) > limits_.evicted_room_memory ||
         evicted_order_.size() > 2 * evicted_next_seq_.size() + 16) {
    auto [old_id, old_gen] = std::move(evicted_order_.front());
    evicted_order_.pop_front();
    auto it = evicted_next_seq_.find(old_id);
    if (it != evicted_next_seq_.end() && it->second.generation == old_gen) {
      evicted_next_seq_.erase(it);
    }
  }
}

RoomShard::RoomOrigin RoomShard::origin_for(std::string_view id, int64_t now_ms) const {
  RoomOrigin origin{now_ms, 0};
  if (auto it = evicted_next_seq_.find(std::string(id)); it != evicted_next_seq_.end()) {
    origin.first_seq = std::max(origin.first_seq, it->second.next_seq);
    origin.lost_through = it->second.lost_through;
  }
  if (reservations_) {
    // A reservation means an earlier incarnation (before a restart, or one this shard no
    // longer remembers) may have handed out seqs below it; we cannot know which, so a reader
    // below it is told it may have missed messages rather than nothing.
    if (const int64_t floor = reservations_->floor_for(id); floor > 0) {
      origin.first_seq = std::max(origin.first_seq, floor);
      origin.lost_through = std::max(origin.lost_through, floor - 1);
    }
  }
  return origin;
}

int64_t RoomShard::remembered_lost_through(std::string_view id) const {
  auto it = evicted_next_seq_.find(std::string(id));
  return it != evicted_next_seq_.end() ? it->second.lost_through : 0;
}

std::vector<std::shared_ptr<StreamSubscriber>> RoomShard::release_all_subscribers() {
  std::vector<std::shared_ptr<StreamSubscriber>> out;
  for (auto& [id, room] : rooms_) {
    auto subs = room->release_subscribers();
    out.insert(out.end(), subs.begin(), subs.end());
  }
  return out;
}

std::vector<std::shared_ptr<Waiter>> RoomShard::release_all_waiters() {
  std::vector<std::shared_ptr<Waiter>> out;
  for (auto& [id, room] : rooms_) {
    auto ws = room->release_waiters();
    out.insert(out.end(), ws.begin(), ws.end());
  }
  for (auto& [id, ws] : orphans_) out.insert(out.end(), ws.begin(), ws.end());
  orphans_.clear();
  return out;
}

}  // namespace b2b::core
