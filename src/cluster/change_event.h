// What a node announces after each durable write in cluster mode, so that the other nodes can
// re-read what changed (docs/SCALING.md "Change feed"). The event names a record, never holds
// its content: no ciphertext, no profile text, no webhook URL or secret.
//
// Payload on the channel kChangeChannel: a small JSON object, e.g.
//   {"k":"identity","h":"alice","n":"3f0a9c1e"}
//   {"k":"dm","h":"alice","s":1767225600001,"n":"…"}        a DM inserted (s = its seq)
//   {"k":"dm","h":"alice","id":"…","n":"…"}                 a DM deleted
//   {"k":"cursor","h":"alice","r":"<room_key>","n":"…"}
// Fields: k kind, h handle, r room_key, id record id, s seq, n the publishing node (a node
// skips its own events). A reader re-reads the named record; absent means deleted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace b2b::cluster {

inline constexpr const char* kChangeChannel = "b2b:changes";

// Kinds (ChangeEvent::kind).
inline constexpr const char* kChangeIdentity = "identity";  // h: identity, inbox_seq or GC
inline constexpr const char* kChangeProfile = "profile";    // h
inline constexpr const char* kChangeDm = "dm";              // h, and s (insert) or id (delete)
inline constexpr const char* kChangeDmSweep = "dm_sweep";   // s: the ts cut-off (TTL sweep)
inline constexpr const char* kChangeCursor = "cursor";      // h, r
inline constexpr const char* kChangeHighWater = "hw";       // r
inline constexpr const char* kChangeWebhook = "webhook";    // id
inline constexpr const char* kChangeDelivery = "delivery";  // id
inline constexpr const char* kChangeDeliverySweep = "delivery_sweep";  // s: the cut-off
inline constexpr const char* kChangeLock = "lock";  // r: a room's signed_only lock (not stored)

struct ChangeEvent {
  std::string kind;
  std::string handle;
  std::string room_key;
  std::string id;
  int64_t seq = 0;
  std::string node;
  bool operator==(const ChangeEvent&) const = default;
};

// Empty fields (and seq 0) are left out.
std::string change_event_json(const ChangeEvent& event);
// nullopt for anything that is not such an object with a string "k".
std::optional<ChangeEvent> parse_change_event(std::string_view payload);

}  // namespace b2b::cluster
