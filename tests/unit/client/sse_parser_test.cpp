// ROOMS.md §6.2 framing, read incrementally: the same events whatever the read boundaries.
#include "client/sse_parser.h"

#include <gtest/gtest.h>

namespace b2b::client {
namespace {

const std::string kStream =
    "data: {\"type\":\"message\",\"seq\":1}\n\n"
    ": keepalive\n\n"
    "data: {\"type\":\"ready\",\"last_seq\":1}\r\n\r\n"
    "event: ignored\nid: 7\ndata:{\"a\":\"b\"}\ndata: second line\n\n"
    "data: \n\n"
    "data: partial-without-blank-line\n";

std::vector<std::string> datas(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

const std::vector<std::string> kExpected = {
    "{\"type\":\"message\",\"seq\":1}",
    "{\"type\":\"ready\",\"last_seq\":1}",
    "{\"a\":\"b\"}\nsecond line",
    "",
};

TEST(SseParser, WholeStreamAtOnce) {
  SseParser p;
  EXPECT_EQ(datas(p.feed(kStream)), kExpected);
  EXPECT_EQ(p.comments(), 1u);
}

TEST(SseParser, SplitAtEveryByteBoundary) {
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    SseParser p;
    auto first = datas(p.feed(std::string_view(kStream).substr(0, cut)));
    auto second = datas(p.feed(std::string_view(kStream).substr(cut)));
    first.insert(first.end(), second.begin(), second.end());
    EXPECT_EQ(first, kExpected) << "split at byte " << cut;
    EXPECT_EQ(p.comments(), 1u);
  }
}

TEST(SseParser, OneByteAtATime) {
  SseParser p;
  std::vector<std::string> all;
  for (char c : kStream) {
    auto got = datas(p.feed(std::string_view(&c, 1)));
    all.insert(all.end(), got.begin(), got.end());
  }
  EXPECT_EQ(all, kExpected);
}

TEST(SseParser, ResetDropsAPartialEvent) {
  SseParser p;
  EXPECT_TRUE(p.feed("data: half").empty());
  p.reset();
  EXPECT_EQ(datas(p.feed("data: whole\n\n")), std::vector<std::string>{"whole"});
}

}  // namespace
}  // namespace b2b::client
