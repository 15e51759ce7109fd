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
  const std::string handle = call.handle;
  when_signed(state, std::move(call), handle, UnknownHandle::kNotFound404,
              [&state](const DmCall& c) {
                auto url = url_from_body(c.reply, c.request);
                if (!url) return;
                state.webhooks->set_dm_hook(c.handle, std::move(*url), answer_with(c.reply));
              });
}

void get_dm_webhook(RelayState& state, DmCall call) {
  const std::string handle = call.handle;
  when_signed(
      state, std::move(call), handle, UnknownHandle::kNotFound404,
      [&state](const DmCall& c) { state.webhooks->get_dm_hook(c.handle, answer_with(c.reply)); });
}

void delete_dm_webhook(RelayState& state, DmCall call) {
  const std::string handle = call.handle;
  when_signed(state, std::move(call), handle, UnknownHandle::kNotFound404,
              [&state](const DmCall& c) {
                state.webhooks->delete_dm_hook(c.handle, answer_with(c.reply));
              });
}

void post_room_webhook(RelayState& state, RoomCall call) {
  auto handle = handle_param(call);
  if (!handle) return;
  when_signed(state, std::move(call), *handle, UnknownHandle::kNotFound404,
              [&state, handle = *handle](const RoomCall& c) {
                auto url = url_from_body(c.reply, c.request);
                if (!url) return;
                state.webhooks->add_room_hook(handle, c.room_id, std::move(*url),
                                              answer_with(c.reply));
              });
}

void delete_room_webhook(RelayState& state, RoomCall call, std::string hook_id) {
  auto handle = handle_param(call);
  if (!handle) return;
  when_signed(state, std::move(call), *handle, UnknownHandle::kNotFound404,
              [&state, handle = *handle, hook_id = std::move(hook_id)](const RoomCall& c) {
                state.webhooks->delete_room_hook(handle, c.room_id, hook_id, answer_with(c.reply));
              });
}

}  // namespace b2b::api
