// What the identity features share across shards (IDENTITY.md): the durable store, the
// registry of identities, the replay caches of every signature kind, the DM pool and the
// inbox shards (an inbox lives on the shard its handle hashes to, like a room).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/byte_budget.h"
#include "identity/directory.h"
#include "identity/identity_registry.h"
#include "identity/inbox.h"
#include "identity/replay_cache.h"
#include "store/store.h"

namespace b2b::api {

class NonceClaimer;

struct IdentityConfig {
  std::optional<std::string> admin_token;  // §2.4 operator token for reserved handles
  std::size_t identities_max = 100'000;
  int64_t identity_gc_inactive_ms = 180LL * 24 * 3600 * 1000;
  int64_t identity_touch_min_ms = 60'000;
  int64_t dm_pool_max_bytes = 536'870'912;
  std::size_t dm_waiters_per_handle = 64;
  // Replay caches (§20.7): live nonces per handle and in all, per cache.
  std::size_t nonces_per_handle_max = 1'000'000;
  std::size_t nonces_total_max = 2'000'000;
};

// Persisted claim cursors are keyed by room key (the store never sees room ids); they are
// adopted by the room's shard on the first claim or ack that names them.
class RestoredCursors {
 public:
  void add(const std::string& handle, const std::string& room_key, int64_t cursor);
  std::optional<int64_t> take(const std::string& handle, const std::string& room_key);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, int64_t> cursors_;
};

struct IdentityServices {
  IdentityServices(std::unique_ptr<store::Store> store, IdentityConfig config, std::size_t shards);

  std::unique_ptr<store::Store> store;
  const IdentityConfig config;
  const std::string room_key_secret;
  identity::IdentityRegistry registry;
  identity::Directory directory;
  identity::ReplayCache request_nonces;  // §1.10: shared by every Hdr-auth endpoint
  identity::ReplayCache room_nonces;     // §5.2: signed room posts
  identity::ReplayCache dm_envelopes;    // §4.2: "<recipient>|<env_hash>" per sender
  identity::ReplayCache register_sigs;   // §2.2: keyed by the digest of the signed text
  // Cluster mode: makes the nonces of these caches single-use across nodes (shared_nonces.h).
  // Null on a single node. Owned by run_server.
  NonceClaimer* nonce_claimer = nullptr;
  core::ByteBudget dm_pool;
  identity::InboxLimits inbox_limits;
  std::vector<std::unique_ptr<identity::InboxShard>> inboxes;
  RestoredCursors restored_cursors;
  std::unordered_map<std::string, int64_t> restored_high_water;  // room key -> next seq

  std::string room_key(std::string_view room_id) const {
    return store::room_key_for(room_key_secret, room_id);
  }
};

// A persisted DM as the inbox holds it (start-up, and cluster mode's change feed).
identity::EnvelopePtr envelope_from_record(const store::DmRecord& d);

}  // namespace b2b::api
