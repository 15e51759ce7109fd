// ROOMS.md §1.3–§1.5, §2.1 and §20.23 string rules.
#include "core/text_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace b2b::core {
namespace {

const std::string kEmoji = "\xF0\x9F\x98\x80";  // U+1F600, 2 UTF-16 units
const std::string kRlo = "\xE2\x80\xAE";        // U+202E RIGHT-TO-LEFT OVERRIDE

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(Utf16Length, CountsAstralCharactersTwice) {
  EXPECT_EQ(utf16_length(""), 0u);
  EXPECT_EQ(utf16_length("abc"), 3u);
  EXPECT_EQ(utf16_length("\xC3\xA9"), 1u);      // é
  EXPECT_EQ(utf16_length("\xE2\x82\xAC"), 1u);  // €
  EXPECT_EQ(utf16_length(kEmoji), 2u);
  EXPECT_EQ(utf16_length(repeat(kEmoji, 32)), 64u);
}

TEST(Utf16Length, MalformedBytesCountOneEach) {
  EXPECT_EQ(utf16_length("\xFF\xFE"), 2u);
  EXPECT_EQ(utf16_length("\xF0\x9F"), 2u);  // truncated 4-byte sequence
}

TEST(TruncateUtf16, KeepsWholeCodePoints) {
  EXPECT_EQ(truncate_utf16("abcdef", 4), "abcd");
  EXPECT_EQ(truncate_utf16("abc", 64), "abc");
  EXPECT_EQ(truncate_utf16("a" + kEmoji, 2), "a");  // the pair would straddle the limit
  EXPECT_EQ(truncate_utf16("a" + kEmoji, 3), "a" + kEmoji);
  EXPECT_EQ(truncate_utf16("\xC3\xA9\xC3\xA9", 1), "\xC3\xA9");
}

TEST(RoomId, RegexBounds) {
  EXPECT_TRUE(is_valid_room_id("abcd"));
  EXPECT_TRUE(is_valid_room_id("ABCD"));
  EXPECT_TRUE(is_valid_room_id("a-b_C9x2"));
  EXPECT_TRUE(is_valid_room_id(std::string(64, 'x')));
  EXPECT_FALSE(is_valid_room_id("abc"));
  EXPECT_FALSE(is_valid_room_id(std::string(65, 'x')));
  EXPECT_FALSE(is_valid_room_id("bad/slash"));
  EXPECT_FALSE(is_valid_room_id("has space"));
  EXPECT_FALSE(is_valid_room_id("abc\xC3\xA9"));
  EXPECT_FALSE(is_valid_room_id(""));
}

TEST(PresenceName, AcceptsAllowedCharacters) {
  EXPECT_EQ(normalize_presence_name("claude-opus"), "claude-opus");
  EXPECT_EQ(normalize_presence_name("a@b.c_d-e"), "a@b.c_d-e");
  EXPECT_EQ(normalize_presence_name("Jos\xC3\xA9"), "Jos\xC3\xA9");
  EXPECT_EQ(normalize_presence_name("\xC2\xA0"), "\xC2\xA0");          // U+00A0 is the lower bound
  EXPECT_EQ(normalize_presence_name("bot" + kEmoji), "bot" + kEmoji);  // astral allowed
}

TEST(PresenceName, TruncatesTo64UnitsInsteadOfRejecting) {
  const std::string name(100, 'n');
  EXPECT_EQ(normalize_presence_name(name), std::string(64, 'n'));
  EXPECT_EQ(normalize_presence_name(repeat(kEmoji, 40)), repeat(kEmoji, 32));
  // Only the first 64 units are checked: a bad character after them is cut off.
  EXPECT_EQ(normalize_presence_name(std::string(64, 'n') + " <x>"), std::string(64, 'n'));
  // A pair straddling unit 64 is dropped whole.
  EXPECT_EQ(normalize_presence_name("a" + repeat(kEmoji, 32)), "a" + repeat(kEmoji, 31));
}

TEST(PresenceName, RejectsPunctuationSpaceAndEmpty) {
  for (const char* bad : {"has space", "<b>", "a>b", "a:b", "it's", "say\"hi\"", "a/b", "a,b",
                          "tab\there", "a\x7f", "", "\xC2\x85"}) {
    EXPECT_EQ(normalize_presence_name(bad), std::nullopt) << bad;
  }
}

TEST(PresenceName, RejectsBidiControls) {
  EXPECT_EQ(normalize_presence_name("evil" + kRlo + "gpj.exe"), std::nullopt);
  for (const char* bidi : {"\xD8\x9C", "\xE2\x80\x8E", "\xE2\x80\x8F", "\xE2\x80\xAA",
                           "\xE2\x81\xA6", "\xE2\x81\xA9"}) {
    EXPECT_EQ(normalize_presence_name(std::string("ab") + bidi), std::nullopt);
  }
  EXPECT_EQ(normalize_presence_name("ab\xE2\x80\xA9"), "ab\xE2\x80\xA9");  // U+2029 not bidi
}

TEST(PresenceName, RejectsMalformedUtf8) {
  EXPECT_EQ(normalize_presence_name("ab\xFF"), std::nullopt);
  EXPECT_EQ(normalize_presence_name("ab\xC0\xAF"), std::nullopt);      // overlong '/'
  EXPECT_EQ(normalize_presence_name("ab\xED\xA0\x80"), std::nullopt);  // surrogate
}

TEST(BoxPub, UnpaddedUrlSafe43CharsIsValid) {
  const std::string key = std::string(42, 'A') + "_";
  ASSERT_EQ(key.size(), 43u);
  EXPECT_TRUE(is_valid_box_pub(key));
  EXPECT_TRUE(is_valid_box_pub(std::string(40, '-') + "abc"));
}

TEST(BoxPub, PaddedStandard44CharsIsValid) {
  EXPECT_TRUE(is_valid_box_pub(std::string(42, 'A') + "/="));
}

TEST(BoxPub, WrongDecodedLengthIsInvalid) {
  EXPECT_FALSE(is_valid_box_pub(std::string(44, 'A')));         // 33 bytes
  EXPECT_FALSE(is_valid_box_pub(std::string(42, 'A')));         // 31 bytes
  EXPECT_FALSE(is_valid_box_pub(std::string(42, 'A') + "=A"));  // stops at '='
}

TEST(BoxPub, LengthMustBe40To64) {
  EXPECT_FALSE(is_valid_box_pub(""));
  EXPECT_FALSE(is_valid_box_pub(std::string(39, 'A')));
  // Skipped characters count towards the length but not the key.
  EXPECT_TRUE(is_valid_box_pub(std::string(43, 'A') + std::string(21, ' ')));   // 64
  EXPECT_FALSE(is_valid_box_pub(std::string(43, 'A') + std::string(22, ' ')));  // 65
  EXPECT_TRUE(is_valid_box_pub(std::string(21, 'A') + "." + std::string(22, 'A')));
}

TEST(CleanLabel, AllowsOrdinaryTextAndEmoji) {
  EXPECT_TRUE(is_clean_label(""));
  EXPECT_TRUE(is_clean_label("research-bot <v2> \"quoted\" & 'x'"));
  EXPECT_TRUE(is_clean_label("J\xC3\xA9r\xC3\xB4me " + kEmoji));
  EXPECT_TRUE(is_clean_label("\xC2\xA0"));
}

TEST(CleanLabel, RejectsControlsAndBidi) {
  EXPECT_FALSE(is_clean_label(std::string("a\0b", 3)));
  EXPECT_FALSE(is_clean_label("line\nbreak"));
  EXPECT_FALSE(is_clean_label("tab\t"));
  EXPECT_FALSE(is_clean_label("del\x7f"));
  EXPECT_FALSE(is_clean_label("c1\xC2\x85"));  // U+0085 NEL
  EXPECT_FALSE(is_clean_label("c1\xC2\x9F"));
  EXPECT_FALSE(is_clean_label("x" + kRlo));
  EXPECT_FALSE(is_clean_label("x\xE2\x81\xA8"));  // U+2068 FSI
  EXPECT_FALSE(is_clean_label("bad\xFF"));
}

}  // namespace
}  // namespace b2b::core
