#include "cluster/room_log.h"

#include <charconv>

namespace b2b::cluster {

namespace {

// KEYS[1] seq counter, KEYS[2] stream, KEYS[3] lock, KEYS[4] the signature nonce's key;
// ARGV: record, min seq, MAXLEN, ttl ms, flags ("signed", "unsigned" or "lock"), channel, room
// key, how long the nonce is remembered in ms (0: not a signed post).
// A room without a counter starts at the min seq (the clock or the store's high-water mark);
// one with a counter goes on from it, so seqs stay gap-free.
// A refusal comes before any write. The seq is above the counter, the floor and the stream's
// newest id (a counter lost on its own cannot make XADD fail). XADD goes first among the
// writes: if it fails nothing has changed. Numbers are formatted with %d because Lua 5.1's
// tostring would write large ones as 1e+14.
constexpr const char* kAppendScript = R"lua(#!lua
if ARGV[5] == 'unsigned' and redis.call('EXISTS', KEYS[3]) == 1 then
  return redis.error_reply('LOCKED this room only accepts signed posts')
end
if ARGV[8] ~= '0' and redis.call('EXISTS', KEYS[4]) == 1 then
  return redis.error_reply('REPLAYED sender_nonce was already used')
end
local cur = redis.call('GET', KEYS[1])
local seq = tonumber(ARGV[2])
if cur then seq = tonumber(cur) + 1 end
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #newest > 0 then
  local top = tonumber(string.match(newest[1][1], '^(%d+)'))
  if seq <= top then seq = top + 1 end
end
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], string.format('%d-0', seq), 'm', ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', seq))
if ARGV[5] == 'lock' then redis.call('SET', KEYS[3], '1') end
if ARGV[8] ~= '0' then redis.call('SET', KEYS[4], '1', 'PX', ARGV[8]) end
local ttl = tonumber(ARGV[4])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
if ARGV[6] ~= '' then
  redis.call('PUBLISH', ARGV[6], ARGV[7] .. ' ' .. string.format('%d', seq) .. ' ' .. ARGV[1])
end
return seq
)lua";

// KEYS[1] seq counter, KEYS[2] stream, KEYS[3] lock, KEYS[4] presence; ARGV[1] how many.
constexpr const char* kLoadScript = R"lua(#!lua flags=no-writes
return {redis.call('GET', KEYS[1]) or '0', redis.call('EXISTS', KEYS[3]),
        redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[1]),
        redis.call('HVALS', KEYS[4])}
)lua";

// KEYS[1] presence hash; ARGV: node, record, "gone" or "here", ttl ms, channel, room key.
constexpr const char* kPresenceScript = R"lua(#!lua
if ARGV[3] == 'gone' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
end
redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' 0 ' .. ARGV[2])
return 1
)lua";

bool parse_seq(std::string_view id, int64_t& seq) {
  const auto dash = id.find('-');
  if (dash == std::string_view::npos) return false;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + dash, seq);
  return ec == std::errc{} && end == id.data() + dash;
}

core::Error bad_reply(std::string what) {
  return core::Error{kRedisError, "unexpected reply: " + std::move(what)};
}

}  // namespace

std::string room_hash_tag(std::string_view room_key) {
  std::string tag = "{r:";
  tag.append(room_key).append("}");
  return tag;
}

std::string room_seq_key(std::string_view room_key) {
  return room_hash_tag(room_key) + ":seq";
}

std::string room_log_key(std::string_view room_key) {
  return room_hash_tag(room_key) + ":log";
}

std::string room_lock_key(std::string_view room_key) {
  return room_hash_tag(room_key) + ":lock";
}

std::string room_nonce_key(std::string_view room_key, std::string_view signer_nonce) {
  return room_hash_tag(room_key) + ":nonce:" + std::string(signer_nonce);
}

std::string room_presence_key(std::string_view room_key) {
  return room_hash_tag(room_key) + ":presence";
}

const std::string& room_append_script() {
  static const std::string script = kAppendScript;
  return script;
}

void RoomLog::load_script(std::function<void(core::Result<bool>)> done) {
  redis_->command({"SCRIPT", "LOAD", room_append_script()},
                  [sha = sha_, done = std::move(done)](core::Result<RedisReply> r) {
                    if (!r) return done(r.error());
                    if (r.value().type != RedisReply::Type::kString) {
                      return done(bad_reply("SCRIPT LOAD"));
                    }
                    *sha = r.value().str;
                    done(true);
                  });
}

namespace {

void eval_append(const std::shared_ptr<RedisConnection>& redis,
                 const std::shared_ptr<std::string>& sha, const AppendRequest& request, bool by_sha,
                 std::function<void(core::Result<int64_t>)> done) {
  std::vector<std::string> args{
      by_sha ? "EVALSHA" : "EVAL",
      by_sha ? *sha : room_append_script(),
      "4",
      room_seq_key(request.room_key),
      room_log_key(request.room_key),
      room_lock_key(request.room_key),
      room_nonce_key(request.room_key, request.signer_nonce),
      request.record,
      std::to_string(request.min_seq),
      std::to_string(request.max_len),
      std::to_string(request.ttl_ms),
      request.lock        ? "lock"
      : request.is_signed ? "signed"
                          : "unsigned",
      request.channel,
      request.room_key,
      std::to_string(request.signer_nonce.empty() ? 0 : request.nonce_ttl_ms)};
  redis->command(std::move(args), [redis, sha, request, by_sha,
                                   done = std::move(done)](core::Result<RedisReply> r) mutable {
    if (!r) {
      // A restarted Redis forgot the script: send it in full once, which caches it again.
      if (by_sha && r.error().error == kRedisError && r.error().detail.starts_with("NOSCRIPT")) {
        return eval_append(redis, sha, request, false, std::move(done));
      }
      return done(r.error());
    }
    if (r.value().type != RedisReply::Type::kInteger) return done(bad_reply("append"));
    done(r.value().integer);
  });
}

}  // namespace

void RoomLog::append(const AppendRequest& request,
                     std::function<void(core::Result<int64_t>)> done) {
  eval_append(redis_, sha_, request, !sha_->empty(), std::move(done));
}

namespace {

// XRANGE/XREVRANGE entries: [[id, [field, value, ...]], ...].
core::Result<std::vector<LogEntry>> parse_entries(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray) return bad_reply("stream range");
  std::vector<LogEntry> out;
  out.reserve(reply.elements.size());
  for (const RedisReply& e : reply.elements) {
    if (e.elements.size() != 2 || e.elements[1].elements.size() < 2) {
      return bad_reply("stream entry");
    }
    LogEntry entry;
    if (!parse_seq(e.elements[0].str, entry.seq)) return bad_reply("stream id");
    entry.record = e.elements[1].elements[1].str;
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

void RoomLog::read_after(const std::string& room_key, int64_t after_seq, int64_t count,
                         std::function<void(core::Result<std::vector<LogEntry>>)> done) {
  redis_->command({"XRANGE", room_log_key(room_key), std::to_string(after_seq + 1) + "-0", "+",
                   "COUNT", std::to_string(count)},
                  [done = std::move(done)](core::Result<RedisReply> r) {
                    if (!r) return done(r.error());
                    done(parse_entries(r.value()));
                  });
}

void RoomLog::load(const std::string& room_key, int64_t count,
                   std::function<void(core::Result<RoomSnapshot>)> done) {
  redis_->command({"EVAL", kLoadScript, "4", room_seq_key(room_key), room_log_key(room_key),
                   room_lock_key(room_key), room_presence_key(room_key), std::to_string(count)},
                  [done = std::move(done)](core::Result<RedisReply> r) {
                    if (!r) return done(r.error());
                    const RedisReply& v = r.value();
                    if (v.type != RedisReply::Type::kArray || v.elements.size() != 4) {
                      return done(bad_reply("room load"));
                    }
                    RoomSnapshot snapshot;
                    const std::string& seq = v.elements[0].str;
                    const auto [end, ec] =
                        std::from_chars(seq.data(), seq.data() + seq.size(), snapshot.last_seq);
                    if (ec != std::errc{} || end != seq.data() + seq.size())
                      return done(bad_reply("seq"));
                    snapshot.signed_only = v.elements[1].integer == 1;
                    auto entries = parse_entries(v.elements[2]);
                    if (!entries) return done(entries.error());
                    snapshot.entries.assign(std::make_move_iterator(entries.value().rbegin()),
                                            std::make_move_iterator(entries.value().rend()));
                    for (const RedisReply& p : v.elements[3].elements) {
                      snapshot.presence.push_back(p.str);
                    }
                    done(std::move(snapshot));
                  });
}

void RoomLog::publish_presence(const PresenceUpdate& u,
                               std::function<void(core::Result<bool>)> done) {
  redis_->command({"EVAL", kPresenceScript, "1", room_presence_key(u.room_key), u.node, u.record,
                   u.gone ? "gone" : "here", std::to_string(u.ttl_ms), u.channel, u.room_key},
                  [done = std::move(done)](core::Result<RedisReply> r) {
                    if (!r) return done(r.error());
                    done(true);
                  });
}

}  // namespace b2b::cluster
