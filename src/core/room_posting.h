// ROOMS.md §6.1 steps 5–9 (and §6.3 steps 3–7): what happens to a validated, rate-limited
// post once it reaches its room. Shared by HTTP POST and WebSocket message frames, which
// differ only in the default sender label and in how a refusal is worded.
#pragma once

#include <string>

#include "core/message.h"
#include "core/message_validation.h"
#include "core/result.h"
#include "core/room.h"
#include "core/sender_verifier.h"

namespace b2b::core {

enum class PostRefusal {
  kRoomBufferFull,      // 503 (§20.17)
  kGlobalBufferFull,    // 503 (§2.7)
  kBadSignature,        // 401
  kSignatureBusy,       // 429: the replay cache cannot take the nonce (§20.7)
  kSignedOnlyNeedsSig,  // 400: signed_only:true on an unsigned post
  kRoomLocked,          // 403: unsigned post to a signed-only room
  kUnavailable,         // 503: cluster mode's Redis cannot be reached (nothing was appended)
};

struct PostResult {
  MessagePtr message;  // set on success
  std::optional<PostRefusal> refusal;
  std::string detail;
};

// Steps 5–8 without the append: the draft to number, or the refusal. Cluster mode numbers the
// draft in Redis (src/api/cluster_rooms.h); post_to_room appends it here.
struct PreparedPost {
  MessageDraft draft;
  bool lock_first = false;  // step 7: this post locks the room (§7.3)
  std::optional<PostRefusal> refusal;
  std::string detail;
};

// `precheck`, when given, is the result of verifier.check() done earlier on another thread;
// otherwise the check runs here (after the budget, as §6.1 orders it).
PreparedPost prepare_post(Room& room, IncomingMessage message, std::string_view default_sender,
                          SenderVerifier& verifier, int64_t now_ms,
                          const SignatureCheck* precheck = nullptr);

// prepare_post, then step 9 (Room::append).
PostResult post_to_room(Room& room, IncomingMessage message, std::string_view default_sender,
                        SenderVerifier& verifier, int64_t now_ms,
                        const SignatureCheck* precheck = nullptr);

}  // namespace b2b::core
