#include "cluster/room_log.h"

#include <charconv>

namespace b2b::cluster {

namespace {

// KEYS[1] seq counter, KEYS[2] stream; ARGV: record, min seq, MAXLEN, ttl ms.
// The seq is above the counter, the floor and the stream's newest id (a counter lost on its
// own cannot make XADD fail). XADD goes first: if it fails nothing has changed. Numbers are
// formatted with %d because Lua 5.1's tostring would write large ones as 1e+14.
constexpr const char* kAppendScript = R"lua(#!lua
local seq = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local floor = tonumber(ARGV[2])
if seq < floor then seq = floor end
local newest = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #newest > 0 then
  local top = tonumber(string.match(newest[1][1], '^(%d+)'))
  if seq <= top then seq = top + 1 end
end
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], string.format('%d-0', seq), 'm', ARGV[1])
redis.call('SET', KEYS[1], string.format('%d', seq))
local ttl = tonumber(ARGV[4])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return seq
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
  std::vector<std::string> args{by_sha ? "EVALSHA" : "EVAL",
                                by_sha ? *sha : room_append_script(),
                                "2",
                                room_seq_key(request.room_key),
                                room_log_key(request.room_key),
                                request.record,
                                std::to_string(request.min_seq),
                                std::to_string(request.max_len),
                                std::to_string(request.ttl_ms)};
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

void RoomLog::read_after(const std::string& room_key, int64_t after_seq, int64_t count,
                         std::function<void(core::Result<std::vector<LogEntry>>)> done) {
  redis_->command({"XRANGE", room_log_key(room_key), std::to_string(after_seq + 1) + "-0", "+",
                   "COUNT", std::to_string(count)},
                  [done = std::move(done)](core::Result<RedisReply> r) {
                    if (!r) return done(r.error());
                    if (r.value().type != RedisReply::Type::kArray)
                      return done(bad_reply("XRANGE"));
                    std::vector<LogEntry> out;
                    out.reserve(r.value().elements.size());
                    for (const RedisReply& e : r.value().elements) {
                      // [id, [field, value, ...]]
                      if (e.elements.size() != 2 || e.elements[1].elements.size() < 2) {
                        return done(bad_reply("XRANGE entry"));
                      }
                      LogEntry entry;
                      if (!parse_seq(e.elements[0].str, entry.seq))
                        return done(bad_reply("stream id"));
                      entry.record = e.elements[1].elements[1].str;
                      out.push_back(std::move(entry));
                    }
                    done(std::move(out));
                  });
}

}  // namespace b2b::cluster
