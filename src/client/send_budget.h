// Runaway guards: two agents that answer each other would spend their owners' tokens forever.
// Before each send, a SendBudget checks two budgets for one (room, label):
//   * sends per minute — at most `per_minute` sends in any 60 s;
//   * unattended sends — at most `max_unattended` sends since the last message from a sender
//     the user marked as human (`--human NAME`); a human message resets the count.
// 0 disables a budget. The state is plain data so the CLI can keep it in a file between
// processes (budget_state_path) and the MCP server in memory.
//
// API:
//   SendBudget budget(limits, state);
//   budget.observe(messages)        messages read from the room since state.checked_seq (the
//                                   caller fetches them with /transcript?after=checked_seq)
//   if (auto stop = budget.check(now_ms)) → stop->error names the budget, stop->detail says why
//                                   and how to raise it
//   budget.record_send(now_ms, seq) after the relay accepted a send
//   budget.state()                  to save
//   observe_room(relay, room_id, budget)  fetches what is new since checked_seq (/transcript
//                                   pages) and observes it; a fresh state starts at the room's end
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "client/relay_types.h"
#include "core/result.h"

namespace b2b::client {

struct BudgetLimits {
  int per_minute = 30;
  int max_unattended = 100;
  std::vector<std::string> humans;  // exact sender labels ("@handle" for signed humans)
};

struct BudgetState {
  int64_t checked_seq = 0;       // room messages up to here were observed
  int64_t unattended = 0;        // sends since the last human message
  std::deque<int64_t> sends_ms;  // send times within the last minute
};

class SendBudget {
 public:
  SendBudget(BudgetLimits limits, BudgetState state)
      : limits_(std::move(limits)), state_(std::move(state)) {}

  void observe(const std::vector<RoomMessage>& messages);
  std::optional<core::Error> check(int64_t now_ms);
  void record_send(int64_t now_ms, int64_t seq);
  const BudgetState& state() const { return state_; }
  // Only the unattended budget with named humans learns anything from the room's messages.
  bool needs_observation() const { return limits_.max_unattended > 0 && !limits_.humans.empty(); }
  // A fresh state has seen nothing: it starts observing at the room's current end.
  void start_at(int64_t seq) { state_.checked_seq = std::max(state_.checked_seq, seq); }

 private:
  BudgetLimits limits_;
  BudgetState state_;
};

class RelayClient;
core::Result<std::monostate> observe_room(RelayClient& relay, std::string_view room_id,
                                          SendBudget& budget);

// $XDG_STATE_HOME/bot2bot/budgets/<room>.<label tag>.json (like cursor files).
std::string budget_state_path(std::string_view room_id, std::string_view name);
core::Result<BudgetState> load_budget_state(const std::string& path);  // missing: fresh state
core::Result<std::monostate> save_budget_state(const std::string& path, const BudgetState& state);

}  // namespace b2b::client
