#include "api/cluster_posting.h"

#include "api/cluster_rooms.h"
#include "api/relay_state.h"
#include "cluster/room_record.h"
#include "core/uuid.h"

namespace b2b::api {

void post_through_cluster(RelayState& state, std::size_t s, const std::string& room_id,
                          core::PreparedPost prepared, int64_t now_ms,
                          std::function<void(core::PostResult)> done) {
  cluster::RoomRecord record;
  record.id = core::random_uuid_v4();
  record.ts = now_ms;
  record.lock_first = prepared.lock_first;
  record.draft = std::move(prepared.draft);
  const bool is_signed = record.draft.sender_verified;
  state.cluster->append(
      s, room_id, record, is_signed,
      [record, done = std::move(done)](core::Result<int64_t> seq) mutable {
        core::PostResult out;
        if (seq) {
          out.message = cluster::numbered_message(std::move(record), seq.value());
        } else if (seq.error().detail.starts_with(cluster::kRoomLockedReply)) {
          out.refusal = core::PostRefusal::kRoomLocked;
          out.detail = "this room only accepts signed posts";
        } else if (seq.error().detail.starts_with(cluster::kRoomReplayedReply)) {
          out.refusal = core::PostRefusal::kBadSignature;  // as a replay on one node is (401)
          out.detail = "sender_nonce was already used";
        } else {
          out.refusal = core::PostRefusal::kUnavailable;
          out.detail = seq.error().error;  // "redis unavailable": never the room or the content
        }
        done(std::move(out));
      });
}

}  // namespace b2b::api
