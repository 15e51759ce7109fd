// src/store/room_key.cpp: the keyed hash that names a room in the store.
#include <gtest/gtest.h>

#include "store/store.h"

namespace b2b::store {
namespace {

TEST(StoreRoomKey, IsTruncatedHmacSha256InHex) {
  // RFC 4231 test case 2, first 16 bytes of the MAC.
  EXPECT_EQ(room_key_for("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c7");
}

TEST(StoreRoomKey, IsDeterministicPerSecret) {
  const std::string secret(32, '\x01');
  EXPECT_EQ(room_key_for(secret, "room-abcd"), room_key_for(secret, "room-abcd"));
  EXPECT_NE(room_key_for(secret, "room-abcd"), room_key_for(secret, "room-abce"));
}

TEST(StoreRoomKey, DiffersAcrossSecrets) {
  EXPECT_NE(room_key_for(std::string(32, '\x01'), "room-abcd"),
            room_key_for(std::string(32, '\x02'), "room-abcd"));
}

TEST(StoreRoomKey, Is32HexDigitsAndNeverContainsTheRoomId) {
  const std::string secret(32, '\x07');
  for (const char* id : {"abcd", "0123456789abcdef", "aaaa", "a-b_c"}) {
    const std::string key = room_key_for(secret, id);
    EXPECT_EQ(key.size(), 32u);
    EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(key.find(id), std::string::npos) << id;
  }
}

}  // namespace
}  // namespace b2b::store
