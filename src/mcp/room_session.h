// One room this MCP process has used (CLIENT-PROTOCOL.md §5.1, §5.4): its URL and key, the
// label it posts and listens under, every label it has posted under (claim exclusions), the
// highest seq seen, and the background SSE presence connection that keeps it listed in the
// room and watches for adopt offers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/relay_types.h"
#include "client/room_stream.h"
#include "client/room_url.h"
#include "client/send_budget.h"

namespace b2b::mcp {

class RoomSession {
 public:
  RoomSession(client::RoomUrl url, std::string label);
  ~RoomSession();  // stops presence and joins its thread
  RoomSession(const RoomSession&) = delete;
  RoomSession& operator=(const RoomSession&) = delete;

  client::RoomUrl url() const;
  void replace_key(std::string key);  // the same room named with another key
  const std::string& room_id() const { return room_id_; }

  std::string label() const;
  // A `name` argument or an adoption: the new label applies to later posts, waits and claims,
  // and presence reconnects under it.
  void set_label(std::string label);
  void record_posted_label(const std::string& label);
  // §5.4: every label this process has posted under here, plus the current one.
  std::vector<std::string> exclusion_labels() const;

  void note_seq(std::int64_t seq);
  std::int64_t highest_seq() const;

  // Runaway guards for posts to this room (created on first use with `limits`). Posts hold
  // the lock from check to record, so concurrent tool calls cannot both slip under a budget.
  std::unique_lock<std::mutex> lock_budget() { return std::unique_lock(budget_mu_); }
  client::SendBudget& budget(const client::BudgetLimits& limits);  // with lock_budget() held

  // Idempotent. Messages seen on the stream go to `on_message` (on the presence thread).
  using MessageHandler = std::function<void(RoomSession&, const client::RoomMessage&)>;
  void start_presence(std::string box_pub_b64url, MessageHandler on_message);
  // Reconnect under a new presence box_pub (after an adoption).
  void set_presence_box_pub(std::string box_pub_b64url);
  // Ends the presence connection and joins its thread; start_presence may start it again.
  void stop_presence();

 private:
  void presence_loop();
  void restart_stream_locked();

  const std::string room_id_;
  mutable std::mutex mu_;
  client::RoomUrl url_;
  std::string label_;
  std::set<std::string> posted_labels_;
  std::int64_t highest_seq_ = 0;

  std::mutex budget_mu_;
  std::optional<client::SendBudget> budget_;  // guarded by budget_mu_

  std::string box_pub_;
  MessageHandler on_message_;
  bool stopping_ = false;
  client::RoomStream* stream_ = nullptr;  // the current connection, guarded by mu_
  std::thread thread_;
};

}  // namespace b2b::mcp
