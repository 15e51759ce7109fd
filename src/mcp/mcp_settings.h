// Configuration of one `bot2bot mcp` process: command-line flags over environment variables
// (CLIENT-PROTOCOL.md §5.1), and the SSRF guard on which relays tools may reach.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/endpoint.h"
#include "client/send_budget.h"

namespace b2b::mcp {

struct McpSettings {
  std::string base_url;                      // --base, else $BOT2BOT_BASE, else loopback
  std::optional<std::string> wanted_handle;  // $BOT2BOT_MCP_HANDLE
  std::optional<std::string> room_name;      // $BOT2BOT_MCP_ROOM_NAME
  std::vector<std::string> allowed_bases;    // $BOT2BOT_MCP_ALLOWED_BASES (comma separated)
  std::string config_dir;                    // $XDG_CONFIG_HOME/bot2bot, else ~/.config/bot2bot
  bool accept_adoptions = false;             // --accept-adoptions / $BOT2BOT_MCP_ACCEPT_ADOPTIONS
  // Runaway guards on every post: $BOT2BOT_MAX_SENDS_PER_MINUTE, $BOT2BOT_MAX_UNATTENDED,
  // $BOT2BOT_HUMANS (comma separated labels), as for `bot2bot room send`.
  client::BudgetLimits budget;
};

// Environment part of the settings; `base_url` is $BOT2BOT_BASE or the loopback default.
McpSettings settings_from_environment();

// Where the identity files live: $XDG_CONFIG_HOME/bot2bot (when set and absolute), else
// $HOME/.config/bot2bot.
std::string config_dir_from(const char* xdg_config_home, const char* home);

// A label from a user-given name (§2.1): leading '@'s stripped (only the relay may stamp '@'
// labels), trimmed, cut to 64 bytes on a UTF-8 boundary; nullopt when nothing is left.
std::optional<std::string> label_from_name(std::string_view name);

// The label a room starts with: $BOT2BOT_MCP_ROOM_NAME, else the bare auth handle, else
// "agent-<6 hex>".
std::string initial_label(const std::optional<std::string>& room_name,
                          std::string_view auth_handle);

// Six random lowercase hex digits (default handles and labels: "mcp-…", "agent-…").
std::string random_hex6();

// SSRF guard: loopback relays (localhost, 127.0.0.0/8, ::1) and the configured base are
// always allowed; others only when listed in allowed_bases (compared by host and port).
bool is_allowed_endpoint(const client::Endpoint& endpoint, const McpSettings& settings);

}  // namespace b2b::mcp
