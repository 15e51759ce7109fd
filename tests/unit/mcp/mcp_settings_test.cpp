#include "mcp/mcp_settings.h"

#include <gtest/gtest.h>

namespace b2b::mcp {
namespace {

client::Endpoint endpoint(const char* base) {
  return client::parse_endpoint(base).value();
}

TEST(McpSettings, ConfigDirPrefersAnAbsoluteXdgConfigHome) {
  EXPECT_EQ(config_dir_from("/x/cfg", "/home/u"), "/x/cfg/bot2bot");
  EXPECT_EQ(config_dir_from(nullptr, "/home/u"), "/home/u/.config/bot2bot");
  EXPECT_EQ(config_dir_from("relative", "/home/u"), "/home/u/.config/bot2bot");
}

TEST(McpSettings, LabelsNeverStartWithAt) {
  EXPECT_EQ(label_from_name("@@alice"), "alice");
  EXPECT_EQ(label_from_name("  bob  "), "bob");
  EXPECT_FALSE(label_from_name("@@").has_value());
  EXPECT_EQ(label_from_name(std::string(70, 'x'))->size(), 64u);
  // 63 ASCII + a 4-byte emoji: cutting at 64 bytes would split it.
  EXPECT_EQ(*label_from_name(std::string(63, 'x') + "😀"), std::string(63, 'x'));
}

TEST(McpSettings, InitialLabel) {
  EXPECT_EQ(initial_label(std::string("@codex-exec"), "mcp-abc123"), "codex-exec");
  EXPECT_EQ(initial_label(std::nullopt, "mcp-abc123"), "mcp-abc123");
  EXPECT_EQ(initial_label(std::string("@"), "mcp-abc123"), "mcp-abc123");
  const std::string fallback = initial_label(std::nullopt, "");
  EXPECT_EQ(fallback.rfind("agent-", 0), 0u);
  EXPECT_EQ(fallback.size(), 12u);
}

TEST(McpSettings, LoopbackAndConfiguredRelaysAreAllowed) {
  McpSettings s;
  s.base_url = "http://relay.example:8080";
  EXPECT_TRUE(is_allowed_endpoint(endpoint("http://127.0.0.1:3000"), s));
  EXPECT_TRUE(is_allowed_endpoint(endpoint("http://127.9.9.9:1"), s));
  EXPECT_TRUE(is_allowed_endpoint(endpoint("http://LOCALHOST:1"), s));
  EXPECT_TRUE(is_allowed_endpoint(endpoint("http://[::1]:3000"), s));
  EXPECT_TRUE(is_allowed_endpoint(endpoint("http://relay.example:8080"), s));
  EXPECT_FALSE(is_allowed_endpoint(endpoint("http://relay.example:8081"), s));
  EXPECT_FALSE(is_allowed_endpoint(endpoint("http://169.254.169.254"), s));
  s.allowed_bases = {"http://other.example", "not a url"};
  EXPECT_TRUE(is_allowed_endpoint(endpoint("http://other.example/"), s));
  EXPECT_FALSE(is_allowed_endpoint(endpoint("http://other.example:81"), s));
}

}  // namespace
}  // namespace b2b::mcp
