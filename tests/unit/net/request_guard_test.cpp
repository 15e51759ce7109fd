// check_request_head: the request-line and header-count limits and the framing rules that
// close request-smuggling gaps Beast's parser leaves open.
#include "net/request_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace b2b::net {
namespace {

// Parses a request head the way HttpSession does; the test fails if Beast refuses it.
http::request_header<> head_of(const std::string& raw) {
  http::request_parser<http::empty_body> parser;
  parser.eager(false);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(raw), ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser.is_header_done());
  return parser.get().base();
}

std::optional<ParseFailure> check(const std::string& raw, HttpLimits limits = {}) {
  return check_request_head(head_of(raw), limits);
}

TEST(RequestGuard, AcceptsOrdinaryRequests) {
  EXPECT_EQ(check("GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"), std::nullopt);
  EXPECT_EQ(check("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\n"), std::nullopt);
  EXPECT_EQ(check("POST /a HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"), std::nullopt);
  EXPECT_EQ(check("GET / HTTP/1.0\r\n\r\n"), std::nullopt);
}

TEST(RequestGuard, RefusesARequestLineOverTheLimit) {
  HttpLimits limits;
  limits.request_line_limit = 64;
  const std::string fits = "GET /" + std::string(64 - 14, 'a') + " HTTP/1.1\r\n\r\n";  // 64 bytes
  const std::string over = "GET /" + std::string(64 - 13, 'a') + " HTTP/1.1\r\n\r\n";  // 65
  EXPECT_EQ(check(fits, limits), std::nullopt);
  EXPECT_EQ(check(over, limits), ParseFailure::kRequestLineTooLong);
}

TEST(RequestGuard, RefusesMoreHeaderFieldsThanTheLimit) {
  HttpLimits limits;
  limits.header_count_limit = 3;
  std::string raw = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 3; ++i) raw += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(check(raw + "\r\n", limits), std::nullopt);
  EXPECT_EQ(check(raw + "X-3: v\r\n\r\n", limits), ParseFailure::kHeadersTooLarge);
}

TEST(RequestGuard, RefusesDuplicateOrListValuedContentLength) {
  EXPECT_EQ(check("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n"),
            ParseFailure::kBadRequest);
  EXPECT_EQ(check("POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\n"), ParseFailure::kBadRequest);
}

TEST(RequestGuard, RefusesTransferCodingsOtherThanOneChunked) {
  EXPECT_EQ(check("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            ParseFailure::kBadRequest);
  EXPECT_EQ(check("POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\n"),
            ParseFailure::kBadRequest);
  EXPECT_EQ(check("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseFailure::kBadRequest);
}

}  // namespace
}  // namespace b2b::net
