#include "client/send_budget.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/atomic_file.h"
#include "client/cursor_file.h"
#include "client/relay_client.h"

namespace b2b::client {

void SendBudget::observe(const std::vector<RoomMessage>& messages) {
  for (const auto& m : messages) {
    if (m.seq <= state_.checked_seq) continue;
    state_.checked_seq = m.seq;
    if (std::find(limits_.humans.begin(), limits_.humans.end(), m.sender) != limits_.humans.end()) {
      state_.unattended = 0;
    }
  }
}

std::optional<core::Error> SendBudget::check(int64_t now_ms) {
  while (!state_.sends_ms.empty() && state_.sends_ms.front() <= now_ms - 60'000) {
    state_.sends_ms.pop_front();
  }
  if (limits_.per_minute > 0 &&
      static_cast<int64_t>(state_.sends_ms.size()) >= limits_.per_minute) {
    const int64_t wait_s = (state_.sends_ms.front() + 60'000 - now_ms + 999) / 1000;
    return core::Error{
        "budget \"sends per minute\" reached",
        std::to_string(state_.sends_ms.size()) + " sends to this room in the last 60 s (limit " +
            std::to_string(limits_.per_minute) + "); try again in " + std::to_string(wait_s) +
            " s, or raise it with --max-per-minute N (env BOT2BOT_MAX_SENDS_PER_MINUTE; 0 = off)"};
  }
  if (limits_.max_unattended > 0 && state_.unattended >= limits_.max_unattended) {
    std::string who = limits_.humans.empty()
                          ? std::string("no sender is marked human (--human NAME)")
                          : "none of your humans (";
    if (!limits_.humans.empty()) {
      for (std::size_t i = 0; i < limits_.humans.size(); ++i) {
        who += (i ? ", " : "") + limits_.humans[i];
      }
      who += ") has written since";
    }
    return core::Error{
        "budget \"unattended replies\" reached",
        std::to_string(state_.unattended) + " sends in a row and " + who +
            " — two agents may be answering each other. A message from a human resets it; or "
            "raise it with --max-unattended N (env BOT2BOT_MAX_UNATTENDED; 0 = off)"};
  }
  return std::nullopt;
}

void SendBudget::record_send(int64_t now_ms, int64_t seq) {
  state_.sends_ms.push_back(now_ms);
  ++state_.unattended;
  // Our own message is not news when we next observe the room.
  state_.checked_seq = std::max(state_.checked_seq, seq);
}

core::Result<std::monostate> observe_room(RelayClient& relay, std::string_view room_id,
                                          SendBudget& budget) {
  constexpr int kPage = 500;  // the relay's /transcript maximum
  if (!budget.needs_observation()) return std::monostate{};
  if (budget.state().checked_seq == 0) {
    auto now = relay.transcript(room_id, 0, 1);
    if (!now) return now.error();
    budget.start_at(std::max(now.value().last_seq, now.value().dropped_through));
    return std::monostate{};
  }
  // The replay buffer holds at most 2000 messages: a few pages at most.
  for (int page = 0; page < 8; ++page) {
    auto p = relay.transcript(room_id, budget.state().checked_seq, kPage);
    if (!p) return p.error();
    budget.observe(p.value().messages);
    if (static_cast<int>(p.value().messages.size()) < kPage) break;
  }
  return std::monostate{};
}

std::string budget_state_path(std::string_view room_id, std::string_view name) {
  return per_room_state_path("budgets", room_id, name);
}

core::Result<BudgetState> load_budget_state(const std::string& path) {
  BudgetState state;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return state;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  boost::json::error_code jec;
  auto v = boost::json::parse(ss.str(), jec);
  const auto* o = jec ? nullptr : v.if_object();
  if (o == nullptr) {
    return core::Error{"bad budget file", path + " is not a JSON object (delete it to reset)"};
  }
  state.checked_seq = json_int(*o, "checked_seq").value_or(0);
  state.unattended = json_int(*o, "unattended").value_or(0);
  if (const auto* sends = o->if_contains("sends_ms"); sends != nullptr && sends->is_array()) {
    for (const auto& t : sends->get_array()) {
      if (auto ms = json_int(&t)) state.sends_ms.push_back(*ms);
    }
  }
  return state;
}

core::Result<std::monostate> save_budget_state(const std::string& path, const BudgetState& state) {
  boost::json::array sends;
  for (int64_t t : state.sends_ms) sends.push_back(t);
  boost::json::object o{{"checked_seq", state.checked_seq},
                        {"unattended", state.unattended},
                        {"sends_ms", std::move(sends)}};
  return write_file_atomically(path, boost::json::serialize(o) + "\n", 0600);
}

}  // namespace b2b::client
