#include "mcp/tool_arguments.h"

#include <gtest/gtest.h>

namespace b2b::mcp {
namespace {

namespace json = boost::json;

TEST(ToolArguments, Strings) {
  const json::object o{{"url", "u"}, {"n", 3}, {"z", nullptr}};
  const ToolArguments a(o);
  EXPECT_EQ(*a.optional_string("url").value(), "u");
  EXPECT_FALSE(a.optional_string("missing").value().has_value());
  EXPECT_FALSE(a.optional_string("z").value().has_value());
  EXPECT_EQ(a.optional_string("n").error().error, "n must be a string");
  EXPECT_EQ(a.required_string("missing").error().error, "missing is required");
  EXPECT_EQ(a.required_string("url").value(), "u");
}

TEST(ToolArguments, IntegersAreClampedAndAcceptDigitsAndIntegralDoubles) {
  const json::object o{{"big", 500},  {"small", -4}, {"text", "42"},
                       {"dbl", 20.0}, {"frac", 1.5}, {"word", "ten"}};
  const ToolArguments a(o);
  EXPECT_EQ(a.clamped_int("big", 20, 1, 90).value(), 90);
  EXPECT_EQ(a.clamped_int("small", 20, 1, 90).value(), 1);
  EXPECT_EQ(a.clamped_int("text", 20, 1, 90).value(), 42);
  EXPECT_EQ(a.clamped_int("dbl", 5, 1, 90).value(), 20);
  EXPECT_EQ(a.clamped_int("missing", 20, 1, 90).value(), 20);
  EXPECT_FALSE(a.clamped_int("frac", 20, 1, 90).ok());
  EXPECT_EQ(a.clamped_int("word", 20, 1, 90).error().error, "word must be an integer");
}

TEST(ToolArguments, RequiredIntegersAreNotClamped) {
  const json::object o{{"seq", 1776600000123}, {"zero", 0}};
  const ToolArguments a(o);
  EXPECT_EQ(a.required_int("seq", 1).value(), 1776600000123);
  EXPECT_EQ(a.required_int("zero", 1).error().error, "zero must be at least 1");
  EXPECT_EQ(a.required_int("missing", 1).error().error, "missing is required");
  EXPECT_FALSE(a.optional_int("missing", 0).value().has_value());
}

TEST(ToolArguments, Booleans) {
  const json::object o{{"t", true}, {"s", "false"}, {"n", 1}};
  const ToolArguments a(o);
  EXPECT_TRUE(a.boolean("t", false).value());
  EXPECT_FALSE(a.boolean("s", true).value());
  EXPECT_TRUE(a.boolean("missing", true).value());
  EXPECT_FALSE(a.boolean("n", false).ok());
}

TEST(ToolArguments, StringLists) {
  const json::object o{{"list", json::array{"a", "b"}}, {"one", "c"}, {"bad", json::array{1}}};
  const ToolArguments a(o);
  EXPECT_EQ(a.string_list("list").value(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(a.string_list("one").value(), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(a.string_list("missing").value().empty());
  EXPECT_FALSE(a.string_list("bad").ok());
}

}  // namespace
}  // namespace b2b::mcp
