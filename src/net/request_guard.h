// Checks on a parsed request head that Beast's parser does not make, run before the body is
// read: the limits on the request line and the number of header fields, and the framing
// rules that close request-smuggling gaps (RFC 9112 §6.1, §6.3). Beast already refuses a
// Content-Length together with chunked, differing duplicate lengths and bad chunk sizes;
// this adds identical duplicate or list-valued lengths and transfer codings other than a
// single `chunked`, so a front proxy and the relay can never disagree on where a body ends.
#pragma once

#include <cstddef>
#include <optional>

#include "net/http_types.h"

namespace b2b::net {

// nullopt: the head may be served. Otherwise the failure to answer with before closing.
std::optional<ParseFailure> check_request_head(const http::request_header<>& head,
                                               const HttpLimits& limits);

}  // namespace b2b::net
