#include "mcp/mcp_dispatcher.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace b2b::mcp {
namespace {

namespace json = boost::json;

ToolDefinition echo_tool() {
  ToolDefinition t;
  t.name = "echo";
  t.title = "Echo";
  t.description = "Echoes its text argument.";
  t.input_schema = json::object{{"type", "object"}};
  t.output_schema = json::object{{"type", "object"}};
  t.read_only = true;
  return t;
}

class DispatcherTest : public ::testing::Test {
 protected:
  McpDispatcher dispatcher{ServerInfo{"bot2bot-chat", "Bot2Bot.chat", "0.1.0", "use the tools"},
                           {echo_tool()},
                           [](const std::string&, const json::object& args) -> ToolResult {
                             if (args.contains("boom")) throw std::runtime_error("kaput");
                             if (args.contains("fail")) return tool_error("echo failed: asked to");
                             const json::value* text = args.if_contains("text");
                             const std::string s =
                                 text != nullptr ? std::string(text->as_string()) : "";
                             return ToolResult{s, false, json::object{{"text", s}}};
                           }};

  json::object request(const std::string& line) {
    std::optional<std::string> reply = dispatcher.handle(parse_message(line));
    EXPECT_TRUE(reply.has_value()) << line;
    return reply ? json::parse(*reply).as_object() : json::object{};
  }
  json::object initialize(const std::string& version) {
    return request(
        R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":")" + version +
        R"(","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
  }
};

TEST_F(DispatcherTest, InitializeEchoesASupportedRevision) {
  for (std::string_view v : kSupportedProtocolVersions) {
    json::object r = initialize(std::string(v));
    EXPECT_EQ(r.at("result").at("protocolVersion"), json::value(v));
  }
}

TEST_F(DispatcherTest, InitializeOffersTheLatestForAnUnknownRevision) {
  json::object r = initialize("2023-01-01").at("result").as_object();
  EXPECT_EQ(r.at("protocolVersion"), json::value(kLatestProtocolVersion));
  EXPECT_EQ(r.at("serverInfo").at("name"), "bot2bot-chat");
  EXPECT_EQ(r.at("serverInfo").at("title"), "Bot2Bot.chat");
  EXPECT_EQ(r.at("instructions"), "use the tools");
  EXPECT_TRUE(r.at("capabilities").as_object().contains("tools"));
}

TEST_F(DispatcherTest, ToolsListFollowsTheRevision) {
  initialize("2025-11-25");
  json::object t = request(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})")
                       .at("result")
                       .at("tools")
                       .at(0)
                       .as_object();
  EXPECT_EQ(t.at("name"), "echo");
  EXPECT_TRUE(t.contains("outputSchema"));
  EXPECT_TRUE(t.contains("title"));
  EXPECT_EQ(t.at("annotations").at("readOnlyHint"), true);

  initialize("2024-11-05");
  t = request(R"({"jsonrpc":"2.0","id":3,"method":"tools/list"})")
          .at("result")
          .at("tools")
          .at(0)
          .as_object();
  EXPECT_FALSE(t.contains("outputSchema"));
  EXPECT_FALSE(t.contains("title"));
  EXPECT_FALSE(t.contains("annotations"));
  EXPECT_TRUE(t.contains("inputSchema"));
}

TEST_F(DispatcherTest, ToolsCallReturnsTextAndStructuredContent) {
  initialize("2025-06-18");
  json::object r =
      request(
          R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})")
          .at("result")
          .as_object();
  EXPECT_EQ(r.at("content").at(0).at("type"), "text");
  EXPECT_EQ(r.at("content").at(0).at("text"), "hi");
  EXPECT_EQ(r.at("isError"), false);
  EXPECT_EQ(r.at("structuredContent").at("text"), "hi");
}

TEST_F(DispatcherTest, OlderRevisionsGetNoStructuredContent) {
  initialize("2025-03-26");
  json::object r =
      request(
          R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}})")
          .at("result")
          .as_object();
  EXPECT_FALSE(r.contains("structuredContent"));
}

TEST_F(DispatcherTest, ToolFailuresAreResultsWithIsError) {
  json::object r =
      request(
          R"({"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"fail":1}}})")
          .at("result")
          .as_object();
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_EQ(r.at("content").at(0).at("text"), "echo failed: asked to");
  EXPECT_FALSE(r.contains("structuredContent"));
  r = request(
          R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"echo","arguments":{"boom":1}}})")
          .at("result")
          .as_object();
  EXPECT_EQ(r.at("isError"), true);
  EXPECT_EQ(r.at("content").at(0).at("text"), "echo failed: internal error: kaput");
}

TEST_F(DispatcherTest, ProtocolMisuseIsAJsonRpcError) {
  auto code = [&](const std::string& line) {
    return request(line).at("error").at("code").as_int64();
  };
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"nope"}})"),
            rpc_code::kInvalidParams);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{}})"),
            rpc_code::kInvalidParams);
  EXPECT_EQ(
      code(
          R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","arguments":3}})"),
      rpc_code::kInvalidParams);
  EXPECT_EQ(code(R"({"jsonrpc":"2.0","id":10,"method":"prompts/list"})"),
            rpc_code::kMethodNotFound);
  EXPECT_EQ(request(R"({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"nope"}})")
                .at("error")
                .at("message"),
            "Unknown tool: nope");
}

TEST_F(DispatcherTest, PingAnswersAndNotificationsDoNot) {
  EXPECT_EQ(request(R"({"jsonrpc":"2.0","id":"p","method":"ping"})").at("result"), json::object{});
  EXPECT_FALSE(dispatcher.handle(
      parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})")));
  EXPECT_FALSE(dispatcher.handle(parse_message(
      R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})")));
  EXPECT_FALSE(dispatcher.handle(parse_message(R"({"jsonrpc":"2.0","id":1,"result":{}})")));
}

TEST_F(DispatcherTest, OnlyToolCallsAreSlow) {
  EXPECT_TRUE(
      McpDispatcher::is_slow(parse_message(R"({"jsonrpc":"2.0","id":1,"method":"tools/call"})")));
  EXPECT_FALSE(
      McpDispatcher::is_slow(parse_message(R"({"jsonrpc":"2.0","id":1,"method":"ping"})")));
  EXPECT_FALSE(McpDispatcher::is_slow(parse_message(R"({"jsonrpc":"2.0","method":"tools/call"})")));
}

}  // namespace
}  // namespace b2b::mcp
