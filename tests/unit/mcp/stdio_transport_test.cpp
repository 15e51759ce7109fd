#include "mcp/stdio_transport.h"

#include <gtest/gtest.h>

#include <mutex>
#include <sstream>

namespace b2b::mcp {
namespace {

namespace json = boost::json;

TEST(StdioTransport, AnswersEachRequestOnItsOwnLineAndSkipsNotifications) {
  ToolDefinition tool;
  tool.name = "echo";
  tool.input_schema = json::object{{"type", "object"}};
  McpDispatcher dispatcher(ServerInfo{"s", "S", "1", "i"}, {tool},
                           [](const std::string&, const json::object&) {
                             return ToolResult{"done", false, std::nullopt};
                           });
  std::ostringstream out;
  StdioTransport transport(dispatcher, out);
  std::istringstream in(
      "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"
      "\n"
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
      "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\"}}\n"
      "garbage\n");
  transport.serve(in);
  ASSERT_TRUE(transport.wait_idle(std::chrono::seconds(5)));
  std::istringstream lines(out.str());
  std::vector<json::object> replies;
  for (std::string line; std::getline(lines, line);) {
    replies.push_back(json::parse(line).as_object());
  }
  ASSERT_EQ(replies.size(), 3u);  // ping, tools/call (from its thread), parse error
  int seen = 0;
  for (const json::object& r : replies) {
    if (r.at("id") == json::value(1)) {
      seen |= 1;
      EXPECT_EQ(r.at("result"), json::object{});
    }
    if (r.at("id") == json::value(2)) {
      seen |= 2;
      EXPECT_EQ(r.at("result").at("content").at(0).at("text"), "done");
    }
    if (r.at("id").is_null()) {
      seen |= 4;
      EXPECT_EQ(r.at("error").at("code"), rpc_code::kParseError);
    }
  }
  EXPECT_EQ(seen, 7);
}

TEST(StdioTransport, DropsTheAnswerOfACancelledCall) {
  ToolDefinition tool;
  tool.name = "slow";
  tool.input_schema = json::object{{"type", "object"}};
  std::mutex gate;
  gate.lock();  // the call blocks until the cancellation has been read
  McpDispatcher dispatcher(ServerInfo{"s", "S", "1", "i"}, {tool},
                           [&](const std::string&, const json::object&) {
                             std::lock_guard wait_for_release(gate);
                             return ToolResult{"late", false, std::nullopt};
                           });
  std::ostringstream out;
  StdioTransport transport(dispatcher, out);
  std::istringstream in(
      "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\"}}\n"
      "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/"
      "cancelled\",\"params\":{\"requestId\":7}}\n");
  transport.serve(in);
  gate.unlock();
  ASSERT_TRUE(transport.wait_idle(std::chrono::seconds(5)));
  EXPECT_EQ(out.str(), "");
}

TEST(StdioTransport, UntiesItsInputSoReadsNeverFlushTheOutputBehindTheWriteLock) {
  McpDispatcher dispatcher(ServerInfo{"s", "S", "1", "i"}, {},
                           [](const std::string&, const json::object&) { return ToolResult{}; });
  std::ostringstream out;
  StdioTransport transport(dispatcher, out);
  std::istringstream in("");
  in.tie(&out);
  transport.serve(in);
  EXPECT_EQ(in.tie(), nullptr);
}

}  // namespace
}  // namespace b2b::mcp
