// ROOMS.md §1.1 JS-int parsing: parseInt(String(v), 10) || default, then clamps.
#include "core/js_int.h"

#include <gtest/gtest.h>

#include <limits>

namespace b2b::core {
namespace {

TEST(ParseJsInt, TakesLeadingDigitsAndIgnoresTheRest) {
  EXPECT_EQ(parse_js_int("12abc"), 12);
  EXPECT_EQ(parse_js_int("1.9"), 1);
  EXPECT_EQ(parse_js_int("1e3"), 1);
  EXPECT_EQ(parse_js_int("0x10"), 0);
  EXPECT_EQ(parse_js_int("42"), 42);
  EXPECT_EQ(parse_js_int("007"), 7);
}

TEST(ParseJsInt, SignsAndLeadingWhitespace) {
  EXPECT_EQ(parse_js_int("-5"), -5);
  EXPECT_EQ(parse_js_int("  +7"), 7);
  EXPECT_EQ(parse_js_int("\t\n\v\f\r 3"), 3);
  EXPECT_EQ(parse_js_int("\xC2\xA0"
                         "8"),
            8);  // U+00A0 is JS whitespace
  EXPECT_EQ(parse_js_int("\xEF\xBB\xBF"
                         "9"),
            9);  // U+FEFF too
  EXPECT_EQ(parse_js_int("\xE3\x80\x80"
                         "4"),
            4);  // U+3000 (Zs)
}

TEST(ParseJsInt, NoDigitsIsNaN) {
  EXPECT_EQ(parse_js_int(""), std::nullopt);
  EXPECT_EQ(parse_js_int("   "), std::nullopt);
  EXPECT_EQ(parse_js_int("abc"), std::nullopt);
  EXPECT_EQ(parse_js_int("-"), std::nullopt);
  EXPECT_EQ(parse_js_int("+-1"), std::nullopt);
  EXPECT_EQ(parse_js_int("- 1"), std::nullopt);
  EXPECT_EQ(parse_js_int(".5"), std::nullopt);
  EXPECT_EQ(parse_js_int("[object Object]"), std::nullopt);  // §1.1 bracket forms
  EXPECT_EQ(parse_js_int("\xE2\x80\x8B"
                         "1"),
            std::nullopt);  // U+200B is not whitespace
}

TEST(ParseJsInt, RepeatedKeyStringFormUsesFirstValue) {
  EXPECT_EQ(parse_js_int("1,2"), 1);  // §1.1: after=1&after=2 stringifies to "1,2"
}

TEST(ParseJsInt, ThirteenDigitSeqsAreExact) {
  EXPECT_EQ(parse_js_int("1776600000123"), 1776600000123);
}

TEST(ParseJsInt, SaturatesAtInt64Range) {
  constexpr auto kMax = std::numeric_limits<int64_t>::max();
  constexpr auto kMin = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(parse_js_int("9223372036854775807"), kMax);
  EXPECT_EQ(parse_js_int("9223372036854775808"), kMax);
  EXPECT_EQ(parse_js_int("99999999999999999999999"), kMax);
  EXPECT_EQ(parse_js_int("-9223372036854775808"), kMin);
  EXPECT_EQ(parse_js_int("-99999999999999999999999"), kMin);
}

TEST(JsIntOr, NaNZeroAndAbsentGiveFallback) {
  EXPECT_EQ(js_int_or("0", 30), 30);  // timeout=0 means 30 s
  EXPECT_EQ(js_int_or("-0", 100), 100);
  EXPECT_EQ(js_int_or("", 100), 100);
  EXPECT_EQ(js_int_or("abc", 100), 100);
  EXPECT_EQ(js_int_or(std::nullopt, 100), 100);
}

TEST(JsIntOr, ParsedValueWins) {
  EXPECT_EQ(js_int_or("12abc", 100), 12);
  EXPECT_EQ(js_int_or("-5", 100), -5);  // negatives survive `||`
  EXPECT_EQ(js_int_or("  +7", 100), 7);
}

TEST(JsIntClamped, ClampsAfterFallback) {
  EXPECT_EQ(js_int_clamped("0", 100, 1, 500), 100);  // limit=0 -> default 100
  EXPECT_EQ(js_int_clamped("-5", 100, 1, 500), 1);   // negative then clamped
  EXPECT_EQ(js_int_clamped("9999", 100, 1, 500), 500);
  EXPECT_EQ(js_int_clamped("250", 100, 1, 500), 250);
  EXPECT_EQ(js_int_clamped(std::nullopt, 100, 1, 500), 100);
  EXPECT_EQ(js_int_clamped("x", 1000, 1, 500), 500);  // the fallback is clamped too
}

}  // namespace
}  // namespace b2b::core
