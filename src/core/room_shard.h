// The rooms one shard owns (DESIGN.md principle 1: a room id hashes to exactly one shard,
// whose thread alone touches it). Also holds waits parked on rooms that do not exist yet
// (§20.9) and the high-water seqs of evicted rooms (§20.8).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/byte_budget.h"
#include "core/claims.h"
#include "core/metrics.h"
#include "core/relay_limits.h"
#include "core/result.h"
#include "core/room.h"

namespace b2b::core {

// The global room count behind ROOMS_MAX, shared by all shards.
struct RoomCount {
  std::atomic<int64_t> value{0};
};

class RoomShard {
 public:
  RoomShard(const RelayLimits& limits, ByteBudget& budget, Metrics& metrics, RoomCount& count,
            SeqReservations* reservations = nullptr);
  ~RoomShard();
  RoomShard(const RoomShard&) = delete;
  RoomShard& operator=(const RoomShard&) = delete;

  Room* find(std::string_view id);
  // §2.2 implicit creation. At the cap, the least recently active room of this shard that is
  // past its idle grace is evicted (§2.3 with the §20.18 fix); if none, "room cap reached".
  Result<Room*> get_or_create(std::string_view id, int64_t now_ms);

  // Evicts this shard's least recently active room that is past its idle grace, if any;
  // another shard at the global cap asks for this (§2.3).
  bool evict_oldest_idle(int64_t now_ms);

  // §20.9: a wait on a missing room is held here and moves into the room when it is created.
  void park_orphan(std::string_view id, std::shared_ptr<Waiter> waiter);
  void unpark_orphan(std::string_view id, const Waiter* waiter);
  // Parked waits for a room id, whether the room exists or not (§10.2 room waiter cap).
  std::size_t waiters_for(std::string_view id);

  // §2.3 janitor pass: prune every room, evict idle ones.
  void janitor(int64_t now_ms);
  std::size_t room_count() const { return rooms_.size(); }
  // Claim cursors of the rooms this shard owns; they outlive room eviction (§2.3).
  ClaimBook& claims() { return claims_; }

  // Shutdown: every subscriber and waiter, detached from their rooms.
  std::vector<std::shared_ptr<StreamSubscriber>> release_all_subscribers();
  std::vector<std::shared_ptr<Waiter>> release_all_waiters();

  // Where a (re-)created room starts: its first seq is above anything it handed out before
  // (§20.8), and `lost_through` is the highest seq an earlier incarnation may have held — its
  // messages are gone with it (Room::dropped_through).
  struct RoomOrigin {
    int64_t first_seq;
    int64_t lost_through;
  };
  RoomOrigin origin_for(std::string_view id, int64_t now_ms) const;
  // For a room that does not exist now: the highest seq its evicted incarnation held, if this
  // shard still remembers it; else 0.
  int64_t remembered_lost_through(std::string_view id) const;

 private:
  void evict(std::unordered_map<std::string, std::unique_ptr<Room>>::iterator it);
  void remember_evicted(const Room& room);

  const RelayLimits& limits_;
  ByteBudget& budget_;
  Metrics& metrics_;
  RoomCount& count_;
  SeqReservations* reservations_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
  ClaimBook claims_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<Waiter>>> orphans_;
  // §20.8 memory, bounded FIFO: an entry's generation tells a stale queue position (the
  // room was evicted again since) from the live one.
  struct HighWater {
    int64_t next_seq;
    int64_t lost_through;  // highest seq the evicted room held or dropped, 0 if none
    uint64_t generation;
    bool signed_only;  // §20.5: a lock outlives the room's eviction
  };
  std::unordered_map<std::string, HighWater> evicted_next_seq_;
  std::deque<std::pair<std::string, uint64_t>> evicted_order_;
  uint64_t evicted_generation_ = 0;
};

}  // namespace b2b::core
