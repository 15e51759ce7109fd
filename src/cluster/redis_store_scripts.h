// The Lua scripts behind RedisStore's writes: each write is one script, so it is one atomic
// step in Redis (no other command runs in between, and a reader never sees half a write),
// and it ends by PUBLISHing its change event (change_event.h) on kChangeChannel — only after
// every write of the script succeeded. Argument order of each script: see its comment in
// redis_store_scripts.cpp; the last ARGV is always the event payload. A script answers 0 when it
// deliberately wrote nothing (insert_identity of a taken handle); the store's Done then gets false.
#pragma once

#include "cluster/redis_script.h"

namespace b2b::cluster {

// Sweeps delete at most this many records per script run, so that one run never blocks
// Redis for long; the store repeats the script until a run deletes fewer.
inline constexpr int kSweepBatch = 500;

struct RedisStoreScripts {
  RedisStoreScripts();
  void load_all(RedisConnection& redis) const;  // from on_ready

  RedisScript insert_identity, upsert_identity, delete_identity, upsert_profile, delete_profile,
      insert_dm, delete_dm, sweep_dms, set_inbox_seq, upsert_cursor, delete_cursor,
      upsert_high_water, upsert_webhook, delete_webhook, upsert_delivery, sweep_deliveries;
};

}  // namespace b2b::cluster
