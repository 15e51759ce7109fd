// IDENTITY.md §8 vectors through the client's signing helpers, and the identity file
// (§2.6 browser export format, written 0600).
#include "client/client_identity.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>

#include "core/base64.h"
#include "test_bytes.h"

namespace b2b::client {
namespace {

using testing::byte_range;
constexpr int64_t kTs = 1767225600000;

ClientIdentity alice() {
  return ClientIdentity::from_keys("alice-bot", byte_range(0x20, 32), byte_range(0x00, 32)).value();
}

TEST(ClientIdentity, DerivesThePublicKeysOfTheVectors) {
  auto a = alice();
  EXPECT_EQ(a.sign_pub_b64(), "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=");
  EXPECT_EQ(a.box_pub_b64(), "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ=");
  EXPECT_EQ(a.box_pub_b64url(), "NYBy1jZYgNGu6jKa35EhODhR7SGijjt16WXQ0s0WYlQ");
  EXPECT_FALSE(ClientIdentity::from_keys("x", "short", byte_range(0, 32)).ok());
}

TEST(ClientIdentity, AuthorizationHeaderMatchesTheT2Vector) {
  std::string nonce = core::base64url_encode_unpadded(byte_range(0x00, 18));
  EXPECT_EQ(nonce, "AAECAwQFBgcICQoLDA0ODxAR");
  EXPECT_EQ(authorization_header(alice(), "GET", "/api/dm/alice-bot/inbox/wait?after=0&timeout=30",
                                 kTs, nonce),
            "Bot2Bot ts=1767225600000,n=AAECAwQFBgcICQoLDA0ODxAR,sig=6AxSyyg9pYIRMZyoaLyC8Oj/"
            "3506zuK5kfshVQ+/1R/6ujqTojtr9M/R4wz8U7gbQatWEYsQ1ikM0ZyFL0qdBQ==");
}

TEST(ClientIdentity, RegisterBodyCarriesTheT1Signature) {
  auto body = register_body(alice(), kTs, std::string("Finds peers"));
  EXPECT_EQ(body.at("handle").as_string(), "alice-bot");
  EXPECT_EQ(body.at("register_ts").as_int64(), kTs);
  EXPECT_EQ(
      body.at("register_sig").as_string(),
      "MSzkzjteAx2yZ0Pxsdr8hxkNIz1J8Gabl+SViAOciiKCxru49M7x+8QfTqMTpF7DZsTTojPQWiEM3TGo8I0uCA==");
  EXPECT_EQ(body.at("meta").at("bio").as_string(), "Finds peers");
}

TEST(ClientIdentity, SignedRoomPostMatchesTheT4Vector) {
  std::string nonce = core::base64url_encode_unpadded(byte_range(0x12, 18));
  auto f = sign_room_post(alice(), "ROOM1234", "/VOrcf6aBM5u56A9AL3natWxoU4lJnw=", kTs, nonce);
  EXPECT_EQ(f.sender_handle, "alice-bot");
  EXPECT_EQ(f.sender_ts, kTs);
  EXPECT_EQ(f.sender_nonce, "EhMUFRYXGBkaGxwdHh8gISIj");
  EXPECT_EQ(
      f.sender_sig,
      "JZRyWKgViduQKV/8LSKajCV7U93TWRceCd3fcZLjK3G9TfFblxk53prHgcW+CD6lOsWoilFVZY4IK906UcfPDA==");
}

TEST(ClientIdentity, RandomNoncesAre24CharsOfBase64url) {
  auto n = random_nonce();
  EXPECT_EQ(n.size(), 24u);
  EXPECT_NE(n, random_nonce());
}

class IdentityFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("b2b-id-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(IdentityFile, RoundTripsAndIsWrittenOwnerOnly) {
  auto path = (dir_ / "nested" / "identity.json").string();
  auto id = ClientIdentity::generate("round-trip");
  ASSERT_TRUE(save_identity_file(path, id).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto loaded = load_identity_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().detail;
  EXPECT_EQ(loaded.value().handle(), "round-trip");
  EXPECT_EQ(loaded.value().box_sk(), id.box_sk());
  EXPECT_EQ(loaded.value().sign_seed(), id.sign_seed());
  EXPECT_EQ(loaded.value().sign_pub_b64(), id.sign_pub_b64());

  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(text.find("\"bot2bot_identity_v1\":true"), std::string::npos);
  EXPECT_NE(text.find("\"box_sk_b64u\""), std::string::npos);
  EXPECT_NE(text.find("\"sign_seed_b64u\""), std::string::npos);
}

TEST_F(IdentityFile, ReplacingKeepsOwnerOnlyModeEvenOverLooserLeftovers) {
  std::filesystem::create_directories(dir_);
  auto path = (dir_ / "identity.json").string();
  // The temp file a crashed save of this process would have left behind.
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::ofstream(tmp) << "stale";
  ::chmod(tmp.c_str(), 0644);
  ASSERT_TRUE(save_identity_file(path, ClientIdentity::generate("first")).ok());
  ASSERT_TRUE(save_identity_file(path, ClientIdentity::generate("second")).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(load_identity_file(path).value().handle(), "second");
  EXPECT_FALSE(std::filesystem::exists(tmp));
}

TEST_F(IdentityFile, ReadsTheBrowserExportFormatAndRefusesBrokenFiles) {
  std::filesystem::create_directories(dir_);
  auto path = (dir_ / "export.json").string();
  std::ofstream(path) << boost::json::serialize(identity_to_json(alice()));
  auto loaded = load_identity_file(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value().sign_pub_b64(), "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=");

  EXPECT_EQ(load_identity_file((dir_ / "missing.json").string()).error().error, "no identity");
  std::ofstream(path) << "not json";
  EXPECT_EQ(load_identity_file(path).error().error, "bad identity file");
  std::ofstream(path) << R"({"handle":"alice-bot","box_sk_b64u":"AAAA"})";
  EXPECT_EQ(load_identity_file(path).error().error, "bad identity file");
  std::ofstream(path) << R"({"handle":"Bad Handle","box_sk_b64u":"","sign_seed_b64u":""})";
  EXPECT_EQ(load_identity_file(path).error().error, "bad identity file");
}

}  // namespace
}  // namespace b2b::client
