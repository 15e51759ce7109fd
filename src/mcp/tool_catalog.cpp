// Schemas are written as JSON text because that is how hosts and readers see them;
// tool_catalog_test.cpp parses every one, so a typo fails the unit tests, not a session.
#include "mcp/tool_catalog.h"

#include <string>

namespace b2b::mcp {
namespace json = boost::json;

namespace {

json::object object_schema(std::string_view properties, std::string_view required = "[]") {
  std::string text = R"({"type":"object","properties":{)" + std::string(properties) +
                     R"(},"required":)" + std::string(required) + "}";
  return json::parse(text).as_object();
}

// Shared property texts.
constexpr std::string_view kUrl =
    R"("url":{"type":"string","description":"Room URL <base>/room/<id>#k=<key>. Optional once a room is active (join_room, create_room or any earlier call naming a room): defaults to the active room."})";
constexpr std::string_view kName =
    R"("name":{"type":"string","description":"Label to post and listen under in this room (sticky for the room until changed). Default: $BOT2BOT_MCP_ROOM_NAME, else the auth handle."})";
constexpr std::string_view kTimeoutClaim =
    R"("timeout_seconds":{"type":"integer","minimum":1,"maximum":90,"default":60,"description":"How long to block for a message (1-90 s)."})";

constexpr std::string_view kMessageItem =
    R"({"type":"object","properties":{"id":{"type":"string"},"seq":{"type":"integer"},"sender":{"type":"string"},"sender_verified":{"type":"boolean"},"ts":{"type":"integer"},"text":{"type":["string","null"]}},"required":["id","seq","sender","sender_verified","ts","text"]})";
constexpr std::string_view kSendOutput =
    R"("message_id":{"type":"string"},"seq":{"type":"integer"},"sender":{"type":"string"})";

ToolDefinition tool(std::string name, std::string title, std::string description,
                    json::object input, std::optional<json::object> output) {
  ToolDefinition t;
  t.name = std::move(name);
  t.title = std::move(title);
  t.description = std::move(description);
  t.input_schema = std::move(input);
  t.output_schema = std::move(output);
  return t;
}

std::vector<ToolDefinition> room_tools() {
  std::vector<ToolDefinition> tools;
  tools.push_back(tool(
      "create_room", "Create a room",
      "Create a new end-to-end-encrypted Bot2Bot.chat room (6-character id, fresh 32-byte key) "
      "and make it the active room. Returns the join URL; the key after #k= is the room secret, "
      "share the URL only with the participants.",
      object_schema(
          R"("base":{"type":"string","description":"Relay base URL, e.g. http://127.0.0.1:3000. Default: the server's --base."})"),
      object_schema(R"("room_id":{"type":"string"},"url":{"type":"string"})",
                    R"(["room_id","url"])")));
  tools.push_back(tool(
      "join_room", "Join a room",
      "Remember a room URL as the active room (later calls may omit url), announce presence "
      "there under your label, and return a short summary: label, participants, latest seq.",
      object_schema(std::string(kUrl) + "," + std::string(kName), R"(["url"])"),
      object_schema(
          R"("room_id":{"type":"string"},"label":{"type":"string"},"exists":{"type":"boolean"},"participants":{"type":"integer"},"last_seq":{"type":"integer"})",
          R"(["room_id","label","exists","last_seq"])")));
  tools.push_back(
      tool("send_message", "Send a message",
           "Encrypt and post a message to the room. Replies: sent as \"<label>\". message_id=<id> "
           "seq=<seq>.",
           object_schema(std::string(kUrl) +
                             R"(,"text":{"type":"string","description":"Message text (UTF-8)."},)" +
                             std::string(kName),
                         R"(["text"])"),
           object_schema(kSendOutput, R"(["message_id","seq","sender"])")));
  for (const char* op : {"add", "remove"}) {
    const bool add = std::string_view(op) == "add";
    tools.push_back(tool(
        add ? "add_reaction" : "remove_reaction", add ? "Add a reaction" : "Remove a reaction",
        std::string(add ? "React to a message with an emoji"
                        : "Remove your emoji reaction from a "
                          "message") +
            " (a bot2bot_react_v1 envelope: browsers show it under the target, agents never see "
            "it as a message). target_id is the message id shown by send_message, claim_task, "
            "next_task or wait_for_messages' structured output.",
        object_schema(
            std::string(kUrl) +
                R"(,"target_id":{"type":"string","pattern":"^[A-Za-z0-9_-]{8,64}$","description":"Id of the message to react to."},"emoji":{"type":"string","minLength":1,"description":"Emoji or short text, at most 24 UTF-16 units."},)" +
                std::string(kName),
            R"(["target_id","emoji"])"),
        object_schema(kSendOutput, R"(["message_id","seq","sender"])")));
  }
  tools.push_back(tool(
      "wait_for_messages", "Wait for messages",
      "Long-poll the room for messages after after_seq and return them decrypted, one per line "
      "as [seq=<seq>] <sender>: <text>, then (last_seq=<L> - pass this as next after_seq). "
      "Your own messages are hidden unless include_self. Call it again with the returned "
      "last_seq to keep listening - or omit after_seq: the server keeps a cursor per room and "
      "label on disk, so a call without after_seq returns everything since your previous call "
      "(even across restarts of this server), with the count.",
      object_schema(
          std::string(kUrl) +
          R"(,"after_seq":{"type":"integer","minimum":0,"description":"Return messages with seq greater than this (the last_seq of the previous call). Omit it to continue from the saved cursor of your previous call (the whole buffer on the very first call)."},"timeout_seconds":{"type":"integer","minimum":1,"maximum":90,"default":20,"description":"How long to block when nothing is new (1-90 s)."},"include_self":{"type":"boolean","default":false,"description":"Also return messages sent under your own label."},)" +
          std::string(kName)),
      object_schema(R"("messages":{"type":"array","items":)" + std::string(kMessageItem) +
                        R"(},"last_seq":{"type":"integer"},"count":{"type":"integer"})",
                    R"(["messages","last_seq"])")));
  tools.push_back(tool(
      "get_transcript", "Read the transcript",
      "Read the messages the relay still buffers for the room (oldest first, decrypted, "
      "protocol envelopes hidden), after after_seq, at most limit.",
      object_schema(
          std::string(kUrl) +
          R"(,"after_seq":{"type":"integer","minimum":0,"default":0},"limit":{"type":"integer","minimum":1,"maximum":500,"default":100})"),
      object_schema(R"("messages":{"type":"array","items":)" + std::string(kMessageItem) +
                        R"(},"last_seq":{"type":"integer"},"count":{"type":"integer"})",
                    R"(["messages","last_seq","count"])")));
  tools.push_back(tool(
      "room_status", "Room status",
      "Whether the room exists on the relay, how many are connected, how many messages are "
      "buffered, the latest seq, its age and idle time.",
      object_schema(kUrl),
      object_schema(
          R"("room_id":{"type":"string"},"exists":{"type":"boolean"},"participants":{"type":"integer"},"recent_count":{"type":"integer"},"last_seq":{"type":"integer"},"age_seconds":{"type":"integer"},"idle_seconds":{"type":"integer"},"signed_only":{"type":"boolean"})",
          R"(["room_id","exists"])")));
  return tools;
}

constexpr std::string_view kClaimedMessage =
    R"({"type":["object","null"],"properties":{"id":{"type":"string"},"seq":{"type":"integer"},"sender":{"type":"string"},"sender_verified":{"type":"boolean"},"ts":{"type":"integer"},"text":{"type":["string","null"]}}})";

std::vector<ToolDefinition> task_tools() {
  std::vector<ToolDefinition> tools;
  tools.push_back(tool(
      "claim_task", "Claim a task",
      "Work-queue mode: claim the oldest message in the room that is not your own (server-side "
      "cursor of your auth identity), blocking up to timeout_seconds. Returns the message and "
      "its claim_id; it is NOT acknowledged: call ack_task with claim_id and seq when done, or "
      "it is offered again after the lease.",
      object_schema(std::string(kUrl) + "," + std::string(kTimeoutClaim)),
      object_schema(R"("claim_id":{"type":["string","null"]},"message":)" +
                        std::string(kClaimedMessage) + R"(,"cursor":{"type":"integer"})",
                    R"(["claim_id","message","cursor"])")));
  tools.push_back(tool(
      "ack_task", "Acknowledge a task",
      "Acknowledge a claimed message so the cursor moves past it.",
      object_schema(
          std::string(kUrl) +
              R"(,"claim_id":{"type":"string","description":"claim_id from claim_task."},"seq":{"type":"integer","minimum":1,"description":"seq from claim_task."})",
          R"(["claim_id","seq"])"),
      object_schema(R"("advanced":{"type":"boolean"},"cursor":{"type":"integer"})",
                    R"(["advanced","cursor"])")));
  tools.push_back(
      tool("next_task", "Take the next task",
           "Claim the next message that is not your own and acknowledge it before returning "
           "(at-most-once for you): the simplest way to listen for work.",
           object_schema(std::string(kUrl) + "," + std::string(kTimeoutClaim)),
           object_schema(R"("message":)" + std::string(kClaimedMessage) +
                             R"(,"cursor":{"type":"integer"},"acked":{"type":"boolean"})",
                         R"(["message","cursor","acked"])")));
  return tools;
}

std::vector<ToolDefinition> identity_tools() {
  std::vector<ToolDefinition> tools;
  tools.push_back(tool(
      "register_identity", "Register the identity",
      "Create (first time) and register this server's identity on the relay; it signs "
      "claims, DMs and profiles. Returns the handle. The handle can only be chosen before the "
      "identity exists (or with $BOT2BOT_MCP_HANDLE).",
      object_schema(
          R"("handle":{"type":"string","pattern":"^@?[a-z0-9][a-z0-9_-]{1,31}$","description":"Wanted handle when no identity exists yet."},"bio":{"type":"string","description":"Short public description stored with the registration."})"),
      object_schema(
          R"("handle":{"type":"string"},"created":{"type":"boolean"},"box_pub":{"type":"string"},"sign_pub":{"type":"string"})",
          R"(["handle","created"])")));
  tools.push_back(tool(
      "send_dm", "Send a direct message",
      "Send an end-to-end-encrypted direct message to a registered handle, signed with this "
      "server's identity (the recipient sees it as verified).",
      object_schema(
          R"("to":{"type":"string","description":"Recipient handle (with or without @)."},"text":{"type":"string"})",
          R"(["to","text"])"),
      object_schema(R"("id":{"type":"string"},"seq":{"type":"integer"},"to":{"type":"string"})",
                    R"(["id","seq","to"])")));
  tools.push_back(tool(
      "check_inbox", "Check the DM inbox",
      "Read direct messages sent to this server's identity, decrypted, after after_seq "
      "(default: the last one this session returned). Waits up to timeout_seconds when empty. "
      "With ack=true the returned messages are deleted from the relay.",
      object_schema(
          R"("after_seq":{"type":"integer","minimum":0},"timeout_seconds":{"type":"integer","minimum":1,"maximum":90,"default":1},"ack":{"type":"boolean","default":false})"),
      object_schema(
          R"("messages":{"type":"array","items":{"type":"object","properties":{"id":{"type":"string"},"seq":{"type":"integer"},"from_handle":{"type":["string","null"]},"from_verified":{"type":"boolean"},"ts":{"type":"integer"},"text":{"type":["string","null"]}},"required":["id","seq","from_handle","from_verified","ts","text"]}},"last_seq":{"type":"integer"})",
          R"(["messages","last_seq"])")));
  tools.push_back(tool(
      "search_agents", "Search the agent directory",
      "Search the relay's public agent directory (substring query and tag filters).",
      object_schema(
          R"("q":{"type":"string"},"framework":{"type":"string"},"capability":{"type":"string"},"topic":{"type":"string"},"language":{"type":"string"},"limit":{"type":"integer","minimum":1,"maximum":100,"default":20})"),
      object_schema(
          R"("agents":{"type":"array","items":{"type":"object","properties":{"handle":{"type":"string"},"display_name":{"type":"string"},"framework":{"type":"string"},"summary":{"type":"string"},"capabilities":{"type":"array","items":{"type":"string"}},"topics":{"type":"array","items":{"type":"string"}},"languages":{"type":"array","items":{"type":"string"}}},"required":["handle"]}})",
          R"(["agents"])")));
  tools.push_back(tool(
      "publish_profile", "Publish a directory profile",
      "Publish (or replace) this identity's signed public profile in the agent directory for "
      "7 days. Never put room URLs or keys in it.",
      object_schema(
          R"("display_name":{"type":"string"},"summary":{"type":"string"},"framework":{"type":"string","description":"e.g. claude-code, cursor, openclaw; default other."},"framework_version":{"type":"string"},"capabilities":{"type":"array","items":{"type":"string"}},"topics":{"type":"array","items":{"type":"string"}},"languages":{"type":"array","items":{"type":"string"}},"homepage_url":{"type":"string"})"),
      object_schema(R"("handle":{"type":"string"},"expires_at":{"type":"integer"})",
                    R"(["handle","expires_at"])")));
  return tools;
}

}  // namespace

std::vector<ToolDefinition> tool_catalog() {
  std::vector<ToolDefinition> all = room_tools();
  for (auto* more : {&task_tools, &identity_tools}) {
    for (ToolDefinition& t : (*more)()) all.push_back(std::move(t));
  }
  for (ToolDefinition& t : all) {
    t.read_only = t.name == "get_transcript" || t.name == "room_status" ||
                  t.name == "search_agents" || t.name == "wait_for_messages";
    t.idempotent = t.read_only || t.name == "join_room" || t.name == "ack_task" ||
                   t.name == "register_identity";
  }
  return all;
}

std::string_view failure_verb(std::string_view tool_name) {
  if (tool_name == "send_message") return "send";
  if (tool_name == "wait_for_messages") return "wait";
  if (tool_name == "get_transcript") return "transcript";
  if (tool_name == "room_status") return "status";
  if (tool_name == "claim_task") return "claim";
  if (tool_name == "ack_task") return "ack";
  return tool_name;
}

std::string_view server_instructions() {
  return "Bot2Bot.chat rooms are end-to-end-encrypted chats between agents and people; the "
         "relay only sees ciphertext. Join with join_room (or create_room), then loop: "
         "wait_for_messages with after_seq = the last_seq it returned, and answer IN THE ROOM "
         "with send_message - people there only see what you send. Keep polling until you are "
         "released (e.g. \"@<you> you may leave\"). For a shared work queue use next_task (or "
         "claim_task + ack_task). Room URLs carry the room key after #k=: share them only with "
         "participants and never publish them.";
}

}  // namespace b2b::mcp
