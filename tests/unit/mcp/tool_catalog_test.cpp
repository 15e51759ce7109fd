#include "mcp/tool_catalog.h"

#include <gtest/gtest.h>

#include <set>

namespace b2b::mcp {
namespace {

namespace json = boost::json;

TEST(ToolCatalog, SixteenUniquelyNamedTools) {
  const std::vector<ToolDefinition> tools = tool_catalog();
  std::set<std::string> names;
  for (const ToolDefinition& t : tools) names.insert(t.name);
  EXPECT_EQ(names, (std::set<std::string>{"create_room", "join_room", "send_message",
                                          "add_reaction", "remove_reaction", "wait_for_messages",
                                          "get_transcript", "room_status", "claim_task", "ack_task",
                                          "next_task", "register_identity", "send_dm",
                                          "check_inbox", "search_agents", "publish_profile"}));
  EXPECT_EQ(tools.size(), 16u);
}

// Every `required` name is a declared property, for inputs and outputs alike.
void expect_consistent(const json::object& schema, const std::string& where) {
  EXPECT_EQ(schema.at("type"), "object") << where;
  const json::object& props = schema.at("properties").as_object();
  for (const json::value& r : schema.at("required").as_array()) {
    EXPECT_TRUE(props.contains(r.as_string())) << where << ": " << r;
  }
}

TEST(ToolCatalog, SchemasAreObjectsWithDeclaredRequiredFields) {
  for (const ToolDefinition& t : tool_catalog()) {
    expect_consistent(t.input_schema, t.name + " input");
    ASSERT_TRUE(t.output_schema.has_value()) << t.name;
    expect_consistent(*t.output_schema, t.name + " output");
    EXPECT_GT(t.description.size(), 30u) << t.name;
    EXPECT_FALSE(t.title.empty()) << t.name;
  }
}

TEST(ToolCatalog, InputsKeepTheReferenceNames) {
  auto props = [](const std::string& name) {
    for (const ToolDefinition& t : tool_catalog()) {
      if (t.name == name) return t.input_schema.at("properties").as_object();
    }
    return json::object{};
  };
  for (const char* key : {"url", "after_seq", "timeout_seconds", "include_self", "name"}) {
    EXPECT_TRUE(props("wait_for_messages").contains(key)) << key;
  }
  for (const char* key : {"url", "claim_id", "seq"}) EXPECT_TRUE(props("ack_task").contains(key));
  for (const char* key : {"url", "target_id", "emoji", "name"}) {
    EXPECT_TRUE(props("add_reaction").contains(key)) << key;
  }
  EXPECT_TRUE(props("get_transcript").contains("limit"));
  EXPECT_TRUE(props("create_room").contains("base"));
}

TEST(ToolCatalog, ReadOnlyHints) {
  for (const ToolDefinition& t : tool_catalog()) {
    const bool reads = t.name == "get_transcript" || t.name == "room_status" ||
                       t.name == "search_agents" || t.name == "wait_for_messages";
    EXPECT_EQ(t.read_only, reads) << t.name;
    EXPECT_FALSE(t.destructive) << t.name;
  }
}

TEST(ToolCatalog, FailureVerbsFollowTheReference) {
  EXPECT_EQ(failure_verb("send_message"), "send");
  EXPECT_EQ(failure_verb("ack_task"), "ack");
  EXPECT_EQ(failure_verb("wait_for_messages"), "wait");
  EXPECT_EQ(failure_verb("create_room"), "create_room");
  EXPECT_FALSE(server_instructions().empty());
}

}  // namespace
}  // namespace b2b::mcp
