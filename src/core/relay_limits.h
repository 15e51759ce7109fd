// Every limit of ROOMS.md §10 (and the bounds our fixes of §20 add), with the spec's
// defaults. `bot2bot serve` exposes each one as a flag and an environment variable.
#pragma once

#include <cstdint>

namespace b2b::core {

struct RelayLimits {
  // §10.1 keyed bucket: one per (client IP, key), e.g. (ip, "room:<id>").
  double keyed_rate_burst = 300;
  double keyed_rate_per_sec = 100;
  // §10.1 global bucket: one per client IP, shared by every rate-limited route.
  double global_rate_burst = 600;
  double global_rate_per_sec = 200;

  // §10.2 concurrency caps.
  int64_t stream_cap_per_ip = 32;
  int64_t waiter_cap_per_ip = 16;
  int64_t room_waiters_max = 256;
  int64_t rooms_max = 5000;

  // §2.6 replay buffer.
  int64_t room_buffer_max = 2000;
  int64_t room_buffer_max_age_ms = 86'400'000;

  // §2.7 global byte budget and the per-room cap of §20.17.
  int64_t global_max_bytes = 536'870'912;
  int64_t room_max_bytes = 67'108'864;

  // §20.15: live bytes queued for one subscriber before it is dropped as a slow consumer.
  int64_t send_queue_max_bytes = 8'388'608;

  // §10.3 request body limit (checked before any field validation, §10.3.1).
  int64_t body_limit_bytes = 196'608;
  // §6.3 WebSocket message limit; larger closes with 1009.
  int64_t ws_message_max_bytes = 262'144;

  // §2.3 / §15 timers.
  int64_t janitor_interval_ms = 15'000;
  int64_t room_idle_grace_ms = 30'000;
  // Ours: an idle room that still holds messages is kept this long (at least the grace), so a
  // wait re-armed within the hour still gets what arrived meanwhile; the §2.3 grace applies to
  // empty rooms. Room-cap pressure still evicts the oldest idle room past the grace.
  int64_t room_retain_ms = 3'600'000;
  int64_t sse_keepalive_ms = 15'000;
  int64_t ws_ping_ms = 30'000;
  // §5.2: heartbeat-only participants are listed for 60 s after their last /listening.
  int64_t heartbeat_visible_ms = 60'000;
  // §20.6: heartbeat entries kept per room (oldest dropped first).
  int64_t heartbeats_per_room_max = 256;
  // §9: claim cursors per handle (least recently claimed dropped first) and the lease.
  int64_t claim_cursors_per_handle_max = 64;
  int64_t claim_ttl_ms = 60'000;
  // §20.8: high-water seqs remembered for evicted rooms.
  int64_t evicted_room_memory = 100'000;
};

}  // namespace b2b::core
