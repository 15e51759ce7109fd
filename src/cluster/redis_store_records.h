// How RedisStore's records look inside Redis, both ways: the argument lists its scripts take
// and the parsing of what load() reads back. A record that does not parse (a key written by
// something else) is an Error, never a half-filled record.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_reply.h"
#include "core/result.h"
#include "store/store.h"

namespace b2b::cluster::records {

// A DM envelope as one JSON text (the value in {h}:dm); the recipient is the key's handle.
std::string dm_json(const store::DmRecord& r);
core::Result<store::DmRecord> parse_dm(const std::string& recipient, std::string_view json);

// The value of a handle's field in {r}:cursors: "<cursor> <touched_at>".
std::string cursor_value(const store::ClaimCursorRecord& r);

// From HGETALL replies (a flat array of field, value).
core::Result<store::IdentityRecord> parse_identity(const std::string& handle, const RedisReply& r);
core::Result<store::ProfileRecord> parse_profile(const std::string& handle, const RedisReply& r);
// Every envelope of one inbox, in seq order.
core::Result<std::vector<store::DmRecord>> parse_inbox(const std::string& recipient,
                                                       const RedisReply& r);
core::Result<std::vector<store::ClaimCursorRecord>> parse_cursors(const std::string& room_key,
                                                                  const RedisReply& r);
core::Result<store::WebhookRecord> parse_webhook(const std::string& id, const RedisReply& r);
core::Result<store::WebhookDeliveryRecord> parse_delivery(const std::string& id,
                                                          const RedisReply& r);
// From GET {r}:hw.
core::Result<store::RoomHighWater> parse_high_water(const std::string& room_key,
                                                    const RedisReply& r);

}  // namespace b2b::cluster::records
