#include "mcp/mcp_settings.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace b2b::mcp {

namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

std::string trimmed(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(" \t") - first + 1));
}

std::vector<std::string> split_commas(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t comma = std::min(s.find(','), s.size());
    if (std::string item = trimmed(s.substr(0, comma)); !item.empty()) out.push_back(item);
    s.remove_prefix(std::min(comma + 1, s.size()));
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool is_loopback_host(const std::string& host) {
  const std::string h = lower(host);
  return h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

bool same_origin(const client::Endpoint& a, const client::Endpoint& b) {
  return lower(a.host) == lower(b.host) && a.port == b.port;
}

// Cut to at most `max` bytes without splitting a UTF-8 sequence.
std::string utf8_prefix(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

}  // namespace

std::string random_hex6() {
  unsigned char bytes[3];
  randombytes_buf(bytes, sizeof bytes);
  char hex[7];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

std::string config_dir_from(const char* xdg_config_home, const char* home) {
  if (xdg_config_home != nullptr && xdg_config_home[0] == '/') {
    return std::string(xdg_config_home) + "/bot2bot";
  }
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.config/bot2bot";
}

McpSettings settings_from_environment() {
  McpSettings s;
  s.base_url = client::default_base_url();
  s.wanted_handle = env("BOT2BOT_MCP_HANDLE");
  s.room_name = env("BOT2BOT_MCP_ROOM_NAME");
  if (std::optional<std::string> list = env("BOT2BOT_MCP_ALLOWED_BASES")) {
    s.allowed_bases = split_commas(*list);
  }
  s.config_dir = config_dir_from(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
  const std::optional<std::string> adopt = env("BOT2BOT_MCP_ACCEPT_ADOPTIONS");
  s.accept_adoptions = adopt && (*adopt == "1" || lower(*adopt) == "true");
  auto budget_env = [](const char* name, int& out) {
    if (std::optional<std::string> v = env(name)) {
      try {
        out = std::max(0, std::stoi(*v));
      } catch (const std::exception&) {
        // Not a number: keep the default rather than refuse to start an agent's tools.
      }
    }
  };
  budget_env("BOT2BOT_MAX_SENDS_PER_MINUTE", s.budget.per_minute);
  budget_env("BOT2BOT_MAX_UNATTENDED", s.budget.max_unattended);
  if (std::optional<std::string> humans = env("BOT2BOT_HUMANS")) {
    s.budget.humans = split_commas(*humans);
  }
  return s;
}

std::optional<std::string> label_from_name(std::string_view name) {
  while (!name.empty() && name.front() == '@') name.remove_prefix(1);
  std::string label = utf8_prefix(trimmed(name), 64);
  if (label.empty()) return std::nullopt;
  return label;
}

std::string initial_label(const std::optional<std::string>& room_name,
                          std::string_view auth_handle) {
  if (room_name) {
    if (std::optional<std::string> label = label_from_name(*room_name)) return *label;
  }
  if (std::optional<std::string> label = label_from_name(auth_handle)) return *label;
  return "agent-" + random_hex6();
}

bool is_allowed_endpoint(const client::Endpoint& endpoint, const McpSettings& settings) {
  if (is_loopback_host(endpoint.host)) return true;
  core::Result<client::Endpoint> configured = client::parse_endpoint(settings.base_url);
  if (configured && same_origin(configured.value(), endpoint)) return true;
  return std::any_of(settings.allowed_bases.begin(), settings.allowed_bases.end(),
                     [&](const std::string& allowed) {
                       core::Result<client::Endpoint> e = client::parse_endpoint(allowed);
                       return e && same_origin(e.value(), endpoint);
                     });
}

}  // namespace b2b::mcp
