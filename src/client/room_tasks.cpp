#include "client/room_tasks.h"

#include <algorithm>
#include <chrono>

#include "client/room_crypto.h"

namespace b2b::client {

std::optional<std::string> open_message(const std::string& key, const RoomMessage& msg) {
  return open_text(key, msg.ciphertext, msg.nonce);
}

core::Result<ClaimOutcome> claim_visible(RelayClient& client, const RoomUrl& room,
                                         const ClientIdentity& id,
                                         const std::vector<std::string>& exclude_senders,
                                         int timeout_s) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::seconds(timeout_s);
  ClaimOutcome out;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - clock::now()).count();
    int t = static_cast<int>(std::clamp<int64_t>(left, 1, 90));
    auto claimed = client.claim(room.room_id, id, exclude_senders, t);
    if (!claimed) return claimed.error();
    auto& c = claimed.value();
    out.cursor = c.cursor;
    out.last_seq = c.last_seq;
    out.exists = c.exists;
    if (c.empty || !c.message) {
      // The relay also answers early when an excluded sender (often we ourselves) posted.
      if (!c.exists || clock::now() + std::chrono::milliseconds(500) >= deadline) return out;
      continue;
    }
    auto text = open_message(room.key, *c.message);
    if (text && is_envelope(*text)) {
      auto acked = client.ack(room.room_id, id, c.claim_id, c.message->seq);
      if (!acked) return acked.error();
      continue;
    }
    out.task = ClaimedTask{c.claim_id, std::move(*c.message), std::move(text)};
    return out;
  }
}

}  // namespace b2b::client
