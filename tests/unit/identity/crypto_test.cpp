// IDENTITY.md §1.4 primitives, §8 keys and the DM / room vectors opened with libsodium.
#include "identity/crypto.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "core/base64.h"
#include "vectors.h"

namespace b2b::identity {
namespace {

using namespace vectors;

const unsigned char* u(const std::string& s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

TEST(Crypto, Sha256HexIsLowercase) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, VectorKeysDeriveFromTheirSeeds) {
  EXPECT_EQ(core::base64_encode(signing_key_from_seed(byte_run(0x00, 32))->public_key),
            kAliceSignPub);
  EXPECT_EQ(core::base64_encode(signing_key_from_seed(byte_run(0x40, 32))->public_key),
            kBobSignPub);
  EXPECT_EQ(core::base64_encode(*x25519_public_from_secret(byte_run(0x20, 32))), kAliceBoxPub);
  EXPECT_EQ(core::base64url_encode_unpadded(*x25519_public_from_secret(byte_run(0x20, 32))),
            "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ");
  EXPECT_EQ(core::base64_encode(*x25519_public_from_secret(byte_run(0x60, 32))), kBobBoxPub);
  EXPECT_EQ(core::base64_encode(*x25519_public_from_secret(byte_run(0x80, 32))), kDmEphPub);
  EXPECT_EQ(x25519_public_from_secret("short"), std::nullopt);
}

TEST(Crypto, DmVectorOpensWithAlicesBoxKey) {
  const std::string ct = *core::strict_base64_decode(kDmCiphertext);
  const std::string nonce = *core::strict_base64_decode(kDmNonce);
  const std::string eph_pub = *core::strict_base64_decode(kDmEphPub);
  ASSERT_EQ(nonce, byte_run(0xc8, 24));
  const std::string alice_box_sk = byte_run(0x20, 32);
  std::string plain(ct.size() - crypto_box_MACBYTES, '\0');
  ASSERT_EQ(crypto_box_open_easy(reinterpret_cast<unsigned char*>(plain.data()), u(ct), ct.size(),
                                 u(nonce), u(eph_pub), u(alice_box_sk)),
            0);
  EXPECT_EQ(plain, "hello alice");
}

TEST(Crypto, RoomVectorOpensWithTheFragmentKey) {
  const std::string key = byte_run(0x0a, 32);
  EXPECT_EQ(core::base64url_encode_unpadded(key), "CgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCk");
  const std::string nonce = *core::strict_base64_decode(kRoomNonce);
  ASSERT_EQ(nonce, byte_run(0x32, 24));
  const std::string ct = *core::strict_base64_decode(kRoomCiphertext);
  std::string plain(ct.size() - crypto_secretbox_MACBYTES, '\0');
  ASSERT_EQ(crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), u(ct),
                                       ct.size(), u(nonce), u(key)),
            0);
  EXPECT_EQ(plain, "hi room");
  EXPECT_EQ(core::base64url_encode_unpadded(byte_run(0x12, 18)), kRoomSenderNonce);
  EXPECT_EQ(core::base64url_encode_unpadded(byte_run(0x00, 18)), kT2Nonce);
}

TEST(Crypto, SignAndVerifyRoundTrip) {
  const auto key = signing_key_from_seed(byte_run(0x00, 32));
  const std::string sig = core::base64_encode(sign_detached(*key, kT1));
  EXPECT_EQ(sig, kT1Sig);  // Ed25519 is deterministic
  EXPECT_TRUE(verify_detached(kAliceSignPub, kT1, sig));
  EXPECT_FALSE(verify_detached(kAliceSignPub, std::string(kT1) + " ", sig));
}

TEST(Crypto, NonCanonicalEncodingsAreRefused) {
  // URL-safe alphabet with padding is canonical (§1.3) ...
  std::string url_sig(kT1Sig);
  for (char& c : url_sig) c = c == '+' ? '-' : c == '/' ? '_' : c;
  EXPECT_TRUE(verify_detached(kAliceSignPub, kT1, url_sig));
  // ... but unpadded, whitespace or wrong lengths are not.
  EXPECT_FALSE(verify_detached(kAliceSignPub, kT1, kT1Sig.substr(0, 86)));
  EXPECT_FALSE(verify_detached(kAliceSignPub, kT1, std::string(kT1Sig) + "\n"));
  EXPECT_FALSE(verify_detached(std::string(kAliceSignPub).substr(0, 43), kT1, kT1Sig));
  EXPECT_FALSE(verify_detached(kAliceSignPub, kT1, core::base64_encode(std::string(63, 'x'))));
}

TEST(Crypto, MalleatedSignatureWithSPlusLIsRefused) {
  std::string sig = *core::strict_base64_decode(kT1Sig);
  // Add L = 2^252 + 27742317777372353535851937790883648493 to S (little-endian, bytes 32..63).
  static const unsigned char kL[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
                                       0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                       0,    0,    0,    0,    0,    0,    0,    0,
                                       0,    0,    0,    0,    0,    0,    0,    0x10};
  unsigned carry = 0;
  for (int i = 0; i < 32; ++i) {
    const unsigned sum = static_cast<unsigned char>(sig[32 + i]) + kL[i] + carry;
    sig[32 + i] = static_cast<char>(sum & 0xFF);
    carry = sum >> 8;
  }
  EXPECT_FALSE(verify_detached(kAliceSignPub, kT1, core::base64_encode(sig)));
}

TEST(Crypto, AllZeroAndSmallOrderKeysAreRefused) {
  const std::string zero(32, '\0');
  EXPECT_FALSE(is_acceptable_sign_pub(zero));
  // The identity point (y = 1) and the order-2 point (y = -1): small order.
  std::string identity_point(32, '\0');
  identity_point[0] = 1;
  EXPECT_FALSE(is_acceptable_sign_pub(identity_point));
  std::string order_two(32, '\xff');
  order_two[0] = '\xec';
  order_two[31] = '\x7f';
  EXPECT_FALSE(is_acceptable_sign_pub(order_two));
  EXPECT_TRUE(is_acceptable_sign_pub(*core::strict_base64_decode(kAliceSignPub)));

  // A signature made of the identity point R and S = 0 "verifies" any message under the
  // identity key in lax verifiers; we refuse the key outright.
  std::string forged(64, '\0');
  forged[0] = 1;
  EXPECT_FALSE(verify_detached(core::base64_encode(identity_point), "anything",
                               core::base64_encode(forged)));
  EXPECT_FALSE(verify_detached(core::base64_encode(zero), "anything",
                               core::base64_encode(std::string(64, '\0'))));
}

}  // namespace
}  // namespace b2b::identity
