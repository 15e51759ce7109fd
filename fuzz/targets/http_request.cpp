// Raw bytes on a connection, as HttpSession reads them: Beast's request parser with the
// relay's header and body limits, pipelined requests one after another, then the router's
// pure layers for each request — origin-form target parsing, path segments, route-table
// matching (ROOMS.md §13.5), the query and the JSON body with the §3 message checks.
//
// Why not Router::handle itself: it needs a live HttpSession (a socket) and a RelayState
// with running shard threads and the identity store, so this stops at the layers that are
// pure functions of the request bytes.
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_body.h"
#include "api/query.h"
#include "api/route_table.h"
#include "core/js_int.h"
#include "core/message_validation.h"

namespace {

namespace http = boost::beast::http;

void route(const b2b::net::Request& req) {
  auto parsed = boost::urls::parse_origin_form(req.target());
  if (!parsed) return;
  std::vector<std::string> segs;
  for (auto s : parsed->segments()) segs.emplace_back(s);
  if (!segs.empty() && segs.back().empty()) segs.pop_back();
  const b2b::api::Query query(parsed->params());
  std::vector<std::string> params;
  for (const b2b::api::Route& r : b2b::api::route_table()) {
    params.clear();
    if (!b2b::api::path_matches(r.path, segs, &params)) continue;
    (void)b2b::core::js_int_clamped(query.get("after"), 0, 0, INT64_MAX);
    (void)b2b::core::js_int_clamped(query.get("limit"), 100, 1, 500);
    auto body = b2b::api::parse_json_body(req);
    if (body) (void)b2b::core::validate_message(body.value());
    return;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (!rest.empty()) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);  // RelayConfig::header_limit_bytes
    parser.body_limit(196'608);      // RelayLimits::body_limit_bytes
    parser.eager(true);
    boost::beast::error_code ec;
    std::size_t used = 0;
    while (!parser.is_done()) {
      const std::size_t n =
          parser.put(boost::asio::buffer(rest.data() + used, rest.size() - used), ec);
      used += n;
      if (ec == http::error::need_more && n > 0) {
        ec = {};
        continue;
      }
      if (ec == http::error::need_more) parser.put_eof(ec);
      break;
    }
    if (ec || !parser.is_done()) return 0;  // the session answers 400/413/431 and closes
    route(parser.get());
    rest.remove_prefix(used);
  }
  return 0;
}
