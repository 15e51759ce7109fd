// RedisStore's single-record reads: what a node re-reads when the change feed names a record.
#include <boost/asio/post.hpp>

#include "cluster/redis_store.h"
#include "cluster/redis_store_keys.h"
#include "cluster/redis_store_records.h"

namespace b2b::cluster {

namespace keys = store_keys;

namespace {

bool absent(const RedisReply& r) {
  return r.is_nil() || (r.type == RedisReply::Type::kArray && r.elements.empty());
}

// Runs `parse(reply)` (a core::Result<T>) unless the record is absent.
template <class T, class Parse>
std::function<void(core::Result<RedisReply>)> optional_record(Parse parse,
                                                              RedisStore::ReadDone<T> done) {
  return [parse = std::move(parse), done = std::move(done)](core::Result<RedisReply> r) {
    if (!r) return done(r.error());
    if (absent(r.value())) return done(std::optional<T>{});
    core::Result<T> parsed = parse(r.value());
    if (!parsed) return done(parsed.error());
    done(std::optional<T>(std::move(parsed).value()));
  };
}

}  // namespace

void RedisStore::read(Command command, std::function<void(core::Result<RedisReply>)> done) {
  boost::asio::post(ioc_, [this, command = std::move(command), done = std::move(done)]() mutable {
    redis_->command(std::move(command), [done = std::move(done)](core::Result<RedisReply> r) {
      if (!r) return done(storage_error_from_redis(r.error()));
      done(std::move(r));
    });
  });
}

void RedisStore::read_identity(std::string handle, ReadDone<store::IdentityRecord> done) {
  read({"HGETALL", keys::identity(handle)},
       optional_record<store::IdentityRecord>(
           [handle](const RedisReply& r) { return records::parse_identity(handle, r); },
           std::move(done)));
}

void RedisStore::read_profile(std::string handle, ReadDone<store::ProfileRecord> done) {
  read({"HGETALL", keys::profile(handle)},
       optional_record<store::ProfileRecord>(
           [handle](const RedisReply& r) { return records::parse_profile(handle, r); },
           std::move(done)));
}

void RedisStore::read_inbox(std::string handle,
                            std::function<void(core::Result<std::vector<store::DmRecord>>)> done) {
  read({"HGETALL", keys::dms(handle)},
       [handle, done = std::move(done)](core::Result<RedisReply> r) {
         if (!r) return done(r.error());
         done(records::parse_inbox(handle, r.value()));
       });
}

void RedisStore::read_claim_cursor(std::string handle, std::string room_key,
                                   ReadDone<store::ClaimCursorRecord> done) {
  read({"HGET", keys::cursors(room_key), handle},
       optional_record<store::ClaimCursorRecord>(
           [handle, room_key](const RedisReply& value) -> core::Result<store::ClaimCursorRecord> {
             RedisReply pair{RedisReply::Type::kArray, {}, 0, {}};
             pair.elements = {RedisReply{RedisReply::Type::kString, handle, 0, {}}, value};
             auto parsed = records::parse_cursors(room_key, pair);
             if (!parsed) return parsed.error();
             return std::move(parsed).value().at(0);
           },
           std::move(done)));
}

void RedisStore::read_room_high_water(std::string room_key, ReadDone<store::RoomHighWater> done) {
  read({"GET", keys::high_water(room_key)},
       optional_record<store::RoomHighWater>(
           [room_key](const RedisReply& r) { return records::parse_high_water(room_key, r); },
           std::move(done)));
}

void RedisStore::read_webhook(std::string id, ReadDone<store::WebhookRecord> done) {
  read({"HGETALL", keys::hook(id)},
       optional_record<store::WebhookRecord>(
           [id](const RedisReply& r) { return records::parse_webhook(id, r); }, std::move(done)));
}

void RedisStore::read_webhook_delivery(std::string id,
                                       ReadDone<store::WebhookDeliveryRecord> done) {
  read({"HGETALL", keys::delivery(id)},
       optional_record<store::WebhookDeliveryRecord>(
           [id](const RedisReply& r) { return records::parse_delivery(id, r); }, std::move(done)));
}

}  // namespace b2b::cluster
