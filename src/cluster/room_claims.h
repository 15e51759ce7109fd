// Claim/ack state shared by every node in cluster mode (ROOMS.md §9, §20.19; IDENTITY.md §5.8).
//
// The authoritative cursor and in-flight lease of (handle, room) live in Redis, in the room's
// hash tag next to its log (room_log.h), so one script sees them atomically:
//
//   {r:<room_key>}:claims  hash  handle -> the ClaimCursor as compact JSON (encode_claim_state)
//
// Writes are optimistic: a node reads the state, runs the ordinary core::try_claim/ack_claim
// on a copy against its own copy of the room, and writes the result back with a compare-and-
// set script that only writes if the stored value is still the one it read. A node that lost
// the race gets the current value back in the same reply and decides again. So there is one
// lease per (handle, room) across all nodes, and every answer is based on a state the script
// confirmed current (a "write nothing" swap verifies a read without changing it).
//
// The hash gets the room's retention as PEXPIRE on every write, so it goes with the room's
// keys. The acknowledged cursor is also persisted through the Store, which outlives them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cluster/redis_connection.h"
#include "core/claims.h"
#include "core/result.h"

namespace b2b::cluster {

std::string room_claims_key(std::string_view room_key);  // "{r:<room_key>}:claims"

// {"c":cursor,"i":{"id":claim_id,"s":seq,"a":claimed_at,"t":ttl_ms}} ("i" only while in flight).
// Deterministic, so equal states encode to equal strings on every node.
std::string encode_claim_state(const core::ClaimCursor& state);
std::optional<core::ClaimCursor> decode_claim_state(std::string_view text);

const std::string& claim_swap_script();

struct ClaimSwap {
  enum class Expect {
    kRead,    // compare with nothing: never writes, answers the current value
    kAbsent,  // the handle has no state in the room yet
    kEquals,  // the stored value equals `expected`
  };
  std::string room_key;
  std::string handle;
  Expect expect = Expect::kRead;
  std::string expected;
  std::string desired;  // empty: write nothing (confirm the expectation only)
  int64_t ttl_ms = 0;   // PEXPIRE of the hash on a write; 0: none
};

struct ClaimSwapResult {
  bool matched = false;                // the expectation held (and `desired` was written)
  std::optional<std::string> current;  // when not matched: the stored value (nullopt: absent)
};

// One EVALSHA (EVAL on NOSCRIPT). Call on the connection's executor; `done` runs there.
void swap_claim_state(const std::shared_ptr<RedisConnection>& redis, const ClaimSwap& swap,
                      std::function<void(core::Result<ClaimSwapResult>)> done);

}  // namespace b2b::cluster
