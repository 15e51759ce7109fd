// Webhook routes (issue 10): a handle's DM hook at /api/identity/:handle/webhook (PUT, GET,
// DELETE, each signed per IDENTITY.md §1.10) and room message subscriptions at
// /api/rooms/:id/webhooks (POST, signed by the handle named in `?handle=`) and
// /api/rooms/:id/webhooks/:hook_id (DELETE, by the owner). The work is the WebhookService's.
#pragma once

#include <string>

#include "api/dm_routes.h"
#include "api/relay_state.h"
#include "api/room_routes.h"

namespace b2b::api {

void put_dm_webhook(RelayState& state, DmCall call);
void get_dm_webhook(RelayState& state, DmCall call);
void delete_dm_webhook(RelayState& state, DmCall call);
void post_room_webhook(RelayState& state, RoomCall call);
void delete_room_webhook(RelayState& state, RoomCall call, std::string hook_id);

}  // namespace b2b::api
