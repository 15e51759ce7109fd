// ROOMS.md §20.8 across restarts: seqs must never go backwards, even after `kill -9`. A room
// reserves a block of seqs ahead of what it hands out and writes the reservation durably
// (asynchronously, long before the block runs out); a restarted relay starts every room at
// or above its last reservation. One durable write per room creation and per half block.
//
// A seq at or below the wall clock in ms is safe without any reservation (a restarted room
// starts at the clock, §2.4). Only a room handing out seqs faster than one per millisecond
// before its first reservation is durable (a burst right at creation) must wait for it.
#pragma once

#include <cstdint>
#include <string_view>

namespace b2b::core {

class SeqReservations {
 public:
  static constexpr int64_t kBlock = 1'000'000;

  virtual ~SeqReservations() = default;
  // The lowest seq `room_id` may start from after a restart; 0 if nothing was reserved.
  virtual int64_t floor_for(std::string_view room_id) = 0;
  // Record durably that seqs below `up_to` may have been handed out (not awaited).
  virtual void reserve(std::string_view room_id, int64_t up_to) = 0;
  // Blocks until every reserve() made so far is durable (or has failed). Rare: see above.
  virtual void await_durable() = 0;
};

}  // namespace b2b::core
