// The `bot2bot serve` flags of webhooks (issue 10); see webhook_service.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace b2b::api {

struct WebhookSettings {
  bool allow_private = false;  // --webhook-allow-private: loopback/private targets and http://
  std::size_t room_hooks_per_handle = 20;
  std::size_t hooks_per_room = 20;
  double deliveries_per_sec = 1000;  // every attempt, first or retry, takes a token
  std::size_t max_in_flight = 256;
  std::size_t in_flight_per_hook = 16;  // one slow receiver cannot hold every slot
  std::size_t pending_per_hook = 10'000;
  std::size_t history_per_hook = 20;  // finished deliveries kept for GET
  // --webhook-lease-ms (cluster mode): how long after a node stopped renewing its lease another
  // node takes over its pending deliveries (cluster_webhooks.h).
  int64_t cluster_lease_ms = 30'000;
};

}  // namespace b2b::api
