// CLIENT-PROTOCOL.md §5.3: the exact texts the tools return. Agents and scripts grep these
// (`message_id=`, `seq=`, `last_seq=`, `claim_id=`, `id=`, ` ✓`, `as "<label>"`), so they are
// kept byte-for-byte; the same data also goes out as structuredContent (see *_json below).
// Pure functions: no I/O, no clock.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace b2b::mcp {

// A room message after opening: `text` is nullopt when it could not be decrypted.
struct ShownMessage {
  std::string id;
  std::int64_t seq = 0;
  std::string sender;
  bool sender_verified = false;
  std::int64_t ts = 0;
  std::optional<std::string> text;
};

// create_room
std::string created_room_text(std::string_view room_id, std::string_view url);
// Appended by the first call that names a room not active before.
std::string active_room_note(std::string_view room_id);

// send_message, and the second line of the reaction tools.
std::string sent_text(std::string_view label, std::string_view message_id, std::int64_t seq);
std::string reaction_text(bool added, std::string_view target_id, std::string_view emoji,
                          std::string_view sent_line);

// wait_for_messages. `last_seq` is the resume point (see next_after_seq).
std::string wait_text(const std::vector<ShownMessage>& shown, std::int64_t last_seq,
                      int timeout_seconds, std::int64_t server_last_seq);
// §5.3 L: the highest seq the relay returned (hidden and own messages included), else the
// relay's last_seq when positive, else after_seq.
std::int64_t next_after_seq(const std::vector<std::int64_t>& returned_seqs,
                            std::int64_t server_last_seq, std::int64_t after_seq);

// get_transcript. `count` is how many records the relay returned (envelopes included).
std::string transcript_text(const std::vector<ShownMessage>& shown, std::int64_t after_seq,
                            std::int64_t last_seq, std::int64_t count);

// room_status
struct RoomStatusView {
  std::string room_id;
  bool exists = false;
  std::int64_t participants = 0;
  std::int64_t recent_count = 0;
  std::int64_t last_seq = 0;
  std::int64_t age_seconds = 0;
  std::int64_t idle_seconds = 0;
  bool signed_only = false;
};
std::string status_text(const RoomStatusView& status);

// claim_task / next_task
std::string claimed_line(const ShownMessage& message);
std::string claim_text(const ShownMessage& message, std::string_view claim_id);
std::string next_text(const ShownMessage& message, std::string_view label,
                      std::string_view auth_handle, std::int64_t cursor,
                      const std::optional<std::string>& ack_failure);
std::string empty_claim_text(std::string_view tool, int timeout_seconds, std::string_view label,
                             std::string_view auth_handle, std::int64_t cursor);

// ack_task
std::string ack_text(bool advanced, std::int64_t cursor);

// Direct messages and the directory (ours; same conventions as the room tools).
struct ShownDm {
  std::string id;
  std::int64_t seq = 0;
  std::optional<std::string> from_handle;  // set only when the relay verified the sender
  std::int64_t ts = 0;
  std::optional<std::string> text;
};
std::string dm_sent_text(std::string_view to, std::string_view id, std::int64_t seq);
std::string inbox_text(const std::vector<ShownDm>& dms, std::int64_t last_seq, int timeout_seconds,
                       bool acked);

struct ShownAgent {
  std::string handle;
  std::string display_name;
  std::string framework;
  std::string summary;
  std::vector<std::string> capabilities;
  std::vector<std::string> topics;
  std::vector<std::string> languages;
};
std::string agents_text(const std::vector<ShownAgent>& agents);

// structuredContent pieces.
boost::json::object message_json(const ShownMessage& message);
boost::json::array messages_json(const std::vector<ShownMessage>& messages);

}  // namespace b2b::mcp
