// JS trim / toLowerCase / slice as IDENTITY.md §3.1 uses them.
#include "identity/js_text.h"

#include <gtest/gtest.h>

namespace b2b::identity {
namespace {

TEST(JsText, TrimUsesTheJavaScriptSet) {
  EXPECT_EQ(js_trim(" \t\n\v\f\r x \xC2\xA0"), "x");
  EXPECT_EQ(js_trim("\xEF\xBB\xBFx\xE3\x80\x80"), "x");              // U+FEFF, U+3000
  EXPECT_EQ(js_trim("\xE2\x80\xA8x\xE2\x80\xAF\xE2\x81\x9F"), "x");  // U+2028, 202F, 205F
  EXPECT_EQ(js_trim("\xE1\x9A\x80x\xE2\x80\x8A"), "x");              // U+1680, U+200A
  EXPECT_EQ(js_trim("\x1Cx\x1F"), "\x1Cx\x1F");                      // not trimmed
  EXPECT_EQ(js_trim("\xE2\x80\x8Bx"), "\xE2\x80\x8Bx");              // U+200B is not
  EXPECT_EQ(js_trim("\xC2\x85x"), "\xC2\x85x");                      // U+0085 is not
  EXPECT_EQ(js_trim("   "), "");
}

TEST(JsText, LowercaseKeepsTheAsciiRelevantSpecialCases) {
  EXPECT_EQ(js_to_lower("ABC xyz"), "abc xyz");
  EXPECT_EQ(js_to_lower("\xE2\x84\xAA"), "k");                       // U+212A KELVIN SIGN
  EXPECT_EQ(js_to_lower("\xC4\xB0"), "i\xCC\x87");                   // U+0130
  EXPECT_EQ(js_to_lower("\xC3\x89T\xC3\x89"), "\xC3\xA9t\xC3\xA9");  // ÉTÉ
  EXPECT_EQ(js_to_lower("\xD0\x9F\xCE\xA3"), "\xD0\xBF\xCF\x83");    // П Σ
}

TEST(JsText, SliceCountsUtf16Units) {
  EXPECT_EQ(js_slice_utf16("abcdef", 3), "abc");
  EXPECT_EQ(js_slice_utf16("\xC3\xA9\xC3\xA9", 1), "\xC3\xA9");
  EXPECT_EQ(js_slice_utf16("a\xF0\x9F\x98\x80", 3), "a\xF0\x9F\x98\x80");
  EXPECT_EQ(js_slice_utf16("a\xF0\x9F\x98\x80"
                           "b",
                           1),
            "a");
  EXPECT_EQ(js_slice_utf16("a\xF0\x9F\x98\x80", 2), std::nullopt);  // would split the pair
  EXPECT_EQ(ascii_lower("AbC\xC3\x89"), "abc\xC3\x89");
}

}  // namespace
}  // namespace b2b::identity
