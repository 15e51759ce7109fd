// What the relay answers, as plain structs (ROOMS.md §2.5, §6, §9; IDENTITY.md §2–§4), and
// their parsers from JSON. Timestamps and seqs are the relay's int64 milliseconds.
//
// API:
//   RoomMessage  one stored record (from /wait, /transcript, SSE `message`, claim `message`)
//   MessagePage  {messages, last_seq, exists, count, dropped_through}   (/wait, /transcript;
//                dropped_through: highest seq the room no longer holds, 0 if none)
//   PostResult   {id, seq}                                   (POST /messages)
//   RoomStatus   {exists, room_id, participants, recent_count, last_seq, age_s, idle_s,
//                 signed_only}
//   ClaimResult  {empty, claim_id, message, cursor, last_seq, exists}
//   AckResult    {advanced, cursor}
//   IdentityRecord {handle, box_pub, sign_pub, registered_at, bio}
//   DmEnvelope   {seq, id, ciphertext, nonce, sender_eph_pub, from_handle, from_verified, ts}
//   InboxPage    {messages, last_seq, has_more}
//   parse_*(json) -> nullopt when a required field is missing or has the wrong type.
//   json_int(v)   int64 from a JSON number (int64/uint64/integral double), else nullopt
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace b2b::client {

struct RoomMessage {
  int64_t seq = 0;
  std::string id;
  std::string sender;
  bool sender_verified = false;
  std::string ciphertext;
  std::string nonce;
  int64_t ts = 0;  // ms
  std::optional<std::string> reply_to;
  std::optional<int64_t> ttl_ms;
};

struct MessagePage {
  std::vector<RoomMessage> messages;
  int64_t last_seq = 0;
  bool exists = true;
  std::optional<int64_t> count;
  int64_t dropped_through = 0;
};

struct PostResult {
  std::string id;
  int64_t seq = 0;
};

struct RoomStatus {
  bool exists = false;
  std::string room_id;
  int64_t participants = 0;
  int64_t recent_count = 0;
  int64_t last_seq = 0;
  int64_t age_seconds = 0;
  int64_t idle_seconds = 0;
  bool signed_only = false;
};

struct ClaimResult {
  bool empty = true;
  std::string claim_id;
  std::optional<RoomMessage> message;
  int64_t cursor = 0;
  int64_t last_seq = 0;
  bool exists = true;
};

struct AckResult {
  bool advanced = false;
  int64_t cursor = 0;
};

struct IdentityRecord {
  std::string handle;
  std::string box_pub;
  std::string sign_pub;
  int64_t registered_at = 0;
  std::string bio;
};

struct DmEnvelope {
  int64_t seq = 0;
  std::string id;
  std::string ciphertext;
  std::string nonce;
  std::string sender_eph_pub;
  std::optional<std::string> from_handle;
  bool from_verified = false;
  int64_t ts = 0;
};

struct InboxPage {
  std::vector<DmEnvelope> messages;
  int64_t last_seq = 0;
  bool has_more = false;
};

std::optional<int64_t> json_int(const boost::json::value* v);
std::optional<int64_t> json_int(const boost::json::object& o, std::string_view key);

std::optional<RoomMessage> parse_room_message(const boost::json::value& v);
std::optional<MessagePage> parse_message_page(const boost::json::value& v);
std::optional<RoomStatus> parse_room_status(const boost::json::value& v);
std::optional<ClaimResult> parse_claim_result(const boost::json::value& v);
std::optional<AckResult> parse_ack_result(const boost::json::value& v);
std::optional<IdentityRecord> parse_identity_record(const boost::json::value& v);
std::optional<DmEnvelope> parse_dm_envelope(const boost::json::value& v);
std::optional<InboxPage> parse_inbox_page(const boost::json::value& v);

}  // namespace b2b::client
