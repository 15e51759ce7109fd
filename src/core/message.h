// A stored room message (ROOMS.md §2.5). Immutable once appended: the replay buffer,
// subscribers' send queues and long-poll answers share one instance.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/event.h"

namespace b2b::core {

// Signature material relayed with a verified message so recipients can check it
// themselves (ROOMS.md §20.3). Filled by the identity layer.
struct RelayedSignature {
  std::string sender_sig;
  std::string sender_nonce;
  int64_t sender_ts = 0;
};

struct MessageDraft {
  std::string sender;
  bool sender_verified = false;
  std::string ciphertext;  // standard base64 alphabet (§20.16)
  std::string nonce;       // standard base64 alphabet
  std::optional<double> ttl_ms;
  std::optional<std::string> reply_to;
  std::optional<RelayedSignature> signature;
};

struct Message {
  int64_t seq = 0;
  int64_t ts = 0;
  std::string id;
  std::string sender;
  std::optional<double> ttl_ms;
  // §2.7 accounting: ciphertext string length + 512. Internal only: never on the wire (§20.1).
  std::size_t accounted_bytes = 0;
  // {"type":"message",seq,id,sender,sender_verified,ciphertext,nonce,ts,[ttl_ms],[reply_to],
  //  [sender_sig,sender_ts,sender_nonce]} — the same record on every path (§20.2).
  EventPtr event;

  // The record without "type" — the claim answer's `message` (§9.2 lists its keys exactly).
  std::string record_json() const;

  // §2.6: expired when a positive ttl has elapsed.
  bool expired(int64_t now_ms) const {
    return ttl_ms && *ttl_ms > 0 &&
           static_cast<double>(ts) + *ttl_ms <= static_cast<double>(now_ms);
  }
};

using MessagePtr = std::shared_ptr<const Message>;

// Renders the event once and computes accounting. `id` empty: a new random UUID (cluster mode
// passes the id the posting node chose, so every node renders the same record).
MessagePtr make_message(MessageDraft draft, int64_t seq, int64_t ts, std::string id = {});

}  // namespace b2b::core
