// A direct-message body (IDENTITY.md §4.2 steps 4–9): the envelope and the optional
// sender proof, decided from the JSON body alone.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_parse.h"
#include "core/text_rules.h"
#include "identity/dm_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  boost::json::value v =
      b2b::core::parse_json(std::string_view(reinterpret_cast<const char*>(data), size), ec, opts);
  if (ec) return 0;
  const boost::json::object* body = v.if_object();
  if (!body) return 0;
  (void)b2b::identity::validate_dm_envelope(*body);
  auto claim = b2b::identity::parse_dm_sender_claim(*body, 1'790'000'000'000);
  // §4.2: the claimed handle is cut to 34 UTF-16 units (not bytes).
  if (claim && claim.value() && b2b::core::utf16_length(claim.value()->from_handle) > 34) {
    __builtin_trap();
  }
  return 0;
}
