// What a room message and a node's presence are in Redis (src/cluster/room_record.*): every
// field survives the round trip, so every node renders byte-identical records, and anything
// malformed is an error, never a crash or a half-filled message.
#include "cluster/room_record.h"

#include <gtest/gtest.h>

namespace b2b::cluster {
namespace {

RoomRecord full_record() {
  RoomRecord r;
  r.id = "5c8c8480-e10c-43ee-b337-9371abcba188";
  r.ts = 1'795'660'573'257;
  r.draft.sender = "@alice";
  r.draft.sender_verified = true;
  r.draft.ciphertext = "aGVsbG8=";
  r.draft.nonce = std::string(32, 'A');
  r.draft.ttl_ms = 30000.5;
  r.draft.reply_to = "first-message-1";
  r.draft.signature = core::RelayedSignature{"c2ln", "bm9uY2U", 1'795'660'573'000};
  r.lock_first = true;
  return r;
}

TEST(RoomRecord, EveryFieldSurvivesTheRoundTripAndRendersTheSameEvent) {
  const RoomRecord r = full_record();
  auto back = decode_room_record(encode_room_record(r));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back.value().id, r.id);
  EXPECT_EQ(back.value().ts, r.ts);
  EXPECT_TRUE(back.value().lock_first);
  auto original = numbered_message(r, 42);
  auto copy = numbered_message(back.value(), 42);
  EXPECT_EQ(copy->event->json(), original->event->json());
  EXPECT_NE(copy->event->json().find(R"("seq":42,"id":"5c8c8480)"), std::string::npos);
  EXPECT_EQ(copy->accounted_bytes, r.draft.ciphertext.size() + 512);
}

TEST(RoomRecord, AnUnsignedRecordHasNoSignatureFields) {
  RoomRecord r;
  r.id = "x";
  r.ts = 1;
  r.draft.sender = "agent";
  r.draft.ciphertext = "QQ==";
  r.draft.nonce = "Tg==";
  auto back = decode_room_record(encode_room_record(r));
  ASSERT_TRUE(back);
  EXPECT_FALSE(back.value().draft.signature);
  EXPECT_FALSE(back.value().draft.ttl_ms);
  EXPECT_FALSE(back.value().lock_first);
  EXPECT_EQ(numbered_message(back.value(), 1)->event->json().find("sender_sig"), std::string::npos);
}

TEST(RoomRecord, MalformedRecordsAreErrors) {
  for (const char* bad : {"", "[]", "{", R"({"id":"x"})",
                          R"({"id":"x","ts":"1","sender":"a","ciphertext":"QQ==","nonce":"Tg=="})",
                          R"({"id":"x","ts":1,"sender":"a","ciphertext":"QQ==","nonce":"Tg==",
                              "sender_sig":"c2ln"})"}) {
    auto r = decode_room_record(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_EQ(r.error().error, "bad room record");
    }
  }
}

TEST(NodePresence, RoundTripsMembersHeartbeatsAndExpiry) {
  NodePresenceRecord r;
  r.node = "node-a";
  r.presence.streams = 3;
  r.presence.members = {{"alice", std::string(43, 'K'), 100}, {"bob", std::nullopt, 200}};
  r.presence.heartbeats = {{"poller", std::nullopt, 300}};
  r.presence.expires_ms = 31'000;
  auto back = decode_node_presence(encode_node_presence(r));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back.value().node, "node-a");
  EXPECT_EQ(back.value().presence.streams, 3);
  ASSERT_EQ(back.value().presence.members.size(), 2u);
  EXPECT_EQ(back.value().presence.members[0].box_pub, std::string(43, 'K'));
  EXPECT_EQ(back.value().presence.members[1].last_seen_ms, 200);
  ASSERT_EQ(back.value().presence.heartbeats.size(), 1u);
  EXPECT_EQ(back.value().presence.expires_ms, 31'000);
}

TEST(NodePresence, MalformedPresenceIsAnError) {
  for (const char* bad : {"{}", R"({"node":"a","streams":1})",
                          R"({"node":"a","streams":1,"expires":2,"members":[{"name":1}]})",
                          R"({"node":"a","streams":1,"expires":2,"members":{}})"}) {
    EXPECT_FALSE(decode_node_presence(bad)) << bad;
  }
}

}  // namespace
}  // namespace b2b::cluster
