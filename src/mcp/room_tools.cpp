// Room tools (CLIENT-PROTOCOL.md §5.2–§5.4): create, join, send, react, wait, transcript,
// status.
#include <boost/json.hpp>

#include <regex>

#include "client/cursor_file.h"
#include "client/room_crypto.h"
#include "mcp/deadline.h"
#include "mcp/mcp_service.h"

namespace b2b::mcp {
namespace json = boost::json;

namespace {

// §3.3 sender rules for reactions (the reference MCP's): ids like message ids, 1–24 UTF-16
// units of emoji after trimming.
bool is_reaction_target(const std::string& id) {
  static const std::regex kTarget("^[A-Za-z0-9_-]{8,64}$");
  return std::regex_match(id, kTarget);
}

std::size_t utf16_units(std::string_view s) {
  std::size_t units = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) units += c >= 0xF0 ? 2 : 1;  // 4-byte sequences are surrogate pairs
  }
  return units;
}

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1));
}

json::object sent_json(const client::PostResult& posted, const std::string& label) {
  return json::object{{"message_id", posted.id}, {"seq", posted.seq}, {"sender", label}};
}

}  // namespace

McpService::Outcome McpService::create_room(const ToolArguments& args) {
  core::Result<std::optional<std::string>> base = args.optional_string("base");
  if (!base) return base.error();
  core::Result<client::Endpoint> endpoint =
      allowed(client::parse_endpoint(base.value() ? *base.value() : settings_.base_url));
  if (!endpoint) return endpoint.error();
  // §1.1: MCP rooms get 6-character ids; the library's 10 characters are independent uniform
  // draws from the same alphabet, so any 6 of them are a uniform 6-character id.
  const client::RoomUrl url = client::make_room_url(
      endpoint.value(), client::new_room_id().substr(0, 6), client::new_room_key());
  json::object args_with_url{{"url", url.to_string()}};
  core::Result<RoomRef> ref = resolve_room(ToolArguments(args_with_url), Presence::kStart);
  if (!ref) return ref.error();
  ToolResult result{created_room_text(url.room_id, url.to_string()), false,
                    json::object{{"room_id", url.room_id}, {"url", url.to_string()}}};
  return with_note(std::move(result), ref.value());
}

McpService::Outcome McpService::join_room(const ToolArguments& args) {
  core::Result<std::string> url_text = args.required_string("url");
  if (!url_text) return url_text.error();
  core::Result<RoomRef> ref = resolve_room(args, Presence::kStart);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  client::RelayClient relay(room.url().endpoint);
  core::Result<client::RoomStatus> status = relay.status(room.room_id());
  if (!status) return status.error();
  const client::RoomStatus& s = status.value();
  room.note_seq(s.last_seq);
  const std::string label = room.label();
  std::string text = "Joined room " + room.room_id() + " as \"" + label +
                     "\".\n  participants: " + std::to_string(s.participants) +
                     "\n  last_seq: " + std::to_string(s.last_seq) +
                     "\nCall wait_for_messages with after_seq=" + std::to_string(s.last_seq) +
                     " for new messages only (after_seq=0 also returns the buffered history).";
  ToolResult result{std::move(text), false,
                    json::object{{"room_id", room.room_id()},
                                 {"label", label},
                                 {"exists", s.exists},
                                 {"participants", s.participants},
                                 {"last_seq", s.last_seq}}};
  // join_room always says which room is active now, even when it already was.
  ref.value().newly_active = true;
  return with_note(std::move(result), ref.value());
}

McpService::Outcome McpService::send_message(const ToolArguments& args) {
  core::Result<std::string> text = args.required_string("text");
  if (!text) return text.error();
  core::Result<RoomRef> ref = resolve_room(args, Presence::kStart);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  const std::string label = room.label();
  core::Result<client::PostResult> posted = post(room, text.value());
  if (!posted) return posted.error();
  ToolResult result{sent_text(label, posted.value().id, posted.value().seq), false,
                    sent_json(posted.value(), label)};
  return with_note(std::move(result), ref.value());
}

McpService::Outcome McpService::react(const ToolArguments& args, bool add) {
  core::Result<std::string> target_arg = args.required_string("target_id");
  if (!target_arg) return target_arg.error();
  core::Result<std::string> emoji_arg = args.required_string("emoji");
  if (!emoji_arg) return emoji_arg.error();
  const std::string target = trim(target_arg.value());
  const std::string emoji = trim(emoji_arg.value());
  if (!is_reaction_target(target)) {
    return core::Error{"target_id must be a message id ([A-Za-z0-9_-]{8,64})", ""};
  }
  if (emoji.empty() || utf16_units(emoji) > 24) {
    return core::Error{"emoji must be 1 to 24 UTF-16 units", ""};
  }
  core::Result<RoomRef> ref = resolve_room(args, Presence::kStart);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  // §3.3: no actor field; the relay's sender (the label, or @handle when signed) is the actor.
  const std::string envelope = json::serialize(json::object{{"bot2bot_react_v1", true},
                                                            {"target_id", target},
                                                            {"emoji", emoji},
                                                            {"op", add ? "add" : "remove"}});
  const std::string label = room.label();
  core::Result<client::PostResult> posted = post(room, envelope);
  if (!posted) return posted.error();
  ToolResult result{
      reaction_text(add, target, emoji, sent_text(label, posted.value().id, posted.value().seq)),
      false, sent_json(posted.value(), label)};
  return with_note(std::move(result), ref.value());
}

McpService::Outcome McpService::wait_for_messages(const ToolArguments& args) {
  core::Result<std::optional<std::int64_t>> given = args.optional_int("after_seq", 0);
  if (!given) return given.error();
  core::Result<std::int64_t> timeout = args.clamped_int("timeout_seconds", 20, 1, 90);
  if (!timeout) return timeout.error();
  core::Result<bool> include_self = args.boolean("include_self", false);
  if (!include_self) return include_self.error();
  core::Result<RoomRef> ref = resolve_room(args, Presence::kStart);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  const client::RoomUrl url = room.url();
  client::RelayClient relay(url.endpoint);

  // Our own posts and hidden envelopes also wake a parked /wait; keep waiting until something
  // is worth showing or the caller's timeout has passed.
  // Without after_seq, continue from the cursor saved by the previous call for this room and
  // label (issue: wake-ups that never lose a message, even across server restarts). The very
  // first call starts at 0, as the reference's default did: the buffered history.
  const bool from_saved = !given.value().has_value();
  const std::string cursor_path =
      client::per_room_state_path("mcp-cursors", room.room_id(), room.label());
  std::int64_t start = given.value().value_or(0);
  if (from_saved) {
    core::Result<std::optional<std::int64_t>> saved = client::load_cursor(cursor_path);
    if (!saved) return saved.error();
    start = saved.value().value_or(0);
  }
  const Deadline deadline(std::chrono::seconds(timeout.value()));
  std::int64_t cursor = start;
  std::int64_t server_last = 0;
  std::vector<ShownMessage> shown;
  std::optional<std::int64_t> gap_after;  // messages after this seq are gone from the relay
  for (;;) {
    core::Result<client::MessagePage> page =
        relay.wait(room.room_id(), cursor, deadline.seconds_left());
    if (!page) return page.error();
    if (page.value().dropped_through > cursor && !gap_after) gap_after = cursor;
    if (!page.value().exists && deadline.pause_for_missing_room()) continue;
    server_last = page.value().last_seq;
    std::vector<std::int64_t> seqs;
    const std::string label = room.label();
    for (const client::RoomMessage& m : page.value().messages) {
      seqs.push_back(m.seq);
      room.note_seq(m.seq);
      ShownMessage opened = open(m, url.key);
      if (consume_envelope(room, m, opened.text)) continue;
      if (!include_self.value() && m.sender == label) continue;
      shown.push_back(std::move(opened));
    }
    cursor = next_after_seq(seqs, server_last, cursor);
    if (!shown.empty() || seqs.empty() || !deadline.has_another_second()) break;
  }
  // Saved whenever it moved, also after an explicit after_seq: the next call without one
  // continues from what this call returned.
  if (cursor > start || from_saved) {
    if (auto stored = client::save_cursor(cursor_path, cursor, room.room_id(), room.label());
        !stored) {
      return stored.error();
    }
  }
  std::string text = wait_text(shown, cursor, static_cast<int>(timeout.value()), server_last);
  if (gap_after) {
    text = "(gap: some messages after seq " + std::to_string(*gap_after) +
           " are no longer on the relay and were missed)\n" + text;
  }
  if (from_saved) {
    // Appended, like the other notes: the reference's lines keep their places (§5.3).
    text += "\n(" + std::to_string(shown.size()) + " new since your previous call)";
  }
  ToolResult result{std::move(text), false,
                    json::object{{"messages", messages_json(shown)},
                                 {"last_seq", cursor},
                                 {"count", static_cast<std::int64_t>(shown.size())}}};
  return with_note(std::move(result), ref.value());
}

McpService::Outcome McpService::get_transcript(const ToolArguments& args) {
  core::Result<std::int64_t> after = args.clamped_int("after_seq", 0, 0, INT64_MAX);
  if (!after) return after.error();
  core::Result<std::int64_t> limit = args.clamped_int("limit", 100, 1, 500);
  if (!limit) return limit.error();
  core::Result<RoomRef> ref = resolve_room(args, Presence::kNone);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  const client::RoomUrl url = room.url();
  client::RelayClient relay(url.endpoint);
  core::Result<client::MessagePage> page =
      relay.transcript(room.room_id(), after.value(), static_cast<int>(limit.value()));
  if (!page) return page.error();
  std::vector<ShownMessage> shown;
  for (const client::RoomMessage& m : page.value().messages) {
    ShownMessage opened = open(m, url.key);
    // §3.2: the transcript hides every envelope; adopt offers are not applied from history.
    if (opened.text && client::is_envelope(*opened.text)) continue;
    shown.push_back(std::move(opened));
  }
  const std::int64_t count =
      page.value().count.value_or(static_cast<std::int64_t>(page.value().messages.size()));
  ToolResult result{transcript_text(shown, after.value(), page.value().last_seq, count), false,
                    json::object{{"messages", messages_json(shown)},
                                 {"last_seq", page.value().last_seq},
                                 {"count", count}}};
  return with_note(std::move(result), ref.value());
}

McpService::Outcome McpService::room_status(const ToolArguments& args) {
  core::Result<RoomRef> ref = resolve_room(args, Presence::kNone);
  if (!ref) return ref.error();
  RoomSession& room = *ref.value().session;
  client::RelayClient relay(room.url().endpoint);
  core::Result<client::RoomStatus> status = relay.status(room.room_id());
  if (!status) return status.error();
  const client::RoomStatus& s = status.value();
  const RoomStatusView view{room.room_id(), s.exists,      s.participants, s.recent_count,
                            s.last_seq,     s.age_seconds, s.idle_seconds, s.signed_only};
  json::object structured{{"room_id", room.room_id()}, {"exists", s.exists}};
  if (s.exists) {
    structured["participants"] = s.participants;
    structured["recent_count"] = s.recent_count;
    structured["last_seq"] = s.last_seq;
    structured["age_seconds"] = s.age_seconds;
    structured["idle_seconds"] = s.idle_seconds;
    structured["signed_only"] = s.signed_only;
  }
  return with_note(ToolResult{status_text(view), false, std::move(structured)}, ref.value());
}

}  // namespace b2b::mcp
