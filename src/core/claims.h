// ROOMS.md §9 claim/ack: an at-least-once pull with a server-side cursor per (handle, room),
// with the §20.19 fixes: a re-claim extends the lease, and an ack is accepted as long as the
// claim it names is still the current one (even after its lease ran out, if nobody else has
// claimed meanwhile). Cursors live on the room's shard, next to the room they point into.
#pragma once

#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/message.h"
#include "core/room.h"

namespace b2b::core {

struct Inflight {
  std::string claim_id;
  int64_t seq = 0;
  int64_t claimed_at = 0;
  int64_t ttl_ms = 0;
  // §9.1: expired when now − claimed_at > ttl_ms (strictly greater).
  bool expired(int64_t now_ms) const { return now_ms - claimed_at > ttl_ms; }
};

struct ClaimCursor {
  int64_t cursor = 0;  // last acknowledged seq
  std::optional<Inflight> inflight;
};

// Senders a claimer never receives: itself ({h, "@h"}) and the labels it names (§9.2 step 6).
struct Exclusions {
  std::unordered_set<std::string> senders;
  bool contains(std::string_view sender) const { return senders.count(std::string(sender)) > 0; }
};

struct ClaimOffer {
  MessagePtr message;
  std::string claim_id;
  int64_t cursor = 0;  // before this claim is acknowledged
};

// Cursors of one shard, with the per-handle room bound of §9.1 (least recently claimed first).
class ClaimBook {
 public:
  explicit ClaimBook(std::size_t rooms_per_handle_max) : max_rooms_(rooms_per_handle_max) {}

  ClaimCursor* find(std::string_view handle, std::string_view room_id);
  // Fetches or creates the cursor and marks it most recently claimed. `evicted` receives the
  // room ids whose cursors were dropped to respect the bound (to forget them durably too).
  ClaimCursor& touch(std::string_view handle, std::string_view room_id,
                     std::vector<std::string>* evicted = nullptr);
  // Start-up: restore a persisted cursor without disturbing LRU order semantics.
  void restore(std::string_view handle, std::string_view room_id, int64_t cursor);
  void forget_handle(std::string_view handle);
  std::size_t size() const { return cursors_.size(); }

 private:
  static std::string key(std::string_view handle, std::string_view room_id);
  const std::size_t max_rooms_;
  std::unordered_map<std::string, ClaimCursor> cursors_;  // "handle\nroom" -> cursor
  // Per handle, room ids from least to most recently claimed.
  std::unordered_map<std::string, std::list<std::string>> lru_;
};

// §9.2 steps 9–12 against the current room. Mutates the cursor (clamp, lease). Returns the
// message to hand out, or nullopt when nothing is claimable. `cursor_moved` tells the caller
// to persist the cursor.
std::optional<ClaimOffer> try_claim(const Room& room, ClaimCursor& c, const Exclusions& excluded,
                                    int64_t ttl_ms, int64_t now_ms, bool* cursor_moved);

enum class AckOutcome { kAdvanced, kAlreadyAcked, kStale };
// §9.3 steps 8–10 with the §20.19 late-ack fix.
AckOutcome ack_claim(ClaimCursor& c, std::string_view claim_id, int64_t seq);

}  // namespace b2b::core
