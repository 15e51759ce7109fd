#include "core/claims.h"

#include "core/uuid.h"

namespace b2b::core {

std::string ClaimBook::key(std::string_view handle, std::string_view room_id) {
  std::string k;
  k.reserve(handle.size() + room_id.size() + 1);
  k.append(handle).push_back('\n');
  k.append(room_id);
  return k;
}

ClaimCursor* ClaimBook::find(std::string_view handle, std::string_view room_id) {
  auto it = cursors_.find(key(handle, room_id));
  return it == cursors_.end() ? nullptr : &it->second;
}

ClaimCursor& ClaimBook::touch(std::string_view handle, std::string_view room_id,
                              std::vector<std::string>* evicted) {
  auto& order = lru_[std::string(handle)];
  order.remove(std::string(room_id));
  order.push_back(std::string(room_id));
  while (order.size() > max_rooms_) {
    if (evicted) evicted->push_back(order.front());
    cursors_.erase(key(handle, order.front()));
    order.pop_front();
  }
  return cursors_[key(handle, room_id)];
}

void ClaimBook::restore(std::string_view handle, std::string_view room_id, int64_t cursor) {
  touch(handle, room_id).cursor = cursor;
}

void ClaimBook::forget_handle(std::string_view handle) {
  auto it = lru_.find(std::string(handle));
  if (it == lru_.end()) return;
  for (const auto& room : it->second) cursors_.erase(key(handle, room));
  lru_.erase(it);
}

std::optional<ClaimOffer> try_claim(const Room& room, ClaimCursor& c, const Exclusions& excluded,
                                    int64_t ttl_ms, int64_t now_ms, bool* cursor_moved) {
  // Step 9: a cursor below the replay window starts at its oldest message.
  const auto oldest = room.messages_after(0, 1);
  if (!oldest.empty() && c.cursor < oldest.front()->seq - 1) {
    c.cursor = oldest.front()->seq - 1;
    if (cursor_moved) *cursor_moved = true;
  }
  // Steps 10–11: a live claim is handed out again, its lease renewed (§20.19).
  if (c.inflight) {
    if (!c.inflight->expired(now_ms)) {
      auto again = room.messages_after(c.inflight->seq - 1, 1);
      if (!again.empty() && again.front()->seq == c.inflight->seq) {
        c.inflight->claimed_at = now_ms;
        c.inflight->ttl_ms = ttl_ms;
        return ClaimOffer{again.front(), c.inflight->claim_id, c.cursor};
      }
    }
    c.inflight.reset();  // expired, or its message has left the buffer
  }
  // Step 12: the oldest message past the cursor from someone not excluded.
  constexpr std::size_t kScanBatch = 256;
  int64_t after = c.cursor;
  while (true) {
    auto batch = room.messages_after(after, kScanBatch);
    if (batch.empty()) return std::nullopt;
    for (const auto& m : batch) {
      if (excluded.contains(m->sender)) continue;
      c.inflight = Inflight{random_uuid_v4(), m->seq, now_ms, ttl_ms};
      return ClaimOffer{m, c.inflight->claim_id, c.cursor};
    }
    after = batch.back()->seq;
  }
}

AckOutcome ack_claim(ClaimCursor& c, std::string_view claim_id, int64_t seq) {
  if (seq != 0 && seq <= c.cursor) return AckOutcome::kAlreadyAcked;  // idempotent
  // §20.19: the lease only matters when someone re-claims; until then the ack stands.
  if (!c.inflight || c.inflight->claim_id != claim_id || c.inflight->seq != seq) {
    return AckOutcome::kStale;
  }
  c.cursor = seq;
  c.inflight.reset();
  return AckOutcome::kAdvanced;
}

}  // namespace b2b::core
