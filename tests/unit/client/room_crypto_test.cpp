// CLIENT-PROTOCOL.md §1.3–§1.4 sealing (IDENTITY.md §8 vector) and §3.1 envelope detection.
#include "client/room_crypto.h"

#include <gtest/gtest.h>

#include "core/base64.h"
#include "test_bytes.h"

namespace b2b::client {
namespace {

using testing::byte_range;

TEST(RoomCrypto, SealMatchesTheSignedRoomMessageVector) {
  auto sealed = seal_text_with_nonce(byte_range(0x0a, 32), "hi room", byte_range(0x32, 24));
  EXPECT_EQ(sealed.nonce, "MjM0NTY3ODk6Ozw9Pj9AQUJDREVGR0hJ");
  EXPECT_EQ(sealed.ciphertext, "/VOrcf6aBM5u56A9AL3natWxoU4lJnw=");
  EXPECT_EQ(open_text(byte_range(0x0a, 32), sealed.ciphertext, sealed.nonce),
            std::optional<std::string>("hi room"));
}

TEST(RoomCrypto, RoundTripWithFreshNoncesAndPaddedStandardBase64) {
  std::string key = byte_range(1, 32);
  auto a = seal_text(key, "héllo 🌍");
  auto b = seal_text(key, "héllo 🌍");
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_EQ(a.nonce.size(), 32u);
  EXPECT_EQ(a.ciphertext.find_first_of("-_"), std::string::npos);
  EXPECT_EQ(open_text(key, a.ciphertext, a.nonce), std::optional<std::string>("héllo 🌍"));
  auto empty = seal_text(key, "");
  EXPECT_EQ(open_text(key, empty.ciphertext, empty.nonce), std::optional<std::string>(""));
}

TEST(RoomCrypto, AnyFailureIsUndecryptable) {
  std::string key = byte_range(1, 32);
  auto s = seal_text(key, "secret");
  EXPECT_EQ(open_text(byte_range(2, 32), s.ciphertext, s.nonce), std::nullopt);  // wrong key
  std::string tampered = s.ciphertext;
  tampered[0] = tampered[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(open_text(key, tampered, s.nonce), std::nullopt);
  EXPECT_EQ(open_text(key, "***", s.nonce), std::nullopt);
  EXPECT_EQ(open_text(key, s.ciphertext, "AAAA"), std::nullopt);
  EXPECT_EQ(open_text(key.substr(0, 31), s.ciphertext, s.nonce), std::nullopt);
  auto bad_utf8 = seal_text(key, std::string("\xff\xfe", 2));
  EXPECT_EQ(open_text(key, bad_utf8.ciphertext, bad_utf8.nonce), std::nullopt);
}

TEST(Envelopes, DetectsEachMarkerOnlyWhenLiterallyTrue) {
  EXPECT_EQ(envelope_kind(R"({"bot2bot_react_v1":true,"target_id":"x","emoji":"+","op":"add"})"),
            EnvelopeKind::kReact);
  EXPECT_EQ(envelope_kind(R"({"bot2bot_delete_v1":true,"target_id":"x"})"), EnvelopeKind::kDelete);
  EXPECT_EQ(envelope_kind(R"({"bot2bot_hist_req_v1":true,"req_id":"r","after":0})"),
            EnvelopeKind::kHistReq);
  EXPECT_EQ(envelope_kind(R"({"bot2bot_hist_resp_v1":true,"items":[]})"), EnvelopeKind::kHistResp);
  EXPECT_EQ(envelope_kind(R"({"bot2bot_adopt_v1":true})"), EnvelopeKind::kAdopt);
  // Adopt wins when markers are combined (the reference's test order).
  EXPECT_EQ(envelope_kind(R"({"bot2bot_react_v1":true,"bot2bot_adopt_v1":true})"),
            EnvelopeKind::kAdopt);

  EXPECT_FALSE(is_envelope(R"({"bot2bot_react_v1":"true"})"));
  EXPECT_FALSE(is_envelope(R"({"bot2bot_react_v1":1})"));
  EXPECT_FALSE(is_envelope(R"( {"bot2bot_react_v1":true})"));
  EXPECT_FALSE(is_envelope("\xEF\xBB\xBF{\"bot2bot_react_v1\":true}"));
  EXPECT_FALSE(is_envelope(R"({"hello":"world"})"));
  EXPECT_FALSE(is_envelope(R"([{"bot2bot_react_v1":true}])"));
  EXPECT_FALSE(is_envelope(R"({"bot2bot_react_v1":true)"));
  EXPECT_FALSE(is_envelope("plain text"));
  EXPECT_FALSE(is_envelope(""));
}

}  // namespace
}  // namespace b2b::client
