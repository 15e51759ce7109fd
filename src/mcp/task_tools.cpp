// Work-queue tools (CLIENT-PROTOCOL.md §5.2–§5.4, ROOMS.md §9): claim_task, ack_task,
// next_task, on the relay's per-identity cursor.
#include <boost/json.hpp>

#include "client/room_crypto.h"
#include "mcp/deadline.h"
#include "mcp/mcp_service.h"

namespace b2b::mcp {
namespace json = boost::json;

namespace {

struct Claimed {
  std::optional<client::ClaimResult> claim;  // nullopt: nothing to do before the timeout
  std::optional<ShownMessage> message;
  std::int64_t cursor = 0;
};

json::value claimed_message_json(const std::optional<ShownMessage>& m) {
  if (!m) return nullptr;
  return message_json(*m);
}

// Shared by claim_task and next_task: claims until a task that is not a protocol envelope
// arrives. Envelopes are consumed (adopts applied), acknowledged, and the claim repeats (§5.4).
core::Result<Claimed> claim_one(
    client::RelayClient& relay, RoomSession& room, const client::ClientIdentity& auth,
    int timeout_s,
    const std::function<bool(const client::RoomMessage&, const std::optional<std::string>&)>&
        consume) {
  const Deadline deadline{std::chrono::seconds(timeout_s)};
  const std::string key = room.url().key;
  Claimed out;
  for (;;) {
    core::Result<client::ClaimResult> claim =
        relay.claim(room.room_id(), auth, room.exclusion_labels(), deadline.seconds_left());
    if (!claim) return claim.error();
    out.cursor = claim.value().cursor;
    if (claim.value().empty || !claim.value().message) {
      // A parked claim also returns early when we (or an excluded label) posted: keep
      // blocking for the rest of the caller's timeout.
      const bool again =
          claim.value().exists ? deadline.has_another_second() : deadline.pause_for_missing_room();
      if (again) continue;
      return out;
    }
    const client::RoomMessage& m = *claim.value().message;
    room.note_seq(m.seq);
    std::optional<std::string> text = client::open_text(key, m.ciphertext, m.nonce);
    if (consume(m, text)) {
      core::Result<client::AckResult> acked =
          relay.ack(room.room_id(), auth, claim.value().claim_id, m.seq);
      if (!acked) return acked.error();
      continue;
    }
    out.message = ShownMessage{m.id, m.seq, m.sender, m.sender_verified, m.ts, std::move(text)};
    out.claim = std::move(claim).value();
    return out;
  }
}

}  // namespace

struct McpService::ClaimedTask {
  RoomRef ref;
  client::RelayClient relay;
  std::shared_ptr<const client::ClientIdentity> auth;
  int timeout_s = 0;
  Claimed claimed;
};

core::Result<McpService::ClaimedTask> McpService::claim_next_task(const ToolArguments& args) {
  core::Result<std::int64_t> timeout = args.clamped_int("timeout_seconds", 60, 1, 90);
  if (!timeout) return timeout.error();
  core::Result<RoomRef> ref = resolve_room(args, Presence::kStart);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  client::RelayClient relay(room.url().endpoint);
  core::Result<std::shared_ptr<const client::ClientIdentity>> auth = registered_auth(relay);
  if (!auth) return auth.error();
  const int timeout_s = static_cast<int>(timeout.value());
  core::Result<Claimed> claimed =
      claim_one(relay, room, *auth.value(), timeout_s,
                [&](const client::RoomMessage& m, const std::optional<std::string>& text) {
                  return consume_envelope(room, m, text);
                });
  if (!claimed) return claimed.error();
  return ClaimedTask{std::move(ref).value(), std::move(relay), std::move(auth).value(), timeout_s,
                     std::move(claimed).value()};
}

McpService::Outcome McpService::claim_task(const ToolArguments& args) {
  core::Result<ClaimedTask> task = claim_next_task(args);
  if (!task) return task.error();
  const ClaimedTask& t = task.value();
  const Claimed& c = t.claimed;
  if (!c.message) {
    ToolResult empty{
        empty_claim_text("claim_task", t.timeout_s, t.ref.session->label(), t.auth->handle(),
                         c.cursor),
        false, json::object{{"claim_id", nullptr}, {"message", nullptr}, {"cursor", c.cursor}}};
    return with_note(std::move(empty), t.ref);
  }
  ToolResult result{claim_text(*c.message, c.claim->claim_id), false,
                    json::object{{"claim_id", c.claim->claim_id},
                                 {"message", claimed_message_json(c.message)},
                                 {"cursor", c.cursor}}};
  return with_note(std::move(result), t.ref);
}

McpService::Outcome McpService::ack_task(const ToolArguments& args) {
  core::Result<std::string> claim_id = args.required_string("claim_id");
  if (!claim_id) return claim_id.error();
  core::Result<std::int64_t> seq = args.required_int("seq", 1);
  if (!seq) return seq.error();
  core::Result<RoomRef> ref = resolve_room(args, Presence::kStart);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  client::RelayClient relay(room.url().endpoint);
  core::Result<std::shared_ptr<const client::ClientIdentity>> auth = registered_auth(relay);
  if (!auth) return auth.error();
  core::Result<client::AckResult> acked =
      relay.ack(room.room_id(), *auth.value(), claim_id.value(), seq.value());
  if (!acked) return acked.error();
  ToolResult result{
      ack_text(acked.value().advanced, acked.value().cursor), false,
      json::object{{"advanced", acked.value().advanced}, {"cursor", acked.value().cursor}}};
  return with_note(std::move(result), ref.value());
}

McpService::Outcome McpService::next_task(const ToolArguments& args) {
  core::Result<ClaimedTask> task = claim_next_task(args);
  if (!task) return task.error();
  ClaimedTask& t = task.value();
  const Claimed& c = t.claimed;
  const std::string label = t.ref.session->label();
  if (!c.message) {
    ToolResult empty{empty_claim_text("next_task", t.timeout_s, label, t.auth->handle(), c.cursor),
                     false,
                     json::object{{"message", nullptr}, {"cursor", c.cursor}, {"acked", false}}};
    return with_note(std::move(empty), t.ref);
  }
  // §5.2: a failed ack is not an error here: the task is returned with a warning and the
  // relay offers it again on the next call.
  core::Result<client::AckResult> acked =
      t.relay.ack(t.ref.session->room_id(), *t.auth, c.claim->claim_id, c.message->seq);
  std::optional<std::string> ack_failure;
  std::int64_t cursor = c.cursor;
  if (acked) {
    cursor = acked.value().cursor;
  } else {
    ack_failure = acked.error().detail.empty() ? acked.error().error : acked.error().detail;
  }
  ToolResult result{
      next_text(*c.message, label, t.auth->handle(), cursor, ack_failure), false,
      json::object{
          {"message", claimed_message_json(c.message)}, {"cursor", cursor}, {"acked", acked.ok()}}};
  return with_note(std::move(result), t.ref);
}

}  // namespace b2b::mcp
