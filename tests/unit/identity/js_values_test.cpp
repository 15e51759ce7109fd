// JS String()/Number() coercions used by IDENTITY.md §3.1 and §2.2.
#include "identity/js_values.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cmath>

namespace b2b::identity {
namespace {

std::string str(std::string_view json) {
  return js_string(boost::json::parse(json));
}

TEST(JsValues, NumberToStringMatchesEcmaScript) {
  EXPECT_EQ(js_number_to_string(0), "0");
  EXPECT_EQ(js_number_to_string(-0.0), "0");
  EXPECT_EQ(js_number_to_string(1795625623984.5), "1795625623984.5");
  EXPECT_EQ(js_number_to_string(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(js_number_to_string(1e21), "1e+21");
  EXPECT_EQ(js_number_to_string(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js_number_to_string(0.000001), "0.000001");
  EXPECT_EQ(js_number_to_string(0.0000001), "1e-7");
  EXPECT_EQ(js_number_to_string(-2.5e-10), "-2.5e-10");
  EXPECT_EQ(js_number_to_string(NAN), "NaN");
  EXPECT_EQ(js_number_to_string(-INFINITY), "-Infinity");
}

TEST(JsValues, StringOfJsonValues) {
  EXPECT_EQ(str("\"x\""), "x");
  EXPECT_EQ(str("true"), "true");
  EXPECT_EQ(str("null"), "null");
  EXPECT_EQ(str("12.50"), "12.5");
  EXPECT_EQ(str("[1,[2,3],null,\"a\"]"), "1,2,3,,a");
  EXPECT_EQ(str("[]"), "");
  EXPECT_EQ(str("{\"a\":1}"), "[object Object]");
}

TEST(JsValues, Falsiness) {
  for (const char* falsy : {"null", "false", "0", "0.0", "-0.0", "\"\""}) {
    EXPECT_TRUE(js_is_falsy(boost::json::parse(falsy))) << falsy;
  }
  for (const char* truthy : {"true", "1", "\" \"", "\"0\"", "[]", "{}"}) {
    EXPECT_FALSE(js_is_falsy(boost::json::parse(truthy))) << truthy;
  }
}

TEST(JsValues, StringToNumber) {
  EXPECT_EQ(js_string_to_number("  1767225600000 "), 1767225600000.0);
  EXPECT_EQ(js_string_to_number(""), 0);
  EXPECT_EQ(js_string_to_number(" \n"), 0);
  EXPECT_EQ(js_string_to_number("1.5e3"), 1500);
  EXPECT_EQ(js_string_to_number("-.5"), -0.5);
  EXPECT_EQ(js_string_to_number("5."), 5);
  EXPECT_EQ(js_string_to_number("0x10"), 16);
  EXPECT_EQ(js_string_to_number("0b101"), 5);
  EXPECT_EQ(js_string_to_number("0o17"), 15);
  EXPECT_TRUE(std::isinf(js_string_to_number("-Infinity")));
  EXPECT_TRUE(std::isnan(js_string_to_number("12abc")));
  EXPECT_TRUE(std::isnan(js_string_to_number("-0x10")));
  EXPECT_TRUE(std::isnan(js_string_to_number("1e")));
  EXPECT_TRUE(std::isnan(js_string_to_number(".")));
  EXPECT_EQ(js_number(boost::json::parse("[\"42\"]")), 42);
  EXPECT_EQ(js_number(boost::json::parse("true")), 1);
  EXPECT_TRUE(std::isnan(js_number(boost::json::parse("{}"))));
}

}  // namespace
}  // namespace b2b::identity
