// Request bodies: only `application/json` is read (ROOMS.md §6.1 notes — other types
// arrive as an empty object), parsed with a depth bound; the size bound is the parser's.
#pragma once

#include <boost/json/value.hpp>

#include "core/result.h"
#include "net/http_types.h"

namespace b2b::api {

core::Result<boost::json::value> parse_json_body(const net::Request& request);

}  // namespace b2b::api
