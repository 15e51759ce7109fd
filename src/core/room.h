// One room (ROOMS.md §2): its replay buffer, sequence, subscribers, presence, waiters and
// signed-only lock. A Room is owned by exactly one shard and only ever touched from that
// shard's thread, which makes every invariant of §18 hold without locks: an append, its
// fan-out and its wake-ups run as one step, and so do a subscriber's replay, `ready` and
// registration.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_budget.h"
#include "core/message.h"
#include "core/metrics.h"
#include "core/presence.h"
#include "core/relay_limits.h"
#include "core/result.h"
#include "core/seq_reservations.h"
#include "core/subscriber.h"

namespace b2b::core {

struct RoomStatus {
  int64_t participants = 0;
  int64_t recent_count = 0;
  int64_t last_seq = 0;
  int64_t age_seconds = 0;
  int64_t idle_seconds = 0;
  bool signed_only = false;
};

// A new subscriber's declared identity (SSE query parameters; WS declares later via hello).
struct Joiner {
  std::shared_ptr<StreamSubscriber> subscriber;
  StreamKind kind = StreamKind::kSse;
  int64_t after = 0;  // SSE only: replay seq > after (WS replays everything, §6.3)
  std::optional<std::string> name;
  std::optional<std::string> box_pub;
};

// §6.3 hello: box_pub is only touched when the frame carries the key.
struct BoxPubUpdate {
  bool present = false;
  std::optional<std::string> value;  // nullopt with present=true clears it
};

// Cluster mode: told whenever this node's presence in a room changes, so it can publish it.
class PresenceObserver {
 public:
  virtual ~PresenceObserver() = default;
  virtual void local_presence_changed(class Room& room) = 0;
};

class Room {
 public:
  Room(std::string id, int64_t now_ms, int64_t first_seq, const RelayLimits& limits,
       ByteBudget& budget, Metrics& metrics, SeqReservations* reservations = nullptr);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& id() const { return id_; }

  // --- posting (§6.1 steps 5 and 9) ---------------------------------------------------
  // Would a message of this ciphertext length fit the global budget (and, alone, the room's)?
  std::optional<Error> check_budget(std::size_t ciphertext_len) const;
  // Assigns the next seq, appends, prunes, fans out and wakes waiters — one step (§18.1,
  // §18.4). Oldest messages make way under the per-room byte cap. With `lock_first` the room
  // becomes signed-only and says so just before this message (§7.3). Fails only if the
  // global budget was spent meanwhile by another shard (then nothing changed).
  Result<MessagePtr> append(MessageDraft draft, int64_t now_ms, bool lock_first = false);

  // Cluster mode (seqs come from Redis, src/api/cluster_rooms.h): appends a message another
  // step already numbered, with the same buffer, fan-out and wake-ups as append(). The caller
  // passes seqs in order and drops duplicates.
  void append_numbered(MessagePtr message, int64_t now_ms, bool lock_first = false);
  // Cluster mode: the next seq this room expects (set when the room is loaded from Redis).
  void expect_next_seq(int64_t seq) { next_seq_ = seq; }

  bool signed_only() const { return signed_only_; }
  // §7.3: lock the room and broadcast {"type":"locked"} (once).
  void lock_signed_only(int64_t now_ms);

  // --- streams (§6.2, §6.3, §5) --------------------------------------------------------
  // Replays, sends `ready`, registers and broadcasts presence — atomically (§18.2).
  uint64_t subscribe(Joiner joiner, int64_t now_ms);
  void unsubscribe(uint64_t member_id, int64_t now_ms);
  // WS hello with an already validated name (an invalid hello never reaches the room).
  void hello(uint64_t member_id, std::string name, BoxPubUpdate box_pub, int64_t now_ms);
  // WS: any client frame refreshes last_seen (§5.1).
  void touch(uint64_t member_id, int64_t now_ms);
  // POST /listening.
  void heartbeat(std::string name, std::optional<std::string> box_pub, int64_t now_ms);
  // --- cluster mode: presence on other nodes (api/cluster_rooms.h) ----------------------
  void set_presence_observer(PresenceObserver* observer) { presence_observer_ = observer; }
  // This node's streams and heartbeats here, as the other nodes should see them.
  NodePresence local_presence(int64_t now_ms, int64_t expires_ms) const;
  // Another node's presence (empty: it has left); merged into presence events and `ready`.
  void set_remote_presence(const std::string& node, NodePresence presence, int64_t now_ms);
  // Forgets nodes that stopped refreshing theirs (a node killed without saying goodbye).
  void expire_remote_presence(int64_t now_ms);

  // Shutdown: hand every subscriber back to the caller and forget them.
  std::vector<std::shared_ptr<StreamSubscriber>> release_subscribers();

  // --- waiters (§6.4, §9) --------------------------------------------------------------
  void park(std::shared_ptr<Waiter> waiter, int64_t now_ms);
  void unpark(const Waiter* waiter);
  std::vector<std::shared_ptr<Waiter>> release_waiters();
  std::size_t waiter_count() const { return waiters_.size(); }

  // --- reads ---------------------------------------------------------------------------
  // Buffered messages with seq > after, oldest first, at most `max`.
  std::vector<MessagePtr> messages_after(int64_t after, std::size_t max) const;
  // §2.4: seq of the newest buffered message, 0 when the buffer is empty.
  int64_t last_seq() const { return buffer_.empty() ? 0 : buffer_.back()->seq; }
  // The next seq this room will assign; the shard remembers it after eviction (§20.8).
  int64_t next_seq() const { return next_seq_; }
  // The highest seq this room no longer holds although a reader may not have seen it: dropped
  // by the count, age or byte caps, or lost with an earlier incarnation of the room (eviction,
  // restart). 0 when nothing was lost. A reader whose cursor is below it missed messages —
  // `room wait` turns that into a "gap" line instead of a silent loss. Messages that expired by
  // their own ttl_ms are not losses and do not count.
  int64_t dropped_through() const { return dropped_through_; }
  void mark_lost_through(int64_t seq) { dropped_through_ = std::max(dropped_through_, seq); }
  // The seq of the last message this incarnation assigned, 0 if none.
  int64_t last_assigned_seq() const { return last_assigned_seq_; }
  RoomStatus status(int64_t now_ms) const;
  std::size_t subscriber_count() const { return members_.size(); }
  std::size_t heartbeat_count() const { return heartbeats_.entries().size(); }

  // §2.6 pruning pass (age, ttl, count); releases bytes.
  void prune(int64_t now_ms);
  // §2.3: no subscribers, no waiters, idle for longer than `grace_ms`.
  bool evictable(int64_t now_ms, int64_t grace_ms) const;
  int64_t last_active_ms() const { return last_active_ms_; }
  void bump_activity(int64_t now_ms) { last_active_ms_ = now_ms; }

 private:
  // Buffers a numbered message whose bytes are reserved, fans it out, wakes waiters.
  void take(MessagePtr m, int64_t bytes, int64_t now_ms);
  // Returns how many members took the event.
  std::size_t broadcast(const EventPtr& event, int64_t now_ms);
  void broadcast_presence(int64_t now_ms);
  // broadcast_presence, and the observer (if any) is told: this node's presence changed.
  void local_presence_changed(int64_t now_ms);
  // Stream members here and on other nodes (`size`).
  std::size_t stream_count() const;
  EventPtr render_ready(StreamKind kind, int64_t now_ms) const;
  void drop_message_front();
  void reserve_seqs_if_needed();
  StreamMember* find_member(uint64_t id);

  const std::string id_;
  const RelayLimits& limits_;
  ByteBudget& budget_;
  Metrics& metrics_;
  const int64_t created_ms_;
  int64_t last_active_ms_;
  int64_t next_seq_;
  int64_t last_assigned_seq_ = 0;
  int64_t dropped_through_ = 0;
  bool signed_only_ = false;
  int64_t room_bytes_ = 0;
  uint64_t next_member_id_ = 1;
  SeqReservations* reservations_;
  int64_t reserved_until_ = 0;  // seqs below this are reserved (the write may be in flight)
  int64_t durable_until_ = 0;   // seqs below this are reserved and the write is committed

  // The earliest ts + ttl_ms among buffered messages, or kNoTtl; may be earlier than the true
  // one after messages left from the front (then the next prune rescans and refreshes it).
  static constexpr double kNoTtl = std::numeric_limits<double>::infinity();
  double next_ttl_expiry_ms_ = kNoTtl;
  std::deque<MessagePtr> buffer_;
  std::vector<StreamMember> members_;  // join order
  Heartbeats heartbeats_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
  PresenceObserver* presence_observer_ = nullptr;
  RemotePresence remote_presence_;
};

}  // namespace b2b::core
