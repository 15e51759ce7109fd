// Issue 8 §4: keys for which "any signature verifies" or "anyone can open the box" are
// refused — the known small-order Ed25519 and X25519 encodings, canonical and not, at the
// crypto layer, at registration (§2.2 step 6) and for a DM's sender_eph_pub (§4.2 step 8).
#include <gtest/gtest.h>
#include <sodium.h>
#include <boost/json/parse.hpp>

#include <string>
#include <vector>

#include "core/base64.h"
#include "identity/crypto.h"
#include "identity/dm_validation.h"
#include "identity/registration.h"
#include "identity/signing_texts.h"

namespace b2b::identity {
namespace {

std::string from_hex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  std::size_t len = 0;
  EXPECT_EQ(sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                           hex.size(), nullptr, &len, nullptr),
            0);
  EXPECT_EQ(len, 32u);
  return out;
}

// The eight points of order 1, 2, 4 and 8 on Ed25519, then non-canonical encodings (sign bit
// on an x = 0 point, y >= p) of some of them; y = 2 is no point of the main subgroup.
const std::vector<std::string_view> kBadEd25519 = {
    "0100000000000000000000000000000000000000000000000000000000000000",  // identity, order 1
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = -1, order 2
    "0000000000000000000000000000000000000000000000000000000000000000",  // y = 0, order 4
    "0000000000000000000000000000000000000000000000000000000000000080",  // y = 0, x < 0
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",  // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",  // order 8
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",  // order 8
    "0100000000000000000000000000000000000000000000000000000000000080",  // y = 1, sign bit
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  // y = -1, sign bit
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // y = p + 1
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  // y = p, sign bit
    "0200000000000000000000000000000000000000000000000000000000000000",  // y = 2
};

// libsodium's list of small-order X25519 u-coordinates (0, 1, the two of order 8, p - 1, and
// p, p + 1 as non-canonical 0 and 1), the same with the ignored top bit set, and p + 2
// (non-canonical 2, not of small order but never produced by a real key).
const std::vector<std::string_view> kBadX25519 = {
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "0100000000000000000000000000000000000000000000000000000000000080",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f11d7",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
};

SigningKeyPair test_signing_key() {
  return *signing_key_from_seed(std::string(32, '\x07'));
}

std::string test_box_pub() {
  return *x25519_public_from_secret(std::string(32, '\x2a'));
}

TEST(LowOrderKeys, SmallOrderAndNonCanonicalEd25519KeysAreRefused) {
  for (std::string_view hex : kBadEd25519) {
    EXPECT_FALSE(is_acceptable_sign_pub(from_hex(hex))) << hex;
  }
  EXPECT_TRUE(is_acceptable_sign_pub(test_signing_key().public_key));
}

TEST(LowOrderKeys, MixedOrderEd25519KeyIsRefused) {
  // A real key plus a point of order 8: on the curve, not small order, but outside the
  // prime-order subgroup, so signatures under it are ambiguous between verifiers.
  std::string mixed(32, '\0');
  const std::string pub = test_signing_key().public_key;
  const std::string torsion = from_hex(kBadEd25519[4]);
  ASSERT_EQ(crypto_core_ed25519_add(reinterpret_cast<unsigned char*>(mixed.data()),
                                    reinterpret_cast<const unsigned char*>(pub.data()),
                                    reinterpret_cast<const unsigned char*>(torsion.data())),
            0);
  EXPECT_FALSE(is_acceptable_sign_pub(mixed));
}

TEST(LowOrderKeys, NoSignatureVerifiesUnderASmallOrderKey) {
  // Under a small-order key A, the signature (R = A's multiple, S = 0) passes a lax verifier
  // for every message. Try the classic forgeries: R = identity or R = A, S = 0.
  for (std::string_view hex : kBadEd25519) {
    const std::string key = from_hex(hex);
    std::string r_identity(64, '\0');
    r_identity[0] = 1;
    const std::string r_key = key + std::string(32, '\0');
    for (const std::string& sig : {r_identity, r_key, std::string(64, '\0')}) {
      EXPECT_FALSE(
          verify_detached(core::base64_encode(key), "any message", core::base64_encode(sig)))
          << hex;
    }
  }
}

TEST(LowOrderKeys, SmallOrderAndNonCanonicalX25519KeysAreRefused) {
  for (std::string_view hex : kBadX25519) {
    EXPECT_FALSE(is_acceptable_box_pub(from_hex(hex))) << hex;
  }
  EXPECT_TRUE(is_acceptable_box_pub(test_box_pub()));
  EXPECT_FALSE(is_acceptable_box_pub(test_box_pub().substr(0, 31)));
  // The largest canonical u that is no small-order point: p - 2 (on the twist; harmless).
  EXPECT_TRUE(is_acceptable_box_pub(
      from_hex("ebffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")));
}

TEST(LowOrderKeys, KeysFromRealKeyPairsAreAccepted) {
  for (int i = 1; i <= 50; ++i) {
    const std::string seed(32, static_cast<char>(i));
    EXPECT_TRUE(is_acceptable_sign_pub(signing_key_from_seed(seed)->public_key)) << i;
    EXPECT_TRUE(is_acceptable_box_pub(*x25519_public_from_secret(seed))) << i;
  }
}

boost::json::object register_body(const std::string& box_pub, const std::string& sign_pub) {
  boost::json::object body;
  body["handle"] = "alice";
  body["box_pub"] = core::base64_encode(box_pub);
  body["sign_pub"] = core::base64_encode(sign_pub);
  return body;
}

constexpr std::string_view kStep6 =
    "box_pub and sign_pub must be strict canonical base64 of 32 bytes";

TEST(LowOrderKeys, RegistrationRefusesBadKeysWithTheStep6Text) {
  const std::string good_sign = test_signing_key().public_key;
  const std::string good_box = test_box_pub();
  ASSERT_TRUE(validate_register_keys(register_body(good_box, good_sign)));
  for (std::string_view hex : kBadEd25519) {
    auto r = validate_register_keys(register_body(good_box, from_hex(hex)));
    ASSERT_FALSE(r) << hex;
    EXPECT_EQ(r.error().error, kStep6);
  }
  for (std::string_view hex : kBadX25519) {
    auto r = validate_register_keys(register_body(from_hex(hex), good_sign));
    ASSERT_FALSE(r) << hex;
    EXPECT_EQ(r.error().error, kStep6);
    EXPECT_NE(r.error().detail.find("box_pub"), std::string::npos);
  }
}

TEST(LowOrderKeys, DmRefusesASmallOrderEphemeralKey) {
  boost::json::object body;
  body["ciphertext"] = core::base64_encode(std::string(40, 'c'));
  body["nonce"] = core::base64_encode(std::string(24, 'n'));
  body["sender_eph_pub"] = core::base64_encode(test_box_pub());
  ASSERT_TRUE(validate_dm_envelope(body));
  for (std::string_view hex : kBadX25519) {
    body["sender_eph_pub"] = core::base64_encode(from_hex(hex));
    auto r = validate_dm_envelope(body);
    ASSERT_FALSE(r) << hex;
    EXPECT_EQ(r.error().error, "sender_eph_pub must be strict canonical base64 of 32 bytes");
  }
}

}  // namespace
}  // namespace b2b::identity
