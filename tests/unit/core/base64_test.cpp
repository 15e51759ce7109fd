// ROOMS.md §1.2 strict base64 and §20.16 alphabet normalisation.
#include "core/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace b2b::core {
namespace {

TEST(StrictBase64, PaddingIsRequired) {
  EXPECT_EQ(strict_base64_decoded_size("QQ"), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QQ="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QQ=="), 1u);
  EXPECT_EQ(strict_base64_decoded_size("QUI"), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUI="), 2u);
  EXPECT_EQ(strict_base64_decoded_size("QUJD"), 3u);
}

TEST(StrictBase64, WrongPaddingIsRejected) {
  EXPECT_EQ(strict_base64_decoded_size("QQ==="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUJD===="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUI=="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUJD="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("Q==="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUJDQ==="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QQ==QQ=="), std::nullopt);  // '=' inside
  EXPECT_EQ(strict_base64_decoded_size("=="), std::nullopt);
}

TEST(StrictBase64, NonCanonicalTrailingBitsAreRejected) {
  EXPECT_EQ(strict_base64_decoded_size("QR=="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUJ="), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUJDQR=="), std::nullopt);
}

TEST(StrictBase64, EmptyAndForeignCharactersAreRejected) {
  EXPECT_EQ(strict_base64_decoded_size(""), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QU JD"), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUJD\n"), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QU.D"), std::nullopt);
  EXPECT_EQ(strict_base64_decoded_size("QUJ\xC3\xA9"), std::nullopt);
}

TEST(StrictBase64, BothAlphabetsAreAcceptedAndMayBeMixed) {
  const std::string bytes("\xfb\xff\xbf\xfb\xef", 5);
  EXPECT_EQ(base64_encode(bytes), "+/+/++8=");
  EXPECT_EQ(strict_base64_decode("+/+/++8="), bytes);
  EXPECT_EQ(strict_base64_decode("-_-_--8="), bytes);
  EXPECT_EQ(strict_base64_decode("+_-/+-8="), bytes);
}

TEST(StrictBase64, NonceAndSignatureLengths) {
  const std::string nonce = base64_encode(std::string(24, '\x07'));
  EXPECT_EQ(nonce.size(), 32u);
  EXPECT_EQ(strict_base64_decoded_size(nonce), 24u);

  const std::string sig = base64_encode(std::string(64, '\xee'));
  EXPECT_EQ(sig.size(), 88u);
  EXPECT_TRUE(sig.ends_with("=="));
  EXPECT_EQ(strict_base64_decoded_size(sig), 64u);
}

TEST(StrictBase64, DecodesAcrossInternalChunkBoundaries) {
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes.push_back(static_cast<char>(i * 7));
  const std::string b64 = base64_encode(bytes);  // 133336 chars, many chunks
  EXPECT_EQ(strict_base64_decoded_size(b64), bytes.size());
  EXPECT_EQ(strict_base64_decode(b64), bytes);

  std::string corrupt = b64;
  corrupt[50000] = '=';
  EXPECT_EQ(strict_base64_decoded_size(corrupt), std::nullopt);
}

TEST(StrictBase64, DecodeRejectsWhatSizeRejects) {
  EXPECT_EQ(strict_base64_decode("QR=="), std::nullopt);
  EXPECT_EQ(strict_base64_decode("QQ"), std::nullopt);
  EXPECT_EQ(strict_base64_decode(""), std::nullopt);
  EXPECT_EQ(strict_base64_decode("QQ=="), "A");
}

TEST(Base64Encode, StandardAndUrlSafeVariants) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("A"), "QQ==");
  EXPECT_EQ(base64_encode("AB"), "QUI=");
  EXPECT_EQ(base64url_encode_unpadded("A"), "QQ");
  EXPECT_EQ(base64url_encode_unpadded(std::string("\xfb\xff\xbf", 3)), "-_-_");
  EXPECT_EQ(base64url_encode_unpadded(std::string(32, '\0')).size(), 43u);  // box_pub
}

TEST(ToStandardAlphabet, RewritesUrlSafeCharactersOnly) {
  EXPECT_EQ(to_standard_alphabet("a-b_c+d/e=="), "a+b/c+d/e==");
  EXPECT_EQ(to_standard_alphabet(""), "");
}

}  // namespace
}  // namespace b2b::core
