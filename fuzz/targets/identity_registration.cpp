// POST /api/identity/register bodies (IDENTITY.md §2.2): handle, keys, signature fields
// and `meta`, each step as the endpoint runs it.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_parse.h"
#include "identity/handles.h"
#include "identity/registration.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  boost::json::value v =
      b2b::core::parse_json(std::string_view(reinterpret_cast<const char*>(data), size), ec, opts);
  if (ec) return 0;
  const boost::json::object* body = v.if_object();
  if (!body) return 0;
  auto handle = b2b::identity::validate_register_handle(*body);
  if (handle && !b2b::identity::is_valid_handle(handle.value())) __builtin_trap();
  (void)b2b::identity::validate_register_keys(*body);
  (void)b2b::identity::validate_register_signature(*body, 1'790'000'000'000);
  (void)b2b::identity::register_meta(*body);
  return 0;
}
