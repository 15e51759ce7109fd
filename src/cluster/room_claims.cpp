#include "cluster/room_claims.h"

#include <boost/json.hpp>

#include "cluster/redis_script.h"
#include "cluster/room_log.h"

namespace b2b::cluster {

namespace {

// KEYS[1] the room's claims hash; ARGV: handle, "read" | "absent" | "equals", expected,
// desired ('' = write nothing), ttl ms. Answers {1} when the expectation held, else
// {0, current} (current nil when absent), so a loser re-decides without another read.
constexpr const char* kSwapScript = R"lua(#!lua
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local matched = false
if ARGV[2] == 'absent' then matched = (cur == false)
elseif ARGV[2] == 'equals' then matched = (cur == ARGV[3]) end
if not matched then return {0, cur} end
if ARGV[4] ~= '' and ARGV[4] ~= cur then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
  if tonumber(ARGV[5]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
end
return {1}
)lua";

const RedisScript& swap_script() {
  // Its sha cache, like load_sent below, is only touched on the Redis thread (ClusterRooms').
  static const RedisScript script(kSwapScript);
  return script;
}

const char* expect_word(ClaimSwap::Expect e) {
  switch (e) {
    case ClaimSwap::Expect::kAbsent:
      return "absent";
    case ClaimSwap::Expect::kEquals:
      return "equals";
    case ClaimSwap::Expect::kRead:
      break;
  }
  return "read";
}

const boost::json::value* field(const boost::json::object& o, std::string_view name) {
  return o.if_contains(name);
}

std::optional<int64_t> int_field(const boost::json::object& o, std::string_view name) {
  const auto* v = field(o, name);
  if (!v || !v->is_int64()) return std::nullopt;
  return v->get_int64();
}

}  // namespace

std::string room_claims_key(std::string_view room_key) {
  return room_hash_tag(room_key) + ":claims";
}

std::string encode_claim_state(const core::ClaimCursor& state) {
  boost::json::object o;
  o["c"] = state.cursor;
  if (state.inflight) {
    o["i"] = boost::json::object{{"id", state.inflight->claim_id},
                                 {"s", state.inflight->seq},
                                 {"a", state.inflight->claimed_at},
                                 {"t", state.inflight->ttl_ms}};
  }
  return boost::json::serialize(o);
}

std::optional<core::ClaimCursor> decode_claim_state(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.get_object();
  core::ClaimCursor state;
  const auto cursor = int_field(o, "c");
  if (!cursor) return std::nullopt;
  state.cursor = *cursor;
  if (const auto* i = field(o, "i")) {
    if (!i->is_object()) return std::nullopt;
    const auto& io = i->get_object();
    const auto* id = field(io, "id");
    const auto seq = int_field(io, "s"), at = int_field(io, "a"), ttl = int_field(io, "t");
    if (!id || !id->is_string() || !seq || !at || !ttl) return std::nullopt;
    state.inflight = core::Inflight{std::string(id->get_string()), *seq, *at, *ttl};
  }
  return state;
}

const std::string& claim_swap_script() {
  return swap_script().source();
}

void swap_claim_state(const std::shared_ptr<RedisConnection>& redis, const ClaimSwap& swap,
                      std::function<void(core::Result<ClaimSwapResult>)> done) {
  // SCRIPT LOAD once, so later swaps go by sha; a restarted Redis is covered by run()'s
  // NOSCRIPT fallback (its EVAL caches the script again).
  static bool load_sent = false;
  if (!load_sent) swap_script().load(*redis);
  load_sent = true;
  swap_script().run(redis, {room_claims_key(swap.room_key)},
                    {swap.handle, expect_word(swap.expect), swap.expected, swap.desired,
                     std::to_string(swap.ttl_ms)},
                    [done = std::move(done)](core::Result<RedisReply> r) {
                      if (!r) return done(r.error());
                      const RedisReply& reply = r.value();
                      const bool shaped = reply.type == RedisReply::Type::kArray &&
                                          !reply.elements.empty() &&
                                          reply.elements[0].type == RedisReply::Type::kInteger;
                      if (!shaped)
                        return done(core::Error{kRedisError, "unexpected reply: claim swap"});
                      ClaimSwapResult out;
                      out.matched = reply.elements[0].integer == 1;
                      if (!out.matched && reply.elements.size() > 1 &&
                          reply.elements[1].type == RedisReply::Type::kString) {
                        out.current = reply.elements[1].str;
                      }
                      done(std::move(out));
                    });
}

}  // namespace b2b::cluster
