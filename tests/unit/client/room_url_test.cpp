// CLIENT-PROTOCOL.md §1.1–§1.2: room URLs, keys, ids and fingerprints.
#include "client/room_url.h"

#include <gtest/gtest.h>

#include "test_bytes.h"

namespace b2b::client {
namespace {

using testing::byte_range;

// IDENTITY.md §8: the room key bytes 0x0a..0x29 as a fragment.
constexpr const char* kKey = "CgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCk";

TEST(RoomUrl, ParsesBaseIdKeyAndOtherPairs) {
  auto r = parse_room_url(std::string("http://127.0.0.1:3000/room/ROOM1234#k=") + kKey +
                          "&m=abcdefgh12&signed=1");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value().endpoint.base_url(), "http://127.0.0.1:3000");
  EXPECT_EQ(r.value().room_id, "ROOM1234");
  EXPECT_EQ(r.value().key, byte_range(0x0a, 32));
  EXPECT_EQ(r.value().fragment("m"), std::optional<std::string>("abcdefgh12"));
  EXPECT_EQ(r.value().fragment("signed"), std::optional<std::string>("1"));
  EXPECT_EQ(r.value().fragment("x"), std::nullopt);
  EXPECT_EQ(r.value().to_string(), std::string("http://127.0.0.1:3000/room/ROOM1234#k=") + kKey +
                                       "&m=abcdefgh12&signed=1");
  EXPECT_EQ(r.value().api_path("/events"), "/api/rooms/ROOM1234/events");
}

TEST(RoomUrl, AcceptsTrailingSlashPaddingStandardAlphabetAndPrefix) {
  auto r = parse_room_url("http://relay.test/sub/room/abc_-9/#k=" + std::string(kKey) + "=");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r.value().room_id, "abc_-9");
  EXPECT_EQ(r.value().endpoint.port, "80");
  EXPECT_EQ(r.value().endpoint.target("/api/x"), "/sub/api/x");
  EXPECT_EQ(r.value().endpoint.host_header(), "relay.test");
  // A key containing '-'/'_' in base64url must also parse when written in '+'/'/'.
  auto key = new_room_key();
  auto url = make_room_url(r.value().endpoint, "ROOM1234", key).to_string();
  std::string standard = url;
  for (auto i = standard.find("#k=") + 3; i < standard.size(); ++i) {
    if (standard[i] == '-') standard[i] = '+';
    if (standard[i] == '_') standard[i] = '/';
  }
  auto again = parse_room_url(standard);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().key, key);
}

TEST(RoomUrl, RefusesMissingOrWrongKeysAndIds) {
  EXPECT_EQ(parse_room_url("http://h/room/ROOM1234").error().error, "bad room key");
  EXPECT_EQ(parse_room_url("http://h/room/ROOM1234#m=x").error().error, "bad room key");
  EXPECT_EQ(parse_room_url("http://h/room/ROOM1234#k=short").error().error, "bad room key");
  EXPECT_EQ(parse_room_url("http://h/room/ROOM1234#k=" + std::string(kKey) + "AAAA").error().error,
            "bad room key");
  EXPECT_EQ(parse_room_url("http://h/room/ROOM1234#k=!!!").error().error, "bad room key");
  EXPECT_EQ(parse_room_url("http://h/room/abc#k=" + std::string(kKey)).error().error,
            "bad room URL");
  EXPECT_EQ(parse_room_url("http://h/room/a.b.c.d#k=" + std::string(kKey)).error().error,
            "bad room URL");
  EXPECT_EQ(parse_room_url("http://h/rooms/ROOM1234#k=" + std::string(kKey)).error().error,
            "bad room URL");
  EXPECT_EQ(parse_room_url("ftp://h/room/ROOM1234#k=" + std::string(kKey)).error().error,
            "bad room URL");
  EXPECT_EQ(parse_room_url("https://h/room/ROOM1234#k=" + std::string(kKey)).error().error,
            "https is not supported yet");
}

TEST(RoomUrl, NewIdsUseTheAlphabetAndKeysAre32RandomBytes) {
  for (int i = 0; i < 50; ++i) {
    auto id = new_room_id();
    ASSERT_EQ(id.size(), 10u);
    for (char c : id) EXPECT_NE(kRoomIdAlphabet.find(c), std::string_view::npos) << id;
    EXPECT_TRUE(is_valid_room_id(id));
  }
  EXPECT_NE(new_room_id(), new_room_id());
  EXPECT_EQ(new_room_key().size(), 32u);
  EXPECT_NE(new_room_key(), new_room_key());
}

TEST(RoomUrl, FingerprintIsFirst16HexOfSha256UpperInGroupsOf4) {
  // sha256 of 32 zero bytes = 66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925
  EXPECT_EQ(key_fingerprint(std::string(32, '\0')), "6668 7AAD F862 BD77");
}

TEST(Endpoint, ParsesBasesAndRefusesOthers) {
  auto e = parse_endpoint("http://[::1]:8080/");
  ASSERT_TRUE(e.ok()) << e.error().detail;
  EXPECT_EQ(e.value().host, "::1");
  EXPECT_EQ(e.value().port, "8080");
  EXPECT_EQ(e.value().base_url(), "http://[::1]:8080");
  EXPECT_FALSE(parse_endpoint("127.0.0.1:3000").ok());
  EXPECT_FALSE(parse_endpoint("http://h/?q=1").ok());
  EXPECT_EQ(parse_endpoint("https://bot2bot.chat").error().error, "https is not supported yet");
}

}  // namespace
}  // namespace b2b::client
