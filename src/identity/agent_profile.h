// IDENTITY.md §3.1–§3.4: the signed directory profile. The signature covers the CLEANED
// profile (canonical JSON, §3.2), so cleaning must reproduce the reference byte for byte
// for every profile an honest client sends.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace b2b::identity {

inline constexpr int64_t kAgentProfileTtlMs = 7LL * 24 * 3600 * 1000;  // AGENT_PROFILE_TTL_MS
inline constexpr int64_t kAgentProfileSigSkewMs = 5LL * 60 * 1000;     // ..._SIG_SKEW_MS
inline constexpr std::size_t kProfileMaxBytes = 8192;  // canonical JSON, UTF-8 bytes

// The 13 signed keys (§3.1), in the order the reference builds and serves them.
struct AgentProfile {
  std::string schema = "bot2bot.agent_profile.v1";
  std::string handle;
  std::string display_name;
  std::string framework;
  std::string framework_version;
  std::string summary;
  std::vector<std::string> capabilities;
  std::vector<std::string> topics;
  std::vector<std::string> languages;
  std::string contact_policy = "signed_dm_first";
  std::string homepage_url;
  int64_t updated_at = 0;
  int64_t expires_at = 0;  // as signed; never rewritten when the client sent one (W8)
};

struct ProfileCleaningOptions {
  int64_t now_ms = 0;  // read AFTER the request arrived (§3.1 compat note)
  int64_t ttl_ms = kAgentProfileTtlMs;
  int64_t skew_ms = kAgentProfileSigSkewMs;
  // false when re-cleaning stored profiles at load (§3.11): no updated_at skew and no
  // expires_at range check (the store filters expired profiles by their effective expiry).
  bool check_freshness = true;
};

struct CleanedProfile {
  AgentProfile profile;
  // W8: the expiry the server enforces, min(expires_at, now + TTL). Kept apart from the
  // signed value so that the served profile stays verifiable. Persist it with the profile.
  int64_t effective_expires_at = 0;
  std::string canonical_json;  // §3.2
  std::string profile_hash;    // sha256_hex(canonical_json)
};

// §3.1 cleanProfile for the path handle `handle` (already normalised and regex-checked).
// Check order and 400 texts as in the spec: "profile must be an object", "invalid
// framework", "updated_at required", "updated_at skew too large", then expires_at, then
// "Invalid URL" / "invalid homepage_url", "profile contains forbidden private
// field/pattern: <needle>", "profile too large".
//
// expires_at (decided per W8 and the §3.1 compat note):
//  * missing, 0 or NaN: replaced by now + TTL, as the reference does. Nothing signed is
//    rewritten, since the client signed no value (its signature will not verify unless it
//    happened to sign exactly that, same as in the reference);
//  * otherwise kept exactly as sent when now <= expires_at <= now + TTL + skew, so the
//    SDK's default `client_now + 7 d` and its minimum `client_now + 60 s` both verify;
//  * otherwise 400 "expires_at out of range" (already past, or too far ahead). The
//    reference silently rewrote these, which made their signatures fail (401).
// String fields use JS String() on non-strings (so a number bio cleans as in the
// reference). A UTF-16 cut that would split a surrogate pair is refused with 400
// "invalid <field>" (§11 recommendation): the reference would sign a lone surrogate.
core::Result<CleanedProfile> clean_profile(const boost::json::value& in, std::string_view handle,
                                           const ProfileCleaningOptions& options);

// §3.1 token(v, max) (normalizeAgentToken) and tags(list) (normalizeAgentTags).
std::string normalize_agent_token(std::string_view s, std::size_t max);
std::string normalize_agent_token_value(const boost::json::value& v, std::size_t max);
std::vector<std::string> normalize_agent_tags(const boost::json::value& list);

// The 13 keys as a JSON object, in §3.4 order.
boost::json::object profile_to_json(const AgentProfile& p);

// T5 over the cleaned profile with the identity's sign_pub (§3.3 step 7).
bool verify_profile_signature(const CleanedProfile& cleaned, std::string_view sign_pub_b64,
                              std::string_view profile_sig_b64);

// W9 diagnostics: the first of the 13 keys whose submitted value differs from the cleaned
// one (nullopt if none), so a 401 "bad profile signature" can carry a useful detail.
std::optional<std::string> first_cleaned_difference(const boost::json::value& submitted,
                                                    const AgentProfile& cleaned);

// §3.4 served object: the 13 signed keys, then box_pub, sign_pub, profile_sig,
// last_seen_at, and match_score for /matches.
boost::json::object served_profile(const AgentProfile& p, std::string_view box_pub,
                                   std::string_view sign_pub, std::string_view profile_sig,
                                   int64_t last_seen_at,
                                   std::optional<int64_t> match_score = std::nullopt);

}  // namespace b2b::identity
