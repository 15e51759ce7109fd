#include "cluster/change_event.h"

#include <boost/json.hpp>

namespace b2b::cluster {

namespace json = boost::json;

std::string change_event_json(const ChangeEvent& event) {
  json::object o;
  o["k"] = event.kind;
  if (!event.handle.empty()) o["h"] = event.handle;
  if (!event.room_key.empty()) o["r"] = event.room_key;
  if (!event.id.empty()) o["id"] = event.id;
  if (event.seq != 0) o["s"] = event.seq;
  if (!event.node.empty()) o["n"] = event.node;
  return json::serialize(o);
}

std::optional<ChangeEvent> parse_change_event(std::string_view payload) {
  json::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  const auto text = [&o](const char* key, std::string& out) {
    const json::value* f = o.if_contains(key);
    if (f == nullptr) return true;
    if (!f->is_string()) return false;
    out = f->get_string();
    return true;
  };
  ChangeEvent e;
  if (!o.contains("k") || !text("k", e.kind) || !text("h", e.handle) || !text("r", e.room_key) ||
      !text("id", e.id) || !text("n", e.node)) {
    return std::nullopt;
  }
  if (const json::value* s = o.if_contains("s")) {
    if (!s->is_int64()) return std::nullopt;
    e.seq = s->get_int64();
  }
  return e;
}

}  // namespace b2b::cluster
