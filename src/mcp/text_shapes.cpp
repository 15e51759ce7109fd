#include "mcp/text_shapes.h"

#include <algorithm>

namespace b2b::mcp {
namespace json = boost::json;

namespace {

std::string num(std::int64_t n) {
  return std::to_string(n);
}

// §5.3 "[seq=<seq>] <sender>: <text>" (no message id in wait/transcript lines).
std::string room_line(const ShownMessage& m, std::string_view undecryptable) {
  std::string line = "[seq=" + num(m.seq) + "] " + m.sender + ": ";
  line += m.text ? std::string_view(*m.text) : undecryptable;
  return line;
}

std::string joined(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

}  // namespace

std::string created_room_text(std::string_view room_id, std::string_view url) {
  return "Created room " + std::string(room_id) +
         ".\nJoin URL (anyone with it can read and post; the key after #k= never reaches the "
         "relay):\n" +
         std::string(url) +
         "\nShare it only with the participants; open it in a browser to watch the room.";
}

std::string active_room_note(std::string_view room_id) {
  return "(active room set to " + std::string(room_id) +
         " — later calls may omit url to use this room)";
}

std::string sent_text(std::string_view label, std::string_view message_id, std::int64_t seq) {
  return "sent as \"" + std::string(label) + "\". message_id=" + std::string(message_id) +
         " seq=" + num(seq);
}

std::string reaction_text(bool added, std::string_view target_id, std::string_view emoji,
                          std::string_view sent_line) {
  return std::string(added ? "reaction added" : "reaction removed") +
         ": target_id=" + std::string(target_id) + " emoji=" + std::string(emoji) + "\n" +
         std::string(sent_line);
}

std::int64_t next_after_seq(const std::vector<std::int64_t>& returned_seqs,
                            std::int64_t server_last_seq, std::int64_t after_seq) {
  if (!returned_seqs.empty()) return *std::max_element(returned_seqs.begin(), returned_seqs.end());
  return server_last_seq > 0 ? server_last_seq : after_seq;
}

std::string wait_text(const std::vector<ShownMessage>& shown, std::int64_t last_seq,
                      int timeout_seconds, std::int64_t server_last_seq) {
  std::string out;
  for (const ShownMessage& m : shown) {
    out += room_line(m, "[undecryptable — wrong key or different room]");
    out += '\n';
  }
  if (shown.empty()) {
    out += "(no new messages — timed out after " + std::to_string(timeout_seconds) +
           "s, latest server seq " + num(server_last_seq) + ")\n";
  }
  out += "(last_seq=" + num(last_seq) + " — pass this as next after_seq)";
  return out;
}

std::string transcript_text(const std::vector<ShownMessage>& shown, std::int64_t after_seq,
                            std::int64_t last_seq, std::int64_t count) {
  if (count == 0) {
    return "(empty — no messages in the buffer after seq " + num(after_seq) + ")";
  }
  std::string out;
  for (const ShownMessage& m : shown) {
    out += room_line(m, "[undecryptable]");
    out += '\n';
  }
  out += "(last_seq=" + num(last_seq) + "; " + std::to_string(shown.size()) + " of " + num(count) +
         " returned)";
  return out;
}

std::string status_text(const RoomStatusView& s) {
  if (!s.exists) {
    return "Room " + s.room_id +
           " does not currently exist on the server (nobody has posted or connected yet, or it "
           "was evicted after being idle). Sending a message or joining creates it.";
  }
  std::string out = "Room " + s.room_id + "\n  participants: " + num(s.participants) +
                    "\n  recent_count: " + num(s.recent_count) +
                    "\n  last_seq: " + num(s.last_seq) + "\n  age: " + num(s.age_seconds) +
                    "s\n  idle: " + num(s.idle_seconds) + "s";
  if (s.signed_only) out += "\n  signed_only: true (only signed posts are accepted)";
  return out;
}

std::string claimed_line(const ShownMessage& m) {
  std::string line = "[seq=" + num(m.seq) + " id=" + m.id + "] " + m.sender;
  if (m.sender_verified) line += " ✓";
  line += ": ";
  line += m.text ? std::string_view(*m.text) : std::string_view("[undecryptable — wrong room key]");
  return line;
}

std::string claim_text(const ShownMessage& message, std::string_view claim_id) {
  return claimed_line(message) + "\n(claim_id=" + std::string(claim_id) +
         " seq=" + num(message.seq) +
         " — not acknowledged yet: call ack_task with this claim_id and seq once handled)";
}

std::string next_text(const ShownMessage& message, std::string_view label,
                      std::string_view auth_handle, std::int64_t cursor,
                      const std::optional<std::string>& ack_failure) {
  std::string out = claimed_line(message) + "\n(listening in-room as \"" + std::string(label) +
                    "\" via auth @" + std::string(auth_handle) + "; ";
  out += ack_failure ? "not acknowledged" : "acknowledged, cursor=" + num(cursor);
  out += "; call next_task again for the next message)";
  if (ack_failure) {
    out +=
        "\n(warning: ack failed: " + *ack_failure + "; message will be re-delivered on next call)";
  }
  return out;
}

std::string empty_claim_text(std::string_view tool, int timeout_seconds, std::string_view label,
                             std::string_view auth_handle, std::int64_t cursor) {
  return "(no new messages — blocked " + std::to_string(timeout_seconds) + "s as \"" +
         std::string(label) + "\" via auth @" + std::string(auth_handle) +
         ", cursor=" + num(cursor) + "; call " + std::string(tool) + " again to keep listening)";
}

std::string ack_text(bool advanced, std::int64_t cursor) {
  if (advanced) return "ack ok — cursor advanced to seq=" + num(cursor);
  return "ack ok — no change (cursor already at " + num(cursor) +
         "; that message was acknowledged before)";
}

std::string dm_sent_text(std::string_view to, std::string_view id, std::int64_t seq) {
  return "dm sent to @" + std::string(to) + ". id=" + std::string(id) + " seq=" + num(seq);
}

std::string inbox_text(const std::vector<ShownDm>& dms, std::int64_t last_seq, int timeout_seconds,
                       bool acked) {
  std::string out;
  for (const ShownDm& d : dms) {
    out += "[seq=" + num(d.seq) + " id=" + d.id + "] from ";
    out += d.from_handle ? "@" + *d.from_handle + " ✓" : std::string("(anonymous)");
    out += ": ";
    out += d.text ? std::string_view(*d.text)
                  : std::string_view("[undecryptable — not sealed to this identity]");
    out += '\n';
  }
  if (dms.empty()) {
    out += "(inbox empty — waited " + std::to_string(timeout_seconds) + "s)\n";
  } else if (acked) {
    out += "(" + std::to_string(dms.size()) + " deleted from the relay)\n";
  }
  out += "(last_seq=" + num(last_seq) + " — pass this as next after_seq)";
  return out;
}

std::string agents_text(const std::vector<ShownAgent>& agents) {
  if (agents.empty()) return "(no agents found)";
  std::string out;
  for (const ShownAgent& a : agents) {
    if (!out.empty()) out += '\n';
    out += "@" + a.handle + " — " + a.display_name + " [" + a.framework + "]";
    if (!a.summary.empty()) out += ": " + a.summary;
    if (!a.capabilities.empty()) out += "\n  capabilities: " + joined(a.capabilities, ", ");
    if (!a.topics.empty()) out += "\n  topics: " + joined(a.topics, ", ");
    if (!a.languages.empty()) out += "\n  languages: " + joined(a.languages, ", ");
  }
  return out;
}

json::object message_json(const ShownMessage& m) {
  json::object o{{"id", m.id},
                 {"seq", m.seq},
                 {"sender", m.sender},
                 {"sender_verified", m.sender_verified},
                 {"ts", m.ts}};
  if (m.text) {
    o["text"] = *m.text;
  } else {
    o["text"] = nullptr;
  }
  return o;
}

json::array messages_json(const std::vector<ShownMessage>& messages) {
  json::array a;
  for (const ShownMessage& m : messages) a.push_back(message_json(m));
  return a;
}

}  // namespace b2b::mcp
