// A room message body (ROOMS.md §3), as POST /api/rooms/{id}/messages reads it: JSON with
// the relay's depth bound, then the §3 validation.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_parse.h"
#include "core/message_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  boost::json::value v =
      b2b::core::parse_json(std::string_view(reinterpret_cast<const char*>(data), size), ec, opts);
  if (ec) return 0;
  auto message = b2b::core::validate_message(v);
  if (message) {
    const auto& m = message.value();
    if (m.ciphertext.empty() || m.nonce.empty() || m.nonce.size() > 64) __builtin_trap();
    if (m.reply_to && (m.reply_to->size() < 8 || m.reply_to->size() > 64)) __builtin_trap();
  }
  return 0;
}
