// One WebSocket text frame in a room (ROOMS.md §6.3): JSON, then `hello` (presence name and
// box_pub), `listening`, or a message validated as in §3 — the path rooms_ws.cpp takes.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/message_validation.h"
#include "core/text_rules.h"

namespace {

void on_hello(const boost::json::object& frame) {
  const boost::json::value* name = frame.if_contains("name");
  if (!name || !name->is_string()) return;
  auto valid = b2b::core::normalize_presence_name(name->get_string());
  if (!valid) return;
  // A name the relay accepts is stored and broadcast: it must be accepted again as is.
  if (!b2b::core::normalize_presence_name(*valid)) __builtin_trap();
  if (const boost::json::value* bp = frame.if_contains("box_pub"); bp && bp->is_string()) {
    (void)b2b::core::is_valid_box_pub(bp->get_string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::json::parse_options opts;
  opts.max_depth = 32;
  boost::system::error_code ec;
  boost::json::value v =
      boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec, {}, opts);
  if (ec) return 0;
  if (const boost::json::object* o = v.if_object()) {
    const boost::json::value* type = o->if_contains("type");
    if (type && type->is_string() && type->get_string() == "hello") {
      on_hello(*o);
      return 0;
    }
  }
  (void)b2b::core::validate_message(v);
  return 0;
}
