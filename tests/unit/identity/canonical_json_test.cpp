// IDENTITY.md §3.2 canonical JSON.
#include "identity/canonical_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "identity/crypto.h"
#include "vectors.h"

namespace b2b::identity {
namespace {

std::string canon(std::string_view json) {
  return canonical_json(boost::json::parse(json));
}

TEST(CanonicalJson, ProfileVectorIsByteExact) {
  const std::string out = canonical_json(vectors::alice_profile());
  EXPECT_EQ(out, vectors::kProfileCanonical);
  EXPECT_EQ(sha256_hex(out), vectors::kProfileHash);
}

TEST(CanonicalJson, KeysSortedNoWhitespaceArraysKeepOrder) {
  EXPECT_EQ(canon(R"({ "b" : [3, 1, 2], "a" : {"z": null, "y": true}, "A": false })"),
            R"({"A":false,"a":{"y":true,"z":null},"b":[3,1,2]})");
  EXPECT_EQ(canon("[]"), "[]");
  EXPECT_EQ(canon("{}"), "{}");
}

TEST(CanonicalJson, KeysCompareByUtf16CodeUnits) {
  // U+FF61 (0xFF61) sorts after U+1F600 (0xD83D 0xDE00) in UTF-16 but before it in UTF-8.
  const std::string out = canon("{\"\xEF\xBD\xA1\":1,\"\xF0\x9F\x98\x80\":2}");
  EXPECT_EQ(out, "{\"\xF0\x9F\x98\x80\":2,\"\xEF\xBD\xA1\":1}");
  EXPECT_TRUE(utf16_less("\xF0\x9F\x98\x80", "\xEF\xBD\xA1"));
}

TEST(CanonicalJson, StringEscapingFollowsJsonStringify) {
  EXPECT_EQ(canon(R"("quote\" back\\ slash/")"), R"("quote\" back\\ slash/")");
  EXPECT_EQ(canon(R"("\b\f\n\r\t")"), R"("\b\f\n\r\t")");
  EXPECT_EQ(canon(R"("\u0000\u0001\u001f\u000b")"), R"("\u0000\u0001\u001f\u000b")");
  EXPECT_EQ(canon(R"("\u001F")"), R"("\u001f")");                         // lowercase hex
  EXPECT_EQ(canon(R"("\u007f")"), "\"\x7f\"");                            // DEL raw
  EXPECT_EQ(canon(R"("\u2028\u2029")"), "\"\xE2\x80\xA8\xE2\x80\xA9\"");  // raw
  EXPECT_EQ(canon(R"("\u00e9\ud83d\ude00")"), "\"\xC3\xA9\xF0\x9F\x98\x80\"");
  EXPECT_EQ(canon(R"("\/")"), R"("/")");
}

TEST(CanonicalJson, NumbersAsJavaScriptPrintsThem) {
  EXPECT_EQ(canon("[1767225600000, 1767225600000.0, -5, 0, -0.0]"),
            "[1767225600000,1767225600000,-5,0,0]");
  EXPECT_EQ(canon("[1.5, 0.1, 1e21, 1e-7, 123e-20, 18446744073709551615]"),
            "[1.5,0.1,1e+21,1e-7,1.23e-18,18446744073709552000]");
}

}  // namespace
}  // namespace b2b::identity
