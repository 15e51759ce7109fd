// Query strings (ROOMS.md §1.1): percent-decoding by Boost.URL, repeated keys joined, and
// every parameter the routes read — `after`, `limit`, `timeout`, `ttl_ms` (JS parseInt),
// presence `name`/`box_pub`, the directory search and `handle`.
#include <boost/url/parse.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "api/query.h"
#include "core/js_int.h"
#include "core/text_rules.h"
#include "identity/agent_directory.h"
#include "identity/handles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string target =
      "/api/rooms/room1/messages?" + std::string(reinterpret_cast<const char*>(data), size);
  auto parsed = boost::urls::parse_origin_form(target);
  if (!parsed) return 0;
  const b2b::api::Query query(parsed->params());

  const int64_t after = b2b::core::js_int_clamped(query.get("after"), 0, 0, INT64_MAX);
  const int64_t limit = b2b::core::js_int_clamped(query.get("limit"), 100, 1, 500);
  const int64_t timeout = b2b::core::js_int_clamped(query.get("timeout"), 30, 1, 90);
  if (after < 0 || limit < 1 || limit > 500 || timeout < 1 || timeout > 90) __builtin_trap();
  (void)b2b::core::js_int_or(query.get("ttl_ms"), -1);
  if (auto name = query.get("name")) (void)b2b::core::normalize_presence_name(*name);
  if (auto box = query.get("box_pub")) (void)b2b::core::is_valid_box_pub(*box);

  b2b::identity::RawSearchParams raw{
      query.get("q"),        query.get("framework"), query.get("capability"), query.get("topic"),
      query.get("language"), query.get("limit"),     query.get("cursor")};
  (void)b2b::identity::parse_search_query(raw);
  if (auto handle = query.get("handle")) {
    (void)b2b::identity::is_valid_handle(b2b::identity::normalize_handle(*handle));
  }
  return 0;
}
