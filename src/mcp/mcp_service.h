// The tools behind `bot2bot mcp`: state shared by all calls (identities, rooms, the active
// room, the DM cursor) and one method per tool. Methods are spread over room_tools.cpp,
// task_tools.cpp and identity_tools.cpp; this file's .cpp holds the shared plumbing.
// Every method may run on its own thread at the same time as others.
#pragma once

#include <boost/json.hpp>

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "client/client_identity.h"
#include "client/relay_client.h"
#include "client/room_url.h"
#include "core/result.h"
#include "mcp/auth_identity.h"
#include "mcp/mcp_settings.h"
#include "mcp/room_session.h"
#include "mcp/text_shapes.h"
#include "mcp/tool_arguments.h"
#include "mcp/tool_definition.h"

namespace b2b::mcp {

class McpService {
 public:
  explicit McpService(McpSettings settings);
  ~McpService();

  ToolResult invoke(const std::string& name, const boost::json::object& arguments);
  // Stops every presence stream (stdin closed).
  void shutdown();

 private:
  using Outcome = core::Result<ToolResult>;

  // room_tools.cpp
  Outcome create_room(const ToolArguments& args);
  Outcome join_room(const ToolArguments& args);
  Outcome send_message(const ToolArguments& args);
  Outcome react(const ToolArguments& args, bool add);
  Outcome wait_for_messages(const ToolArguments& args);
  Outcome get_transcript(const ToolArguments& args);
  Outcome room_status(const ToolArguments& args);
  // task_tools.cpp
  Outcome claim_task(const ToolArguments& args);
  Outcome ack_task(const ToolArguments& args);
  Outcome next_task(const ToolArguments& args);
  // The common start of claim_task and next_task: room, registered auth identity, and one
  // claimed task that is not a protocol envelope (or none before the timeout).
  struct ClaimedTask;
  core::Result<ClaimedTask> claim_next_task(const ToolArguments& args);
  // identity_tools.cpp
  Outcome register_identity(const ToolArguments& args);
  Outcome send_dm(const ToolArguments& args);
  Outcome check_inbox(const ToolArguments& args);
  Outcome search_agents(const ToolArguments& args);
  Outcome publish_profile(const ToolArguments& args);

  // --- shared plumbing (mcp_service.cpp) ---
  struct RoomRef {
    std::shared_ptr<RoomSession> session;
    bool newly_active = false;  // first call naming it: the reply gets the active-room note
  };
  enum class Presence { kStart, kNone };
  // The `url` argument (or the active room), the sticky `name` argument, presence.
  core::Result<RoomRef> resolve_room(const ToolArguments& args, Presence presence);
  core::Result<std::shared_ptr<RoomSession>> open_session(const client::RoomUrl& url);
  core::Result<client::Endpoint> allowed(core::Result<client::Endpoint> endpoint) const;

  // The auth identity (created on first need), registered on `endpoint`'s relay once.
  core::Result<AuthIdentity> auth_identity();
  core::Result<std::shared_ptr<const client::ClientIdentity>> registered_auth(
      client::RelayClient& relay, const std::optional<std::string>& bio = std::nullopt);

  // Posting text with the label and the §5.2 403 retry; records the posted label.
  core::Result<client::PostResult> post(RoomSession& room, const std::string& text);
  // Opens a relay record; nullopt text when undecryptable.
  ShownMessage open(const client::RoomMessage& m, const std::string& key) const;
  // Envelopes are hidden everywhere (§3.2); adopt offers are applied when allowed.
  bool consume_envelope(RoomSession& room, const client::RoomMessage& m,
                        const std::optional<std::string>& text);

  // adoption.cpp: §3.6 with our stricter rules (opt-in flag, sender_verified).
  void maybe_adopt(RoomSession& room, const client::RoomMessage& m, const std::string& text);
  std::shared_ptr<const client::ClientIdentity> room_identity(const client::Endpoint& e);
  std::string room_identity_path(const client::Endpoint& e) const;

  static ToolResult with_note(ToolResult result, const RoomRef& ref);
  // Keeps presence in the most recently used rooms only (each holds a relay stream, and the
  // relay allows 32 per IP).
  void touch_presence(const std::shared_ptr<RoomSession>& room);

  const McpSettings settings_;
  AuthIdentityStore auth_store_;

  std::mutex mu_;                                              // guards everything below
  std::map<std::string, std::shared_ptr<RoomSession>> rooms_;  // by base URL + room id
  std::string active_room_;
  std::set<std::string> registered_bases_;
  // Adopted identities by base URL (nullptr = looked up, none).
  std::map<std::string, std::shared_ptr<const client::ClientIdentity>> room_identities_;
  std::set<std::string> seen_adopt_ids_;
  std::deque<std::shared_ptr<RoomSession>> presence_lru_;  // oldest first
  std::int64_t inbox_after_ = 0;
};

}  // namespace b2b::mcp
