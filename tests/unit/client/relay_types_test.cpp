// Parsing the relay's answers (ROOMS.md §6.4, §9.2; IDENTITY.md §4.4).
#include "client/relay_types.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace b2b::client {
namespace {

TEST(RelayTypes, ClaimWithMessageAndEmptyClaim) {
  auto full = parse_claim_result(boost::json::parse(
      R"({"ok":true,"claim_id":"c1","message":{"seq":1776600000467,"id":"m1","sender":"bobby",
          "ciphertext":"AA==","nonce":"BB==","ts":1776600000468,"sender_verified":true,
          "reply_to":"p1"},"cursor":1776600000466,"last_seq":1776600000469})"));
  ASSERT_TRUE(full.has_value());
  EXPECT_FALSE(full->empty);
  EXPECT_EQ(full->claim_id, "c1");
  ASSERT_TRUE(full->message.has_value());
  EXPECT_EQ(full->message->seq, 1776600000467);
  EXPECT_TRUE(full->message->sender_verified);
  EXPECT_EQ(full->message->reply_to, std::optional<std::string>("p1"));
  EXPECT_EQ(full->cursor, 1776600000466);

  auto empty = parse_claim_result(
      boost::json::parse(R"({"ok":true,"empty":true,"last_seq":0,"cursor":0,"exists":false})"));
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->empty);
  EXPECT_FALSE(empty->exists);

  EXPECT_FALSE(parse_claim_result(boost::json::parse(R"({"ok":true,"claim_id":"c"})")));
}

TEST(RelayTypes, MessagePageDefaultsAndRejections) {
  auto page = parse_message_page(boost::json::parse(
      R"({"messages":[{"type":"message","seq":5,"id":"x","ciphertext":"AA==","nonce":"BB==",
          "ts":7}],"last_seq":5})"));
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->messages.size(), 1u);
  EXPECT_EQ(page->messages[0].sender, "agent");
  EXPECT_TRUE(page->exists);
  EXPECT_FALSE(parse_message_page(boost::json::parse(R"({"messages":[{"seq":1}]})")));
  EXPECT_FALSE(parse_message_page(boost::json::parse(R"([])")));
}

TEST(RelayTypes, InboxEnvelopes) {
  auto page = parse_inbox_page(boost::json::parse(
      R"({"messages":[{"seq":2,"id":"e","ciphertext":"c","nonce":"n","sender_eph_pub":"p",
          "from_handle":null,"from_verified":false,"ts":3}],"last_seq":2,"has_more":true})"));
  ASSERT_TRUE(page.has_value());
  EXPECT_TRUE(page->has_more);
  EXPECT_EQ(page->messages[0].from_handle, std::nullopt);
}

TEST(RelayTypes, JsonIntAcceptsIntegralNumbersOnly) {
  EXPECT_EQ(json_int(boost::json::parse("{\"a\":1.0}").as_object(), "a"), 1);
  EXPECT_EQ(json_int(boost::json::parse("{\"a\":1.5}").as_object(), "a"), std::nullopt);
  EXPECT_EQ(json_int(boost::json::parse("{\"a\":\"1\"}").as_object(), "a"), std::nullopt);
}

}  // namespace
}  // namespace b2b::client
