#include "net/request_guard.h"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <iterator>

namespace b2b::net {

namespace {

// "METHOD SP target SP HTTP/1.x", without the CRLF.
std::size_t request_line_length(const http::request_header<>& head) {
  return head.method_string().size() + 1 + head.target().size() + 1 + 8;
}

bool is_decimal(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool framing_is_ambiguous(const http::request_header<>& head) {
  auto lengths = head.equal_range(http::field::content_length);
  const auto length_count = std::distance(lengths.first, lengths.second);
  if (length_count > 1) return true;
  if (length_count == 1 && !is_decimal(lengths.first->value())) return true;  // "2, 2", "+2"

  auto codings = head.equal_range(http::field::transfer_encoding);
  const auto coding_count = std::distance(codings.first, codings.second);
  if (coding_count == 0) return false;
  // HTTP/1.0 has no chunked coding; we decode no other (gzip, identity, lists).
  return coding_count > 1 || head.version() < 11 || length_count > 0 ||
         !boost::beast::iequals(codings.first->value(), "chunked");
}

}  // namespace

std::optional<ParseFailure> check_request_head(const http::request_header<>& head,
                                               const HttpLimits& limits) {
  if (request_line_length(head) > limits.request_line_limit) {
    return ParseFailure::kRequestLineTooLong;
  }
  if (static_cast<std::size_t>(std::distance(head.begin(), head.end())) >
      limits.header_count_limit) {
    return ParseFailure::kHeadersTooLarge;
  }
  if (framing_is_ambiguous(head)) return ParseFailure::kBadRequest;
  return std::nullopt;
}

}  // namespace b2b::net
