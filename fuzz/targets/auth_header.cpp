// `Authorization: Bot2Bot ts=…,n=…,sig=…` (IDENTITY.md §1.10 steps 1–5): any header value.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "identity/auth_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  auto auth = b2b::identity::parse_authorization_header(header);
  if (auth) {
    // What the parser accepts must satisfy its own documented rules.
    if (auth.value().ts <= 0) __builtin_trap();
    if (!b2b::identity::is_signature_nonce(auth.value().nonce)) __builtin_trap();
  }
  return 0;
}
