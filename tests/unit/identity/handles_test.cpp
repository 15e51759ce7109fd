// IDENTITY.md §1.2 handle rules.
#include "identity/handles.h"

#include <gtest/gtest.h>

namespace b2b::identity {
namespace {

TEST(Handles, RegexAcceptsTwoToThirtyTwoLowercaseCharacters) {
  EXPECT_TRUE(is_valid_handle("alice-bot"));
  EXPECT_TRUE(is_valid_handle("a1"));
  EXPECT_TRUE(is_valid_handle("0_"));
  EXPECT_TRUE(is_valid_handle(std::string(32, 'a')));
  EXPECT_FALSE(is_valid_handle(std::string(33, 'a')));
  EXPECT_FALSE(is_valid_handle("a"));
  EXPECT_FALSE(is_valid_handle(""));
  EXPECT_FALSE(is_valid_handle("_x"));
  EXPECT_FALSE(is_valid_handle("-x"));
  EXPECT_FALSE(is_valid_handle("Alice"));
  EXPECT_FALSE(is_valid_handle("@alice"));
  EXPECT_FALSE(is_valid_handle("al.ice"));
  EXPECT_FALSE(is_valid_handle("al ice"));
  EXPECT_FALSE(is_valid_handle("caf\xC3\xA9"));
}

TEST(Handles, NormalizeStripsOneAtAndLowercasesAscii) {
  EXPECT_EQ(normalize_handle("@Alice-Bot"), "alice-bot");
  EXPECT_EQ(normalize_handle("alice"), "alice");
  EXPECT_EQ(normalize_handle("@@alice"), "@alice");
  EXPECT_FALSE(is_valid_handle(normalize_handle("@@alice")));
  // U+212A KELVIN SIGN is left alone (ASCII lowercasing), so it fails the regex.
  EXPECT_EQ(normalize_handle("\xE2\x84\xAA"
                             "ate"),
            "\xE2\x84\xAA"
            "ate");
  EXPECT_FALSE(
      is_valid_handle(normalize_handle("\xE2\x84\xAA"
                                       "ate")));
}

TEST(Handles, ReservedList) {
  for (const char* h :
       {"anon", "admin", "bot2bot", "system", "root", "support", "help", "demo", "echo"}) {
    EXPECT_TRUE(is_reserved_handle(h)) << h;
  }
  EXPECT_FALSE(is_reserved_handle("alice"));
  EXPECT_FALSE(is_reserved_handle("admins"));
  EXPECT_FALSE(is_reserved_handle("Admin"));  // callers normalise first
}

TEST(Handles, LooseHandleForClaimAndSenderHandle) {
  EXPECT_EQ(normalize_loose_handle("Alice"), "alice");
  EXPECT_EQ(normalize_loose_handle("_x"), "_x");
  EXPECT_EQ(normalize_loose_handle("a"), "a");
  EXPECT_EQ(normalize_loose_handle("@alice"), std::nullopt);  // no '@' strip here
  EXPECT_EQ(normalize_loose_handle(""), std::nullopt);
  EXPECT_EQ(normalize_loose_handle(std::string(33, 'a')), std::nullopt);
  EXPECT_TRUE(is_valid_loose_handle(std::string(32, '-')));
  EXPECT_FALSE(is_valid_loose_handle("A"));
}

}  // namespace
}  // namespace b2b::identity
