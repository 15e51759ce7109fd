// `bot2bot room claim|ack|next`: work queues over a room with the relay's per-identity cursor
// (ROOMS.md §9). Output and exit codes follow CLIENT-PROTOCOL.md §4.2: 0 = a message (or an
// ack), 1 = nothing within the timeout, 2 = error; --json prints the reference's one-line
// objects plus `id` and `sender_verified`.
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iostream>

#include "cli/commands.h"
#include "client/client_identity.h"
#include "client/relay_client.h"
#include "client/room_tasks.h"
#include "client/room_url.h"

namespace b2b::cli {
namespace {

namespace json = boost::json;

struct Session {
  client::RoomUrl room;
  client::ClientIdentity id;
  std::string label;
};

std::optional<Session> open_session(const RoomClaimArgs& a, std::string_view what, int& rc) {
  auto room = client::parse_room_url(a.url);
  if (!room) {
    rc = fail(what, room.error());
    return std::nullopt;
  }
  auto id = client::load_identity_file(a.identity_path);
  if (!id) {
    rc = fail(what, id.error());
    return std::nullopt;
  }
  std::string label = a.name.empty() ? id.value().handle() : a.name;
  return Session{std::move(room).value(), std::move(id).value(), std::move(label)};
}

JsonLine claim_line(const client::ClaimedTask& t, int64_t cursor) {
  const auto& m = t.message;
  JsonLine line;
  line.add_string("claim_id", t.claim_id)
      .add("seq", std::to_string(m.seq))
      .add_string("sender", m.sender)
      .add_seconds("ts", m.ts)
      .add("text", t.text ? json::serialize(json::string(*t.text)) : "null")
      .add("cursor", std::to_string(cursor))
      .add_string("id", m.id)
      .add("sender_verified", m.sender_verified ? "true" : "false");
  return line;
}

void print_task(const client::ClaimedTask& t) {
  const auto& m = t.message;
  std::cout << "[seq=" << m.seq << " id=" << m.id << "] " << m.sender
            << (m.sender_verified ? " \u2713" : "") << ": "
            << (t.text ? *t.text : "[undecryptable \u2014 wrong room key]") << "\n";
}

int claim_once(const RoomClaimArgs& a, bool and_ack, std::string_view what) {
  int rc = kExitError;
  auto s = open_session(a, what, rc);
  if (!s) return rc;
  client::RelayClient relay(s->room.endpoint);
  int timeout = std::clamp(a.timeout_s, 1, 90);
  auto outcome = client::claim_visible(relay, s->room, s->id, {s->label}, timeout);
  if (!outcome) return fail(what, outcome.error());
  const auto& o = outcome.value();
  if (!o.task) {
    if (a.json) {
      std::cout << "{\"empty\":true}\n";
    } else {
      std::cout << "(no new messages — waited " << timeout << "s as \"" << s->label << "\" via @"
                << s->id.handle() << ", cursor=" << o.cursor << ")\n";
    }
    return kExitEmpty;
  }
  JsonLine line = claim_line(*o.task, o.cursor);
  std::string ack_warning;
  if (and_ack) {
    auto acked = relay.ack(s->room.room_id, s->id, o.task->claim_id, o.task->message.seq);
    if (!acked) {
      ack_warning = acked.error().error;
      line.add_string("ack_warning", ack_warning);
    }
  }
  if (a.json) {
    std::cout << line.str() << "\n";
  } else {
    print_task(*o.task);
    if (!and_ack) {
      std::cout << "(claim_id=" << o.task->claim_id << " seq=" << o.task->message.seq
                << " — ack with: bot2bot room ack URL " << o.task->claim_id << " "
                << o.task->message.seq << ")\n";
    } else if (!ack_warning.empty()) {
      std::cout << "(warning: ack failed: " << ack_warning
                << "; message will be re-delivered on next call)\n";
    }
  }
  return kExitOk;
}

}  // namespace

int room_claim(const RoomClaimArgs& args) {
  return claim_once(args, false, "room claim");
}

int room_next(const RoomClaimArgs& args) {
  return claim_once(args, true, "room next");
}

int room_ack(const RoomClaimArgs& a) {
  int rc = kExitError;
  auto s = open_session(a, "room ack", rc);
  if (!s) return rc;
  client::RelayClient relay(s->room.endpoint);
  auto acked = relay.ack(s->room.room_id, s->id, a.claim_id, a.seq);
  if (!acked) return fail("room ack", acked.error());
  const auto& r = acked.value();
  if (a.json) {
    std::cout << json::serialize(
                     json::object{{"ok", true}, {"advanced", r.advanced}, {"cursor", r.cursor}})
              << "\n";
  } else if (r.advanced) {
    std::cout << "ack ok — cursor advanced to seq=" << r.cursor << "\n";
  } else {
    std::cout << "ack ok — no change (cursor already at " << r.cursor << ")\n";
  }
  return kExitOk;
}

}  // namespace b2b::cli
