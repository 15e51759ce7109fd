// GET /transcript, GET /status, POST /listening (ROOMS.md §6.5–§6.7): reads and presence
// heartbeats that never create a room.
#include <boost/json.hpp>

#include "api/json_body.h"
#include "api/responses.h"
#include "api/room_routes.h"
#include "core/clock.h"
#include "core/js_int.h"
#include "core/text_rules.h"

namespace b2b::api {

std::string render_message_list(const std::vector<core::MessagePtr>& messages) {
  std::size_t size = 16;
  for (const auto& m : messages) size += m->event->json().size() + 1;
  std::string out;
  out.reserve(size + 64);
  out.append("{\"messages\":[");
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i) out.push_back(',');
    out.append(messages[i]->event->json());  // §20.2: the same record, with "type", everywhere
  }
  out.push_back(']');
  return out;
}

void get_transcript(RelayState& state, RoomCall call) {
  const int64_t after = core::js_int_clamped(call.query.get("after"), 0, 0, INT64_MAX);
  const int64_t limit = core::js_int_clamped(call.query.get("limit"), 100, 1, 500);
  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(shard_index, [&state, shard_index, call = std::move(call), after,
                               limit](core::RoomShard& shard) mutable {
    const std::string room_id = call.room_id;
    state.find_room(
        shard_index, room_id,
        [&shard, call = std::move(call), after, limit](core::Result<core::Room*> found) {
          if (!found) return call.reply.send(unavailable_response(found.error()));
          core::Room* room = found.value();
          if (!room) {
            std::string body = R"({"messages":[],"last_seq":0,"exists":false)";
            if (int64_t lost = shard.remembered_lost_through(call.room_id); lost > 0) {
              body.append(",\"dropped_through\":").append(std::to_string(lost));
            }
            return call.reply.send(json_response(200, body + "}"));
          }
          room->prune(core::wall_clock_ms());
          auto messages = room->messages_after(after, static_cast<std::size_t>(limit));
          std::string body = render_message_list(messages);
          body.append(",\"last_seq\":").append(std::to_string(room->last_seq()));
          body.append(",\"count\":").append(std::to_string(messages.size()));
          if (room->dropped_through() > 0) {  // ours: see rooms_wait.cpp
            body.append(",\"dropped_through\":").append(std::to_string(room->dropped_through()));
          }
          body.append(",\"exists\":true}");
          call.reply.send(json_response(200, std::move(body)));
        });
  });
}

void get_room_status(RelayState& state, RoomCall call) {
  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(
      shard_index, [&state, shard_index, call = std::move(call)](core::RoomShard&) mutable {
        const std::string room_id = call.room_id;
        state.find_room(shard_index, room_id,
                        [call = std::move(call)](core::Result<core::Room*> found) {
                          if (!found) return call.reply.send(unavailable_response(found.error()));
                          core::Room* room = found.value();
                          boost::json::object o;
                          if (!room) {
                            o.emplace("exists", false);
                            o.emplace("roomId", call.room_id);
                            return call.reply.send(json_response(200, boost::json::serialize(o)));
                          }
                          const int64_t now = core::wall_clock_ms();
                          room->prune(now);
                          const core::RoomStatus s = room->status(now);
                          o.emplace("exists", true);
                          o.emplace("roomId", call.room_id);
                          o.emplace("participants", s.participants);
                          o.emplace("recent_count", s.recent_count);
                          o.emplace("last_seq", s.last_seq);
                          o.emplace("age_seconds", s.age_seconds);
                          o.emplace("idle_seconds", s.idle_seconds);
                          o.emplace("signed_only", s.signed_only);
                          call.reply.send(json_response(200, boost::json::serialize(o)));
                        });
      });
}

void post_listening(RelayState& state, RoomCall call) {
  auto body = parse_json_body(call.request);
  if (!body) return call.reply.send(error_response(400, body.error().error, body.error().detail));
  const std::size_t shard_index = state.shard_of(call.room_id);
  state.on_shard(shard_index, [&state, shard_index, call = std::move(call),
                               v = std::move(body.value())](core::RoomShard&) mutable {
    const std::string room_id = call.room_id;
    state.find_room(
        shard_index, room_id,
        [call = std::move(call), v = std::move(v)](core::Result<core::Room*> found) {
          if (!found) return call.reply.send(unavailable_response(found.error()));
          core::Room* room = found.value();
          if (!room) {  // §6.7: checked before the name
            return call.reply.send(error_response(404, "no such room",
                                                  "post a message or open a stream to create it"));
          }
          const boost::json::object* o = v.if_object();
          const boost::json::value* name = o ? o->if_contains("name") : nullptr;
          std::optional<std::string> valid_name;
          if (name && name->is_string())
            valid_name = core::normalize_presence_name(name->get_string());
          if (!valid_name) {
            return call.reply.send(
                error_response(400, "bad name",
                               "name must be 1-64 chars of letters, digits, @ . _ - or non-ASCII"));
          }
          // §6.7: an invalid or missing box_pub clears a previously stored one.
          std::optional<std::string> box_pub;
          const boost::json::value* bp = o->if_contains("box_pub");
          if (bp && bp->is_string() && core::is_valid_box_pub(bp->get_string())) {
            box_pub = std::string(bp->get_string());
          }
          room->heartbeat(std::move(*valid_name), std::move(box_pub), core::wall_clock_ms());
          call.reply.send(json_response(200, R"({"ok":true})"));
        });
  });
}

}  // namespace b2b::api
