#include "cluster/redis_store_scripts.h"

#include <string>

namespace b2b::cluster {

namespace {

// `#!lua` (Redis 7): a script that may write is refused up front under maxmemory (an OOM
// error before its first write) instead of failing halfway. Values are stored as the exact
// strings the store sent; tonumber() is used only to compare (exact below 2^53).
// Helpers shared by the scripts that cascade. They build key names the way
// redis_store_keys.h does, so these scripts need one Redis primary (not Redis Cluster).
constexpr const char* kPrelude = R"lua(#!lua
local function publish(event) redis.call('PUBLISH', 'b2b:changes', event) end
local function drop_delivery(d)
  redis.call('DEL', 'b2b:delivery:' .. d)
  redis.call('ZREM', 'b2b:deliveries', d)
  redis.call('ZREM', 'b2b:deliveries_done', d)
end
local function drop_hook(id)
  local list = 'b2b:hook_deliveries:' .. id
  for _, d in ipairs(redis.call('SMEMBERS', list)) do drop_delivery(d) end
  local owner = redis.call('HGET', 'b2b:hook:' .. id, 'handle')
  if owner then redis.call('SREM', '{h:' .. owner .. '}:hooks', id) end
  redis.call('DEL', list, 'b2b:hook:' .. id)
  redis.call('SREM', 'b2b:hooks', id)
end
)lua";

// KEYS {h}:id, b2b:handles. ARGV handle, box_pub, sign_pub, registered_at, updated_at,
// last_seen_at, meta_json, inbox_seq, event. inbox_seq never goes down.
constexpr const char* kUpsertIdentity = R"lua(
local seq = ARGV[8]
local old = redis.call('HGET', KEYS[1], 'inbox_seq')
if old and tonumber(old) > tonumber(seq) then seq = old end
redis.call('HSET', KEYS[1], 'box_pub', ARGV[2], 'sign_pub', ARGV[3], 'registered_at', ARGV[4],
           'updated_at', ARGV[5], 'last_seen_at', ARGV[6], 'meta_json', ARGV[7], 'inbox_seq', seq)
redis.call('SADD', KEYS[2], ARGV[1])
publish(ARGV[9])
return 1
)lua";

// KEYS {h}:id, b2b:handles. ARGV as kUpsertIdentity. Registers a new handle: 0 and nothing
// written (no event) when the handle already has an identity, so that two nodes registering one
// handle at once cannot both succeed.
constexpr const char* kInsertIdentity = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'box_pub', ARGV[2], 'sign_pub', ARGV[3], 'registered_at', ARGV[4],
           'updated_at', ARGV[5], 'last_seen_at', ARGV[6], 'meta_json', ARGV[7], 'inbox_seq', ARGV[8])
redis.call('SADD', KEYS[2], ARGV[1])
publish(ARGV[9])
return 1
)lua";

// KEYS {h}:id, {h}:profile, {h}:dm, {h}:dm_id, {h}:cursor_rooms, {h}:hooks, b2b:handles,
// b2b:profiles, b2b:inboxes, b2b:dm_ts, b2b:cursor_rooms. ARGV handle, event.
// IDENTITY.md §2.5 GC: the identity and everything of the handle.
constexpr const char* kDeleteIdentity = R"lua(
local h = ARGV[1]
for _, seq in ipairs(redis.call('HKEYS', KEYS[3])) do redis.call('ZREM', KEYS[10], h .. '/' .. seq) end
for _, room in ipairs(redis.call('SMEMBERS', KEYS[5])) do
  local cursors = '{r:' .. room .. '}:cursors'
  redis.call('HDEL', cursors, h)
  if redis.call('HLEN', cursors) == 0 then redis.call('SREM', KEYS[11], room) end
end
for _, id in ipairs(redis.call('SMEMBERS', KEYS[6])) do drop_hook(id) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SREM', KEYS[7], h)
redis.call('SREM', KEYS[8], h)
redis.call('SREM', KEYS[9], h)
publish(ARGV[2])
return 1
)lua";

// KEYS {h}:profile, b2b:profiles. ARGV handle, profile_json, profile_sig, updated_at,
// last_seen_at, expires_at, created_at, event.
constexpr const char* kUpsertProfile = R"lua(
redis.call('HSET', KEYS[1], 'profile_json', ARGV[2], 'profile_sig', ARGV[3], 'updated_at', ARGV[4],
           'last_seen_at', ARGV[5], 'expires_at', ARGV[6], 'created_at', ARGV[7])
redis.call('SADD', KEYS[2], ARGV[1])
publish(ARGV[8])
return 1
)lua";

// KEYS {h}:profile, b2b:profiles. ARGV handle, event.
constexpr const char* kDeleteProfile = R"lua(
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
publish(ARGV[2])
return 1
)lua";

// KEYS {h}:dm, {h}:dm_id, b2b:inboxes, b2b:dm_ts. ARGV handle, seq, id, ts, record (JSON),
// event. Like INSERT OR REPLACE on (recipient, id): an envelope with this id is replaced, so a
// retried insert is idempotent. Unlike SQLite, a seq held by *another* envelope is refused
// (SEQTAKEN, nothing written): two nodes may pick the same inbox seq for one recipient, and
// replacing would lose the first DM; the refused sender gets a 503 and retries with a new seq.
constexpr const char* kInsertDm = R"lua(
local h, seq, id = ARGV[1], ARGV[2], ARGV[3]
local holder = redis.call('HGET', KEYS[1], seq)
if holder and cjson.decode(holder).id ~= id then
  return redis.error_reply('SEQTAKEN another DM holds this inbox seq')
end
local old_seq = redis.call('HGET', KEYS[2], id)
if old_seq and old_seq ~= seq then
  redis.call('HDEL', KEYS[1], old_seq)
  redis.call('ZREM', KEYS[4], h .. '/' .. old_seq)
end
redis.call('HSET', KEYS[1], seq, ARGV[5])
redis.call('HSET', KEYS[2], id, seq)
redis.call('SADD', KEYS[3], h)
redis.call('ZADD', KEYS[4], ARGV[4], h .. '/' .. seq)
publish(ARGV[6])
return 1
)lua";

// KEYS {h}:dm, {h}:dm_id, b2b:inboxes, b2b:dm_ts. ARGV handle, id, event.
constexpr const char* kDeleteDm = R"lua(
local seq = redis.call('HGET', KEYS[2], ARGV[2])
if seq then
  redis.call('HDEL', KEYS[1], seq)
  redis.call('HDEL', KEYS[2], ARGV[2])
  redis.call('ZREM', KEYS[4], ARGV[1] .. '/' .. seq)
  if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[1]) end
end
publish(ARGV[3])
return 1
)lua";

// KEYS b2b:dm_ts, b2b:inboxes. ARGV cut-off ts, batch size, event. Returns the number deleted.
constexpr const char* kSweepDms = R"lua(
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(gone) do
  local h, seq = string.match(m, '^(.*)/([^/]*)$')
  local dm = '{h:' .. h .. '}:dm'
  local rec = redis.call('HGET', dm, seq)
  if rec then redis.call('HDEL', '{h:' .. h .. '}:dm_id', cjson.decode(rec).id) end
  redis.call('HDEL', dm, seq)
  if redis.call('HLEN', dm) == 0 then redis.call('SREM', KEYS[2], h) end
  redis.call('ZREM', KEYS[1], m)
end
if #gone > 0 then publish(ARGV[3]) end
return #gone
)lua";

// KEYS {h}:id. ARGV seq, event. Only rises; an unknown handle is left alone.
constexpr const char* kSetInboxSeq = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local old = redis.call('HGET', KEYS[1], 'inbox_seq')
if old and tonumber(old) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'inbox_seq', ARGV[1])
publish(ARGV[2])
return 1
)lua";

// KEYS {r}:cursors, {h}:cursor_rooms, b2b:cursor_rooms. ARGV handle, room_key,
// "<cursor> <touched_at>", event.
constexpr const char* kUpsertCursor = R"lua(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
publish(ARGV[4])
return 1
)lua";

// KEYS {r}:cursors, {h}:cursor_rooms, b2b:cursor_rooms. ARGV handle, room_key, event.
constexpr const char* kDeleteCursor = R"lua(
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[3], ARGV[2]) end
publish(ARGV[3])
return 1
)lua";

// KEYS {r}:hw, b2b:hw_rooms. ARGV room_key, next_seq, event. Only rises.
constexpr const char* kUpsertHighWater = R"lua(
local old = redis.call('GET', KEYS[1])
if old and tonumber(old) >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
publish(ARGV[3])
return 1
)lua";

// KEYS b2b:hook:<id>, b2b:hooks, {h}:hooks. ARGV id, handle, room_key, url, secret,
// created_at, event. A hook that changes owner leaves the old owner's set.
constexpr const char* kUpsertWebhook = R"lua(
local old = redis.call('HGET', KEYS[1], 'handle')
if old and old ~= ARGV[2] then redis.call('SREM', '{h:' .. old .. '}:hooks', ARGV[1]) end
redis.call('HSET', KEYS[1], 'handle', ARGV[2], 'room_key', ARGV[3], 'url', ARGV[4],
           'secret', ARGV[5], 'created_at', ARGV[6])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
publish(ARGV[7])
return 1
)lua";

// KEYS b2b:hook:<id>. ARGV id, event. The hook and its deliveries.
constexpr const char* kDeleteWebhook = R"lua(
drop_hook(ARGV[1])
publish(ARGV[2])
return 1
)lua";

// KEYS b2b:delivery:<id>, b2b:hook_deliveries:<hook_id>, b2b:deliveries, b2b:deliveries_done.
// ARGV id, hook_id, body, created_at, attempts, next_attempt_at, state, last_status,
// last_error, updated_at, event. Finished deliveries are indexed by updated_at for the sweep.
constexpr const char* kUpsertDelivery = R"lua(
local old = redis.call('HGET', KEYS[1], 'hook_id')
if old and old ~= ARGV[2] then redis.call('SREM', 'b2b:hook_deliveries:' .. old, ARGV[1]) end
redis.call('HSET', KEYS[1], 'hook_id', ARGV[2], 'body', ARGV[3], 'created_at', ARGV[4],
           'attempts', ARGV[5], 'next_attempt_at', ARGV[6], 'state', ARGV[7],
           'last_status', ARGV[8], 'last_error', ARGV[9], 'updated_at', ARGV[10])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
if ARGV[7] == 'pending' then
  redis.call('ZREM', KEYS[4], ARGV[1])
else
  redis.call('ZADD', KEYS[4], ARGV[10], ARGV[1])
end
publish(ARGV[11])
return 1
)lua";

// KEYS b2b:deliveries_done. ARGV cut-off, batch size, event. Finished deliveries last updated
// before the cut-off. Returns the number deleted.
constexpr const char* kSweepDeliveries = R"lua(
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
for _, d in ipairs(gone) do
  local hook = redis.call('HGET', 'b2b:delivery:' .. d, 'hook_id')
  if hook then redis.call('SREM', 'b2b:hook_deliveries:' .. hook, d) end
  drop_delivery(d)
end
if #gone > 0 then publish(ARGV[3]) end
return #gone
)lua";

RedisScript script(const char* body) {
  return RedisScript(std::string(kPrelude) + body);
}

}  // namespace

RedisStoreScripts::RedisStoreScripts()
    : insert_identity(script(kInsertIdentity)),
      upsert_identity(script(kUpsertIdentity)),
      delete_identity(script(kDeleteIdentity)),
      upsert_profile(script(kUpsertProfile)),
      delete_profile(script(kDeleteProfile)),
      insert_dm(script(kInsertDm)),
      delete_dm(script(kDeleteDm)),
      sweep_dms(script(kSweepDms)),
      set_inbox_seq(script(kSetInboxSeq)),
      upsert_cursor(script(kUpsertCursor)),
      delete_cursor(script(kDeleteCursor)),
      upsert_high_water(script(kUpsertHighWater)),
      upsert_webhook(script(kUpsertWebhook)),
      delete_webhook(script(kDeleteWebhook)),
      upsert_delivery(script(kUpsertDelivery)),
      sweep_deliveries(script(kSweepDeliveries)) {}

void RedisStoreScripts::load_all(RedisConnection& redis) const {
  for (const RedisScript* s :
       {&insert_identity, &upsert_identity, &delete_identity, &upsert_profile, &delete_profile,
        &insert_dm, &delete_dm, &sweep_dms, &set_inbox_seq, &upsert_cursor, &delete_cursor,
        &upsert_high_water, &upsert_webhook, &delete_webhook, &upsert_delivery,
        &sweep_deliveries}) {
    s->load(redis);
  }
}

}  // namespace b2b::cluster
