#include "api/webhook_routes.h"

#include <boost/json.hpp>

#include "api/json_body.h"
#include "api/request_auth.h"
#include "api/responses.h"
#include "api/webhook_service.h"
#include "identity/handles.h"

namespace b2b::api {
namespace {

// The service's error texts (webhook_service.h) to statuses.
net::Response answer_response(const core::Result<boost::json::object>& r) {
  if (r) return json_response(200, boost::json::serialize(r.value()));
  const core::Error& e = r.error();
  if (e.error == "no such webhook") return error_response(404, e.error, e.detail);
  if (e.error == "too many webhooks") return error_response(429, e.error, e.detail, 60);
  if (e.error.starts_with("storage")) return error_response(503, e.error, e.detail, 5);
  return error_response(400, e.error, e.detail);
}

HookAnswer answer_with(const Reply& reply) {
  return [reply](core::Result<boost::json::object> r) { reply.send(answer_response(r)); };
}

// `{"url":"https://…"}`; nullopt after answering 400.
std::optional<std::string> url_from_body(const Reply& reply, const net::Request& request) {
  auto parsed = parse_json_body(request);
  if (!parsed) {
    reply.send(error_response(400, parsed.error().error, parsed.error().detail));
    return std::nullopt;
  }
  const auto* obj = parsed.value().if_object();
  const auto* url = obj ? obj->if_contains("url") : nullptr;
  if (!url || !url->is_string() || url->get_string().empty() || url->get_string().size() > 2048) {
    reply.send(error_response(400, "bad webhook URL", "send {\"url\":\"https://…\"}"));
    return std::nullopt;
  }
  return std::string(url->get_string());
}

bool refused_unsigned(RelayState& state, const Reply& reply, const net::Request& request,
                      const std::string& handle, const std::string& client_ip) {
  if (auto refused =
          authenticate_handle(state, request, handle, client_ip, UnknownHandle::kNotFound404)) {
    reply.send(std::move(*refused));
    return true;
  }
  return false;
}

// The subscribing handle is a query parameter, so the request signature covers it.
std::optional<std::string> handle_param(const RoomCall& call) {
  std::string handle = identity::normalize_handle(call.query.get("handle").value_or(""));
  if (identity::is_valid_handle(handle)) return handle;
  call.reply.send(error_response(400, "invalid handle",
                                 "name the subscribing handle: ?handle=<handle> (signed)"));
  return std::nullopt;
}

}  // namespace

void put_dm_webhook(RelayState& state, DmCall call) {
  if (refused_unsigned(state, call.reply, call.request, call.handle, call.client_ip)) return;
  auto url = url_from_body(call.reply, call.request);
  if (!url) return;
  state.webhooks->set_dm_hook(call.handle, std::move(*url), answer_with(call.reply));
}

void get_dm_webhook(RelayState& state, DmCall call) {
  if (refused_unsigned(state, call.reply, call.request, call.handle, call.client_ip)) return;
  state.webhooks->get_dm_hook(call.handle, answer_with(call.reply));
}

void delete_dm_webhook(RelayState& state, DmCall call) {
  if (refused_unsigned(state, call.reply, call.request, call.handle, call.client_ip)) return;
  state.webhooks->delete_dm_hook(call.handle, answer_with(call.reply));
}

void post_room_webhook(RelayState& state, RoomCall call) {
  auto handle = handle_param(call);
  if (!handle) return;
  if (refused_unsigned(state, call.reply, call.request, *handle, call.client_ip)) return;
  auto url = url_from_body(call.reply, call.request);
  if (!url) return;
  state.webhooks->add_room_hook(std::move(*handle), std::move(call.room_id), std::move(*url),
                                answer_with(call.reply));
}

void delete_room_webhook(RelayState& state, RoomCall call, std::string hook_id) {
  auto handle = handle_param(call);
  if (!handle) return;
  if (refused_unsigned(state, call.reply, call.request, *handle, call.client_ip)) return;
  state.webhooks->delete_room_hook(std::move(*handle), std::move(call.room_id), std::move(hook_id),
                                   answer_with(call.reply));
}

}  // namespace b2b::api
