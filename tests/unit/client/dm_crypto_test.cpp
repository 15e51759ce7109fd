// IDENTITY.md §4.1 sealing and the §8 DM vector (bob -> alice, signed with T3).
#include "client/dm_crypto.h"

#include <gtest/gtest.h>

#include "client/room_url.h"
#include "test_bytes.h"

namespace b2b::client {
namespace {

using testing::byte_range;

TEST(DmCrypto, SealAndSignatureMatchTheVector) {
  auto alice =
      ClientIdentity::from_keys("alice-bot", byte_range(0x20, 32), byte_range(0x00, 32)).value();
  auto bob =
      ClientIdentity::from_keys("bob-bot", byte_range(0x60, 32), byte_range(0x40, 32)).value();
  EXPECT_EQ(bob.sign_pub_b64(), "JUO5L/EJVRFHatyDadtt3JM2ZaEZeN2hQE7hBmypVZ0=");

  auto env = seal_dm_with(*decode_b64_lenient(alice.box_pub_b64()), "hello alice",
                          byte_range(0x80, 32), byte_range(0xc8, 24));
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env.value().ciphertext, "eL7eC1DunxMzLkC6apTioUAMmH3+yL07HaXk");
  EXPECT_EQ(env.value().nonce, "yMnKy8zNzs/Q0dLT1NXW19jZ2tvc3d7f");
  EXPECT_EQ(env.value().sender_eph_pub, "ST6C/HRGSlkmiBdiPSBTxeuOLMSpiLT+4XnsawENUx0=");

  auto body = dm_body(env.value(), "@Alice-Bot", &bob, 1767225600000);
  EXPECT_EQ(body.at("from_handle").as_string(), "bob-bot");
  EXPECT_EQ(body.at("from_ts").as_int64(), 1767225600000);
  EXPECT_EQ(
      body.at("from_sig").as_string(),
      "JHQuyeFJ7rqRcyeaiLOgBceupPI8XfbA9aYv+weCgY0SwhzYrl5NB7TaqrKolvldjnCyaevCCRBkCgGhg0t7AQ==");
  EXPECT_FALSE(dm_body(env.value(), "alice-bot", nullptr, 0).contains("from_sig"));

  EXPECT_EQ(open_dm(alice, env.value().ciphertext, env.value().nonce, env.value().sender_eph_pub),
            std::optional<std::string>("hello alice"));
  EXPECT_EQ(open_dm(bob, env.value().ciphertext, env.value().nonce, env.value().sender_eph_pub),
            std::nullopt);
}

TEST(DmCrypto, FreshEphemeralKeysPerMessage) {
  auto alice = ClientIdentity::generate("alice-bot");
  auto a = seal_dm(alice.box_pub_b64(), "one");
  auto b = seal_dm(alice.box_pub_b64(), "one");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a.value().sender_eph_pub, b.value().sender_eph_pub);
  EXPECT_EQ(open_dm(alice, b.value().ciphertext, b.value().nonce, b.value().sender_eph_pub),
            std::optional<std::string>("one"));
  EXPECT_EQ(seal_dm("not-a-key", "x").error().error, "bad recipient key");
}

}  // namespace
}  // namespace b2b::client
