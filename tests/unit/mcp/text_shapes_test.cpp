// CLIENT-PROTOCOL.md §5.3: these strings are parsed by agents and scripts; byte-exact.
#include "mcp/text_shapes.h"

#include <gtest/gtest.h>

namespace b2b::mcp {
namespace {

ShownMessage msg(std::int64_t seq, std::string sender, std::optional<std::string> text,
                 bool verified = false) {
  return ShownMessage{
      "id-" + std::to_string(seq), seq, std::move(sender), verified, 1000, std::move(text)};
}

TEST(TextShapes, SendAndReactionLines) {
  EXPECT_EQ(sent_text("bob", "abc-123", 1776600000123),
            "sent as \"bob\". message_id=abc-123 seq=1776600000123");
  EXPECT_EQ(reaction_text(true, "abcdefgh", "👍", "sent as \"bob\". message_id=x seq=2"),
            "reaction added: target_id=abcdefgh emoji=👍\nsent as \"bob\". message_id=x seq=2");
  EXPECT_EQ(reaction_text(false, "abcdefgh", "🔥", "S"),
            "reaction removed: target_id=abcdefgh emoji=🔥\nS");
}

TEST(TextShapes, CreatedRoomCarriesTheUrlOnItsOwnLine) {
  const std::string t = created_room_text("ABC234", "http://h:1/room/ABC234#k=key");
  EXPECT_EQ(t.rfind("Created room ABC234.\nJoin URL (", 0), 0u);
  EXPECT_NE(t.find("):\nhttp://h:1/room/ABC234#k=key\n"), std::string::npos);
  EXPECT_EQ(active_room_note("ABC234").rfind("(active room set to ABC234 — ", 0), 0u);
}

TEST(TextShapes, WaitListsMessagesWithoutIdsThenTheResumePoint) {
  const std::vector<ShownMessage> shown{msg(5, "carol", "hi"), msg(6, "dave", std::nullopt)};
  EXPECT_EQ(wait_text(shown, 6, 20, 6),
            "[seq=5] carol: hi\n"
            "[seq=6] dave: [undecryptable — wrong key or different room]\n"
            "(last_seq=6 — pass this as next after_seq)");
}

TEST(TextShapes, EmptyWait) {
  EXPECT_EQ(wait_text({}, 42, 20, 42),
            "(no new messages — timed out after 20s, latest server seq 42)\n"
            "(last_seq=42 — pass this as next after_seq)");
}

TEST(TextShapes, ResumePointRule) {
  // Highest returned seq (hidden ones included), else the relay's last_seq, else after_seq.
  EXPECT_EQ(next_after_seq({7, 9, 8}, 12, 3), 9);
  EXPECT_EQ(next_after_seq({}, 12, 3), 12);
  EXPECT_EQ(next_after_seq({}, 0, 3), 3);
}

TEST(TextShapes, Transcript) {
  EXPECT_EQ(transcript_text({msg(5, "carol", "hi"), msg(7, "x", std::nullopt)}, 0, 9, 3),
            "[seq=5] carol: hi\n[seq=7] x: [undecryptable]\n(last_seq=9; 2 of 3 returned)");
  EXPECT_EQ(transcript_text({}, 17, 0, 0), "(empty — no messages in the buffer after seq 17)");
}

TEST(TextShapes, Status) {
  RoomStatusView s{"ROOM42", true, 2, 17, 1776600000139, 842, 3, false};
  EXPECT_EQ(status_text(s),
            "Room ROOM42\n  participants: 2\n  recent_count: 17\n  last_seq: 1776600000139\n"
            "  age: 842s\n  idle: 3s");
  s.signed_only = true;
  EXPECT_NE(status_text(s).find("\n  signed_only: true"), std::string::npos);
  s.exists = false;
  EXPECT_EQ(status_text(s).rfind("Room ROOM42 does not currently exist on the server", 0), 0u);
}

TEST(TextShapes, ClaimedLinesCarryIdAndVerification) {
  EXPECT_EQ(claimed_line(msg(5, "@alice", "do it", true)), "[seq=5 id=id-5] @alice ✓: do it");
  EXPECT_EQ(claimed_line(msg(5, "carol", std::nullopt)),
            "[seq=5 id=id-5] carol: [undecryptable — wrong room key]");
  const std::string c = claim_text(msg(5, "carol", "x"), "c-1");
  EXPECT_EQ(c.rfind("[seq=5 id=id-5] carol: x\n(claim_id=c-1 seq=5 — ", 0), 0u);
}

TEST(TextShapes, NextTaskAndItsAckWarning) {
  const std::string ok = next_text(msg(5, "carol", "x"), "bob", "mcp-abc123", 5, std::nullopt);
  EXPECT_EQ(
      ok.rfind("[seq=5 id=id-5] carol: x\n(listening in-room as \"bob\" via auth @mcp-abc123; ", 0),
      0u);
  EXPECT_EQ(ok.find("warning"), std::string::npos);
  const std::string warned =
      next_text(msg(5, "carol", "x"), "bob", "mcp-abc123", 4, std::string("409 stale"));
  EXPECT_NE(warned.find("\n(warning: ack failed: 409 stale; message will be re-delivered on next "
                        "call)"),
            std::string::npos);
}

TEST(TextShapes, EmptyClaim) {
  EXPECT_EQ(empty_claim_text("next_task", 60, "bob", "mcp-abc123", 77),
            "(no new messages — blocked 60s as \"bob\" via auth @mcp-abc123, cursor=77; call "
            "next_task again to keep listening)");
}

TEST(TextShapes, Ack) {
  EXPECT_EQ(ack_text(true, 99), "ack ok — cursor advanced to seq=99");
  EXPECT_EQ(ack_text(false, 99).rfind("ack ok — no change (cursor already at 99; ", 0), 0u);
}

TEST(TextShapes, DirectMessages) {
  EXPECT_EQ(dm_sent_text("bob", "u-1", 10), "dm sent to @bob. id=u-1 seq=10");
  const std::vector<ShownDm> dms{{"u-1", 10, std::string("alice"), 1, std::string("hi")},
                                 {"u-2", 11, std::nullopt, 2, std::nullopt}};
  EXPECT_EQ(inbox_text(dms, 11, 5, false),
            "[seq=10 id=u-1] from @alice ✓: hi\n"
            "[seq=11 id=u-2] from (anonymous): [undecryptable — not sealed to this identity]\n"
            "(last_seq=11 — pass this as next after_seq)");
  EXPECT_EQ(inbox_text({}, 3, 5, false),
            "(inbox empty — waited 5s)\n(last_seq=3 — pass this as next after_seq)");
}

TEST(TextShapes, Agents) {
  EXPECT_EQ(agents_text({}), "(no agents found)");
  ShownAgent a{"alice-bot", "Alice", "openclaw", "Finds peers.", {"python", "data"}, {}, {"en"}};
  EXPECT_EQ(agents_text({a}),
            "@alice-bot — Alice [openclaw]: Finds peers.\n  capabilities: python, data\n"
            "  languages: en");
}

TEST(TextShapes, StructuredMessages) {
  const boost::json::object o = message_json(msg(5, "carol", std::nullopt, true));
  EXPECT_EQ(
      boost::json::serialize(o),
      R"({"id":"id-5","seq":5,"sender":"carol","sender_verified":true,"ts":1000,"text":null})");
  EXPECT_EQ(messages_json({msg(1, "a", "x")}).at(0).at("text"), "x");
}

}  // namespace
}  // namespace b2b::mcp
