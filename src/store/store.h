// The durable store (DESIGN.md principle 7): everything that must survive a restart goes
// through this interface — identities (IDENTITY.md §2.1, §2.5), directory profiles (§3.3),
// DM inboxes (§4.3), claim cursors (ROOMS.md §9.1, IDENTITY.md §5.8) and per-room sequence
// high-water marks (ROOMS.md §20.8). SQLite (sqlite_store.h) is the default backend; Redis
// takes its place in cluster mode.
//
// What is NOT here: room message content. It lives in memory only and never reaches a Store.
// Rooms are named by `room_key`, an opaque keyed hash of the room id (room_key_for below), so
// the store never sees a room id: whoever reads the database file cannot join a room from it.
//
// Threading: every method may be called from any thread. Writes are queued and return at
// once; their `Done` runs later on the store's own thread, after the write is committed
// (durable: an acknowledged write survives a crash) or has failed. Callers hop back to their
// own executor inside `Done`; it must be short and must not call flush(), load() or close().
// A write refused outright (store closed, queue full) runs its Done at once, on the caller's
// thread, before the call returns.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace b2b::store {

// IDENTITY.md §2.1. Keys are base64 text exactly as registered.
struct IdentityRecord {
  std::string handle;
  std::string box_pub;
  std::string sign_pub;
  int64_t registered_at = 0;
  int64_t updated_at = 0;
  int64_t last_seen_at = 0;
  std::string meta_json = "{}";  // a JSON object: {} or {"bio": "..."}
  int64_t inbox_seq = 0;         // §4.3: last DM seq handed out; only rises
  bool operator==(const IdentityRecord&) const = default;
};

// IDENTITY.md §3.3 step 8. box_pub/sign_pub are not stored twice: they come from the identity.
struct ProfileRecord {
  std::string handle;
  std::string profile_json;  // canonical JSON (§3.2), the exact text that was signed
  std::string profile_sig;
  int64_t updated_at = 0;
  int64_t last_seen_at = 0;
  int64_t expires_at = 0;
  int64_t created_at = 0;
  bool operator==(const ProfileRecord&) const = default;
};

// IDENTITY.md §4.3/§4.6: one envelope in `recipient`'s inbox. The ciphertext is sealed to the
// recipient's box key, so persisting it for an offline recipient is not persisting room
// content. `from_sig`/`from_ts` are kept for audit, never served.
struct DmRecord {
  std::string recipient;
  int64_t seq = 0;
  std::string id;
  std::string ciphertext;
  std::string nonce;
  std::string sender_eph_pub;
  std::optional<std::string> from_handle;
  bool from_verified = false;
  int64_t ts = 0;
  std::optional<std::string> from_sig;
  std::optional<int64_t> from_ts;
  bool operator==(const DmRecord&) const = default;
};

// ROOMS.md §9.1 / IDENTITY.md §5.8: the acknowledged cursor of (handle, room). The in-flight
// lease is deliberately not stored: after a restart an unacked claim is simply claimable again.
struct ClaimCursorRecord {
  std::string handle;
  std::string room_key;  // room_key_for(room_key_secret(), room_id), never the room id
  int64_t cursor = 0;
  int64_t touched_at = 0;  // last /claim, for the per-handle LRU
  bool operator==(const ClaimCursorRecord&) const = default;
};

// ROOMS.md §20.8: a re-created room starts above every seq it handed out before.
struct RoomHighWater {
  std::string room_key;  // room_key_for(room_key_secret(), room_id), never the room id
  int64_t next_seq = 0;
  bool operator==(const RoomHighWater&) const = default;
};

// Webhooks (issue 10): a handle's DM hook (`room_key` empty) or a room subscription. The
// secret is the HMAC key of every delivery; it is stored because deliveries survive restarts.
struct WebhookRecord {
  std::string id;
  std::string handle;    // the owner
  std::string room_key;  // room_key_for(...) of a subscribed room, never the room id; "" = DMs
  std::string url;
  std::string secret;
  int64_t created_at = 0;
  bool operator==(const WebhookRecord&) const = default;
};

// One delivery of a webhook and its retry state. Only DM deliveries are stored (their body
// holds the envelope the inbox already persists); room message content never reaches a Store.
struct WebhookDeliveryRecord {
  std::string id;
  std::string hook_id;
  std::string body;  // the exact JSON that is POSTed and signed
  int64_t created_at = 0;
  int64_t attempts = 0;
  int64_t next_attempt_at = 0;  // wall-clock ms of the next try while pending
  std::string state;            // "pending", "delivered" or "failed" (gave up after 24 h)
  int64_t last_status = 0;      // HTTP status of the last try; 0 = no answer
  std::string last_error;
  int64_t updated_at = 0;
  bool operator==(const WebhookDeliveryRecord&) const = default;
};

// Everything in the store, for start-up. DMs are ordered by recipient, then seq; the other
// lists by their key.
struct Snapshot {
  std::vector<IdentityRecord> identities;
  std::vector<ProfileRecord> profiles;
  std::vector<DmRecord> dms;
  std::vector<ClaimCursorRecord> claim_cursors;
  std::vector<RoomHighWater> room_high_waters;
  std::vector<WebhookRecord> webhooks;                    // by id
  std::vector<WebhookDeliveryRecord> webhook_deliveries;  // by created_at
};

// Counters for /api/metrics and tests. `commits` < `writes_ok` shows group commit at work.
struct StoreStats {
  uint64_t pending = 0;  // queued or being written, Done not yet run
  uint64_t commits = 0;  // transactions committed
  uint64_t writes_ok = 0;
  uint64_t writes_failed = 0;  // includes writes refused with "storage busy"
};

// Outcome of one write. Error texts: "storage full" (disk or size cap full), "storage busy"
// (too many writes queued), "storage error" (anything else). `detail` never holds user data.
using Done = std::function<void(core::Result<bool>)>;

class Store {
 public:
  virtual ~Store() = default;

  // A new handle: written only if the handle has no identity yet. `done` gets true when it was
  // written, false when the handle was taken (in cluster mode another node may have registered
  // it a moment before this node heard of it).
  virtual void insert_identity(IdentityRecord record, Done done) = 0;
  virtual void upsert_identity(IdentityRecord record, Done done) = 0;
  // Also deletes the handle's profile, DMs, claim cursors and webhooks (IDENTITY.md §2.5 GC).
  virtual void delete_identity(std::string handle, Done done) = 0;
  virtual void upsert_profile(ProfileRecord record, Done done) = 0;
  virtual void delete_profile(std::string handle, Done done) = 0;
  // Idempotent: an envelope with the same (recipient, seq) or (recipient, id) is replaced.
  virtual void insert_dm(DmRecord record, Done done) = 0;
  virtual void delete_dm(std::string recipient, std::string id, Done done) = 0;
  // §4.3 TTL: deletes every envelope with ts < `ts`.
  virtual void delete_dms_older_than(int64_t ts, Done done) = 0;
  // Never lowers the stored value (sequence numbers only rise); no-op for an unknown handle.
  virtual void set_inbox_seq(std::string handle, int64_t seq, Done done) = 0;
  virtual void upsert_claim_cursor(ClaimCursorRecord record, Done done) = 0;
  virtual void delete_claim_cursor(std::string handle, std::string room_key, Done done) = 0;
  // Never lowers the stored value: a high-water mark only rises.
  virtual void upsert_room_high_water(RoomHighWater record, Done done) = 0;
  virtual void upsert_webhook(WebhookRecord record, Done done) = 0;
  // Also deletes the hook's deliveries.
  virtual void delete_webhook(std::string id, Done done) = 0;
  virtual void upsert_webhook_delivery(WebhookDeliveryRecord record, Done done) = 0;
  // Deletes finished (not pending) deliveries last updated before `ts`.
  virtual void delete_webhook_deliveries_before(int64_t ts, Done done) = 0;

  // Start-up read of every record; sees every write queued before the call.
  virtual core::Result<Snapshot> load() = 0;
  // Blocks until every write queued before the call is committed and its Done has run.
  virtual void flush() = 0;
  // Flushes, then closes. Later writes fail at once with "storage error". Idempotent.
  virtual void close() = 0;

  // 32 random bytes created with the data directory; the key of room_key_for.
  virtual std::string room_key_secret() const = 0;
  virtual StoreStats stats() const = 0;
};

// The name a room has in the store: hex(HMAC-SHA256(secret, room_id)) cut to 32 hex digits
// (128 bits). Deterministic per secret, unlinkable to the room id without the secret.
std::string room_key_for(std::string_view secret, std::string_view room_id);

}  // namespace b2b::store
