// What the claim/ack routes of one node (rooms_claim.cpp) and of a cluster (cluster_claims.cpp)
// share: the parsed claim request and the 200 bodies of ROOMS.md §9.2–§9.3, so both modes
// answer byte for byte alike.
#pragma once

#include <cstdint>
#include <string>

#include "core/claims.h"

namespace b2b::api {

struct ClaimRequest {
  std::string handle;
  core::Exclusions excluded;
  int64_t ttl_ms = 0;
  int64_t timeout_s = 30;
};

inline std::string offer_body(const core::ClaimOffer& offer, int64_t last_seq) {
  std::string out = R"({"ok":true,"claim_id":")" + offer.claim_id + R"(","message":)";
  out.append(offer.message->record_json());
  out.append(",\"cursor\":").append(std::to_string(offer.cursor));
  out.append(",\"last_seq\":").append(std::to_string(last_seq)).push_back('}');
  return out;
}

inline std::string empty_body(int64_t last_seq, int64_t cursor, bool exists) {
  std::string out = R"({"ok":true,"empty":true,"last_seq":)" + std::to_string(last_seq) +
                    ",\"cursor\":" + std::to_string(cursor);
  if (!exists) out.append(",\"exists\":false");
  out.push_back('}');
  return out;
}

inline std::string ack_body(bool advanced, int64_t cursor) {
  return std::string(R"({"ok":true,"advanced":)") + (advanced ? "true" : "false") +
         ",\"cursor\":" + std::to_string(cursor) + "}";
}

}  // namespace b2b::api
