#include "api/cluster_claims.h"

#include <boost/json.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>

#include "api/cluster_rooms.h"
#include "api/identity_services.h"
#include "api/parked_request.h"
#include "api/relay_state.h"
#include "api/responses.h"
#include "api/room_parked_request.h"
#include "cluster/redis_store.h"
#include "cluster/room_claims.h"
#include "core/clock.h"

namespace b2b::api {
namespace {

// Swaps lost in a row before the request gives up (503): only a handle hammered from several
// nodes at once loses this often, and its clients retry.
constexpr int kMaxRounds = 8;

// What to do once the state a decision was made on is confirmed current.
struct Decision {
  bool write = false;  // the decided state differs in a way every node must see
  std::function<void(const core::ClaimCursor&)> then;
};
// Decides on `state` (a copy, free to change); `exists`: Redis or the Store knew the cursor.
using Decide = std::function<Decision(core::ClaimCursor& state, bool exists)>;
using Fail = std::function<void(const core::Error&)>;

void persist_cursor(RelayState& state, const std::string& handle, const std::string& room_id,
                    int64_t cursor, store::Done done) {
  state.ids->store->upsert_claim_cursor(
      store::ClaimCursorRecord{handle, state.ids->room_key(room_id), cursor, core::wall_clock_ms()},
      std::move(done));
}

// One claim or ack: decide, swap, and decide again on the value a lost swap returns. Lives on
// the room's shard; kept alive by its pending callbacks.
class ClaimExchange final : public std::enable_shared_from_this<ClaimExchange> {
 public:
  ClaimExchange(RelayState& state, std::size_t s, std::string room_id, std::string handle,
                Decide decide, Fail fail)
      : state_(state),
        s_(s),
        room_id_(std::move(room_id)),
        room_key_(state.ids->room_key(room_id_)),
        handle_(std::move(handle)),
        decide_(std::move(decide)),
        fail_(std::move(fail)) {}

  void start() {
    if (const core::ClaimCursor* seen = state_.shard(s_).claims().find(handle_, room_id_)) {
      const core::ClaimCursor state = *seen;
      return decide_and_swap(state, true, Expect::kEquals, cluster::encode_claim_state(state));
    }
    cluster::ClaimSwap read;
    read.room_key = room_key_;
    read.handle = handle_;
    send(std::move(read), [self = shared_from_this()](auto r) { self->lost(std::move(r)); });
  }

 private:
  using Expect = cluster::ClaimSwap::Expect;
  using SwapDone = std::function<void(core::Result<cluster::ClaimSwapResult>)>;

  void decide_and_swap(const core::ClaimCursor& state, bool exists, Expect expect,
                       std::string expected) {
    core::ClaimCursor decided = state;
    Decision decision = decide_(decided, exists);
    cluster::ClaimSwap swap{room_key_,
                            handle_,
                            expect,
                            std::move(expected),
                            decision.write ? cluster::encode_claim_state(decided) : "",
                            state_.limits.room_retain_ms};
    const bool stored = expect == Expect::kEquals;
    send(std::move(swap), [self = shared_from_this(), state, decided, stored,
                           decision = std::move(decision)](auto r) {
      if (!r || !r.value().matched) return self->lost(std::move(r));
      // Remember what Redis now holds: the next swap from this shard expects it.
      if (decision.write || stored) {
        self->state_.shard(self->s_).claims().touch(self->handle_, self->room_id_) =
            decision.write ? decided : state;
      }
      decision.then(decided);
    });
  }

  // A read, or a swap whose expectation did not hold: decide again on the current value.
  void lost(core::Result<cluster::ClaimSwapResult> r) {
    if (!r) return fail_(core::Error{cluster::kRedisUnavailable, ""});
    if (++rounds_ > kMaxRounds) {
      return fail_(core::Error{"claim busy", "claimed concurrently elsewhere; retry"});
    }
    const auto& current = r.value().current;
    if (!current) return start_from_store();
    auto state = cluster::decode_claim_state(*current);
    if (!state) return fail_(core::Error{cluster::kRedisError, "unreadable claim state"});
    decide_and_swap(*state, true, Expect::kEquals, *current);
  }

  // Redis has no state for the handle (first claim, or expired with the room's keys): start
  // from the cursor the Store kept.
  void start_from_store() {
    auto* redis_store = dynamic_cast<cluster::RedisStore*>(state_.ids->store.get());
    if (!redis_store) return decide_and_swap(core::ClaimCursor{}, false, Expect::kAbsent, "");
    redis_store->read_claim_cursor(
        handle_, room_key_,
        [self = shared_from_this()](core::Result<std::optional<store::ClaimCursorRecord>> r) {
          self->state_.on_shard(self->s_, [self, r = std::move(r)](core::RoomShard&) {
            if (!r) return self->fail_(core::Error{cluster::kRedisUnavailable, ""});
            core::ClaimCursor state;
            if (r.value()) state.cursor = r.value()->cursor;
            self->decide_and_swap(state, r.value().has_value(), Expect::kAbsent, "");
          });
        });
  }

  void send(cluster::ClaimSwap swap, SwapDone done) {
    state_.cluster->on_redis([&state = state_, s = s_, swap = std::move(swap),
                              done = std::move(done)](const auto& redis) {
      cluster::swap_claim_state(redis, swap, [&state, s, done](auto r) {
        state.on_shard(s, [done, r = std::move(r)](core::RoomShard&) { done(std::move(r)); });
      });
    });
  }

  RelayState& state_;
  const std::size_t s_;
  const std::string room_id_;
  const std::string room_key_;
  const std::string handle_;
  const Decide decide_;
  const Fail fail_;
  int rounds_ = 0;
};

// How a claim attempt ends: a message handed out (the 200 body), nothing claimable yet (the
// room's last seq this decision saw, to notice a message that came in meanwhile), or an error.
struct ClaimEnds {
  std::function<void(std::string body)> offered;
  std::function<void(int64_t seen_last_seq)> nothing;
  Fail failed;
};

// §9.2 steps 9–12 against this node's copy of the room, on the shared state.
void attempt_claim(RelayState& state, std::size_t s, const std::string& room_id,
                   const ClaimRequest& r, ClaimEnds ends) {
  auto decide = [&state, s, room_id, r, ends](core::ClaimCursor& c, bool) -> Decision {
    core::Room* room = state.shard(s).find(room_id);
    if (!room) return Decision{false, [ends](const auto&) { ends.nothing(0); }};
    const int64_t now = core::wall_clock_ms();
    room->prune(now);
    const int64_t last = room->last_seq();
    auto nothing = Decision{false, [ends, last](const auto&) { ends.nothing(last); }};
    // Leased on a seq this node has not applied yet: another node's live claim, not a gap.
    if (c.inflight && !c.inflight->expired(now) && c.inflight->seq > last) return nothing;
    bool moved = false;
    auto offer = core::try_claim(*room, c, r.excluded, r.ttl_ms, now, &moved);
    if (!offer) return nothing;
    return Decision{true, [&state, room_id, handle = r.handle, moved, ends,
                           body = offer_body(*offer, last)](const core::ClaimCursor& decided) {
                      if (moved)
                        persist_cursor(state, handle, room_id, decided.cursor, [](auto) {});
                      ends.offered(body);
                    }};
  };
  std::make_shared<ClaimExchange>(state, s, room_id, r.handle, std::move(decide), ends.failed)
      ->start();
}

class ClusterClaimWaiter final : public RoomParkedRequest,
                                 public std::enable_shared_from_this<ClusterClaimWaiter> {
 public:
  ClusterClaimWaiter(RelayState& state, core::RoomShard& shard, std::size_t s, Reply reply,
                     std::string room_id, ClaimRequest request, core::Slot slot)
      : RoomParkedRequest(state, shard, std::move(reply), std::move(room_id), std::move(slot)),
        s_(s),
        request_(std::move(request)) {}

  void arm() { RoomParkedRequest::arm(shared_from_this(), request_.timeout_s); }

  // Leaves the room itself once an attempt hands something out (the answer is asynchronous).
  bool offer(const core::MessagePtr&, int64_t) override {
    if (done_) return true;
    try_now();
    return false;
  }
  void answer_for_shutdown() override {
    if (!done_) on_timeout();
  }

  void try_now() {
    if (deciding_) {
      again_ = true;
      return;
    }
    deciding_ = true;
    again_ = false;
    auto self = shared_from_this();
    ClaimEnds ends{[self](std::string body) {
                     self->deciding_ = false;
                     if (self->done_) return;
                     self->leave_room();
                     self->finish(std::move(body));
                   },
                   [self](int64_t) {
                     self->deciding_ = false;
                     if (!self->done_ && self->again_) self->try_now();
                   },
                   [self](const core::Error& e) {
                     self->deciding_ = false;
                     if (self->done_) return;
                     const Reply reply = self->reply_;
                     self->abort();
                     reply.send(unavailable_response(e));
                   }};
    attempt_claim(state_, s_, room_id_, request_, std::move(ends));
  }

 private:
  // The cursor this shard last confirmed (another node may have acked since: a timeout does
  // not ask Redis again), raised to the replay window as a claim would (§9.2 step 9).
  void on_timeout() override {
    core::Room* room = shard_.find(room_id_);
    core::ClaimCursor* c = shard_.claims().find(request_.handle, room_id_);
    int64_t cursor = c ? c->cursor : 0;
    if (room) {
      const auto oldest = room->messages_after(0, 1);
      if (!oldest.empty()) cursor = std::max(cursor, oldest.front()->seq - 1);
    }
    finish(empty_body(room ? room->last_seq() : 0, cursor, room != nullptr));
  }

  const std::size_t s_;
  const ClaimRequest request_;
  bool deciding_ = false;
  bool again_ = false;
};

void park_claim(RelayState& state, std::size_t s, const RoomCall& call, ClaimRequest request,
                int64_t seen_last_seq) {
  core::RoomShard& shard = state.shard(s);
  core::Room* room = shard.find(call.room_id);
  const int64_t now = core::wall_clock_ms();
  if (room) room->bump_activity(now);  // §9.2 step 13
  auto waiter = park_room_request(
      state, s, call.reply, call.client_ip, call.room_id, now, [&](core::Slot slot) {
        return std::make_shared<ClusterClaimWaiter>(state, shard, s, call.reply, call.room_id,
                                                    std::move(request), std::move(slot));
      });
  if (!waiter) return;
  waiter->arm();
  // A message applied while Redis was deciding woke nobody: look again.
  if (room && room->last_seq() != seen_last_seq) waiter->try_now();
}

}  // namespace

void cluster_claim(RelayState& state, RoomCall call, ClaimRequest request) {
  const std::size_t s = state.shard_of(call.room_id);
  state.on_shard(s, [&state, s, call = std::move(call),
                     request = std::move(request)](core::RoomShard&) mutable {
    const std::string room_id = call.room_id;
    state.find_room(
        s, room_id,
        [&state, s, call = std::move(call),
         request = std::move(request)](core::Result<core::Room*> found) mutable {
          if (!found) return call.reply.send(unavailable_response(found.error()));
          // §20.9: a claim on a missing room is held without touching the state, as on one node.
          if (!found.value()) return park_claim(state, s, call, std::move(request), 0);
          auto held = std::make_shared<RoomCall>(std::move(call));
          ClaimEnds ends{
              [held](std::string body) { held->reply.send(json_response(200, std::move(body))); },
              [&state, s, held, request](int64_t seen_last_seq) {
                park_claim(state, s, *held, request, seen_last_seq);
              },
              [held](const core::Error& e) { held->reply.send(unavailable_response(e)); }};
          attempt_claim(state, s, held->room_id, request, std::move(ends));
        });
  });
}

void cluster_ack(RelayState& state, RoomCall call, std::string handle, std::string claim_id,
                 int64_t seq) {
  const std::size_t s = state.shard_of(call.room_id);
  state.on_shard(s, [&state, s, call = std::move(call), handle = std::move(handle),
                     claim_id = std::move(claim_id), seq](core::RoomShard&) mutable {
    const Reply reply = call.reply;
    const std::string room_id = call.room_id;
    auto decide = [&state, reply, room_id, handle, claim_id, seq](core::ClaimCursor& c,
                                                                  bool exists) -> Decision {
      if (!exists) {
        return Decision{
            false, [reply](const auto&) { reply.send(json_response(200, ack_body(false, 0))); }};
      }
      const core::AckOutcome outcome = core::ack_claim(c, claim_id, seq);
      if (outcome == core::AckOutcome::kStale) {
        return Decision{false, [reply](const core::ClaimCursor& now) {
                          boost::json::object o{
                              {"error", "stale or unknown claim"},
                              {"detail", "claim it again: the claim id or seq is not current"},
                              {"cursor", now.cursor}};
                          reply.send(json_response(409, boost::json::serialize(o)));
                        }};
      }
      // An answered ack is durable: the cursor is committed to the Store first (again for an
      // already-acked seq, whose first ack may have failed to persist), as on one node.
      const bool advanced = outcome == core::AckOutcome::kAdvanced;
      return Decision{
          advanced, [&state, reply, room_id, handle, advanced](const core::ClaimCursor& now) {
            const int64_t cursor = now.cursor;
            persist_cursor(state, handle, room_id, cursor, [reply, advanced, cursor](auto r) {
              if (!r) {
                return reply.send(error_response(503, r.error().error, r.error().detail, 5));
              }
              reply.send(json_response(200, ack_body(advanced, cursor)));
            });
          }};
    };
    auto fail = [reply](const core::Error& e) { reply.send(unavailable_response(e)); };
    std::make_shared<ClaimExchange>(state, s, room_id, handle, std::move(decide), std::move(fail))
        ->start();
  });
}

}  // namespace b2b::api
