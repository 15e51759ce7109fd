// IDENTITY.md §3.1 cleaning, §3.2 hashing, §3.4 serving.
#include "identity/agent_profile.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "identity/canonical_json.h"
#include "identity/crypto.h"
#include "identity/homepage_url.h"
#include "identity/js_text.h"
#include "identity/js_values.h"
#include "identity/signing_texts.h"

namespace b2b::identity {
namespace {

constexpr std::size_t kDisplayNameMax = 80;
constexpr std::size_t kFrameworkMax = 32;
constexpr std::size_t kFrameworkVersionMax = 64;
constexpr std::size_t kSummaryMax = 600;
constexpr std::size_t kTagMax = 40;
constexpr std::size_t kTagsPerList = 32;
constexpr std::size_t kHomepageMax = 240;
constexpr double kMaxSafeInteger = 9007199254740991.0;

// §3.1 forbidden substrings, searched in this order (the first hit names the needle).
constexpr std::array<std::string_view, 10> kForbiddenNeedles = {
    "#k=",       "/room/",  "private_key", "privatekey", "secret_key",
    "secretkey", "sign_sk", "box_sk",      "ciphertext", "sender_eph_pub"};

core::Error bad(std::string error, std::string detail) {
  return core::Error{std::move(error), std::move(detail)};
}

// `String(in[key] or fallback)`: a missing or falsy value gives the fallback.
std::string field_string(const boost::json::object& in, std::string_view key,
                         std::string_view fallback) {
  const boost::json::value* v = in.if_contains(key);
  if (v == nullptr || js_is_falsy(*v)) return std::string(fallback);
  return js_string(*v);
}

// `floor(Number(in[key] or 0))`.
double field_floored_number(const boost::json::object& in, std::string_view key) {
  const boost::json::value* v = in.if_contains(key);
  if (v == nullptr || js_is_falsy(*v)) return 0;
  return std::floor(js_number(*v));
}

// trim, then cut to `max` UTF-16 units; nullopt if the cut would split a surrogate pair.
std::optional<std::string> trimmed_and_cut(std::string_view s, std::size_t max) {
  const std::optional<std::string_view> cut = js_slice_utf16(js_trim(s), max);
  if (!cut) return std::nullopt;
  return std::string(*cut);
}

core::Error split_pair(std::string_view field, std::size_t max) {
  return bad("invalid " + std::string(field),
             "cutting it to " + std::to_string(max) +
                 " UTF-16 units would split a surrogate pair; send at most that many");
}

bool matches_framework_regex(std::string_view f) {  // ^[a-z0-9][a-z0-9_-]{0,31}$
  if (f.empty() || f.size() > 32) return false;
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(f.front())) return false;
  for (char c : f) {
    if (!alnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

boost::json::array to_json_array(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const std::string& s : items) out.emplace_back(s);
  return out;
}

}  // namespace

std::string normalize_agent_token(std::string_view s, std::size_t max) {
  const std::string lowered = js_to_lower(js_trim(s));
  // Every run of characters outside [a-z0-9._:+-] becomes one '-'. '_' is NOT kept
  // (market_data -> market-data); non-ASCII bytes are always outside the set.
  std::string replaced;
  bool in_run = false;
  for (char c : lowered) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == ':' ||
                      c == '+' || c == '-';
    if (keep) {
      replaced += c;
      in_run = false;
    } else if (!in_run) {
      replaced += '-';
      in_run = true;
    }
  }
  const std::size_t first = replaced.find_first_not_of('-');
  if (first == std::string::npos) return "";
  const std::size_t last = replaced.find_last_not_of('-');
  // Cut after stripping, so a result may end in '-' (all ASCII by now, so bytes = units).
  return replaced.substr(first, last - first + 1).substr(0, max);
}

std::string normalize_agent_token_value(const boost::json::value& v, std::size_t max) {
  return js_is_falsy(v) ? std::string() : normalize_agent_token(js_string(v), max);
}

std::vector<std::string> normalize_agent_tags(const boost::json::value& list) {
  std::vector<std::string> tags;
  if (!list.is_array()) return tags;
  for (const boost::json::value& item : list.get_array()) {
    std::string t = normalize_agent_token_value(item, kTagMax);
    if (t.empty() || std::find(tags.begin(), tags.end(), t) != tags.end()) continue;
    tags.push_back(std::move(t));
    if (tags.size() == kTagsPerList) break;
  }
  return tags;
}

core::Result<CleanedProfile> clean_profile(const boost::json::value& in, std::string_view handle,
                                           const ProfileCleaningOptions& options) {
  if (!in.is_object()) return bad("profile must be an object", "profile must be a JSON object");
  const boost::json::object& obj = in.get_object();
  const int64_t now = options.now_ms;

  AgentProfile p;
  p.handle = std::string(handle);
  const std::optional<std::string> display =
      trimmed_and_cut(field_string(obj, "display_name", handle), kDisplayNameMax);
  if (!display) return split_pair("display_name", kDisplayNameMax);
  p.display_name = display->empty() ? std::string(handle) : *display;
  p.framework = normalize_agent_token(field_string(obj, "framework", "other"), kFrameworkMax);
  if (p.framework.empty()) p.framework = "other";
  const std::optional<std::string> version =
      trimmed_and_cut(field_string(obj, "framework_version", ""), kFrameworkVersionMax);
  if (!version) return split_pair("framework_version", kFrameworkVersionMax);
  p.framework_version = *version;
  const std::optional<std::string> summary =
      trimmed_and_cut(field_string(obj, "summary", ""), kSummaryMax);
  if (!summary) return split_pair("summary", kSummaryMax);
  p.summary = *summary;
  const boost::json::value null_value;
  const auto tags_of = [&](std::string_view key) {
    const boost::json::value* v = obj.if_contains(key);
    return normalize_agent_tags(v ? *v : null_value);
  };
  p.capabilities = tags_of("capabilities");
  p.topics = tags_of("topics");
  p.languages = tags_of("languages");

  if (!matches_framework_regex(p.framework)) {
    return bad("invalid framework",
               "framework must match ^[a-z0-9][a-z0-9_-]{0,31}$ after "
               "normalisation, got \"" +
                   p.framework + "\"");
  }

  const double updated_at = field_floored_number(obj, "updated_at");
  if (!std::isfinite(updated_at) || updated_at <= 0 || updated_at > kMaxSafeInteger) {
    return bad("updated_at required", "updated_at must be a positive integer of ms");
  }
  p.updated_at = static_cast<int64_t>(updated_at);
  if (options.check_freshness &&
      (now - p.updated_at > options.skew_ms || p.updated_at - now > options.skew_ms)) {
    return bad("updated_at skew too large", "updated_at must be within ±" +
                                                std::to_string(options.skew_ms) +
                                                " ms of the server clock");
  }

  const double expires_at = field_floored_number(obj, "expires_at");
  if (expires_at == 0 || std::isnan(expires_at)) {
    p.expires_at = now + options.ttl_ms;  // §3.1 default: the client signed no value
  } else if (options.check_freshness &&
             (expires_at < static_cast<double>(now) ||
              expires_at > static_cast<double>(now + options.ttl_ms + options.skew_ms))) {
    return bad("expires_at out of range", "expires_at must be between now and now + TTL (" +
                                              std::to_string(options.ttl_ms) + " ms) + " +
                                              std::to_string(options.skew_ms) + " ms");
  } else if (!std::isfinite(expires_at) || std::fabs(expires_at) > kMaxSafeInteger) {
    return bad("expires_at out of range", "expires_at must be an integer of ms");
  } else {
    p.expires_at = static_cast<int64_t>(expires_at);
  }

  if (const boost::json::value* url = obj.if_contains("homepage_url");
      url != nullptr && !js_is_falsy(*url)) {
    core::Result<std::string> normalized = normalize_homepage_url(js_string(*url));
    if (!normalized) return normalized.error();
    const std::optional<std::string_view> cut = js_slice_utf16(normalized.value(), kHomepageMax);
    p.homepage_url = std::string(cut.value_or(""));
  }

  CleanedProfile cleaned;
  cleaned.canonical_json = canonical_json(profile_to_json(p));
  const std::string lowered = js_to_lower(cleaned.canonical_json);
  for (std::string_view needle : kForbiddenNeedles) {
    if (lowered.find(needle) != std::string::npos) {
      return bad("profile contains forbidden private field/pattern: " + std::string(needle),
                 "room links and key material must not be published (the handle counts too)");
    }
  }
  if (cleaned.canonical_json.size() > kProfileMaxBytes) {
    return bad("profile too large", "canonical JSON is " +
                                        std::to_string(cleaned.canonical_json.size()) +
                                        " bytes; the limit is 8192");
  }
  cleaned.effective_expires_at = std::min(p.expires_at, now + options.ttl_ms);
  if (!options.check_freshness) cleaned.effective_expires_at = p.expires_at;
  cleaned.profile_hash = sha256_hex(cleaned.canonical_json);
  cleaned.profile = std::move(p);
  return cleaned;
}

boost::json::object profile_to_json(const AgentProfile& p) {
  boost::json::object o;
  o["schema"] = p.schema;
  o["handle"] = p.handle;
  o["display_name"] = p.display_name;
  o["framework"] = p.framework;
  o["framework_version"] = p.framework_version;
  o["summary"] = p.summary;
  o["capabilities"] = to_json_array(p.capabilities);
  o["topics"] = to_json_array(p.topics);
  o["languages"] = to_json_array(p.languages);
  o["contact_policy"] = p.contact_policy;
  o["homepage_url"] = p.homepage_url;
  o["updated_at"] = p.updated_at;
  o["expires_at"] = p.expires_at;
  return o;
}

bool verify_profile_signature(const CleanedProfile& cleaned, std::string_view sign_pub_b64,
                              std::string_view profile_sig_b64) {
  return verify_detached(
      sign_pub_b64,
      profile_text(cleaned.profile.handle, cleaned.profile.updated_at, cleaned.profile_hash),
      profile_sig_b64);
}

std::optional<std::string> first_cleaned_difference(const boost::json::value& submitted,
                                                    const AgentProfile& cleaned) {
  if (!submitted.is_object()) return std::string("profile");
  const boost::json::object& in = submitted.get_object();
  for (const boost::json::key_value_pair& kv : profile_to_json(cleaned)) {
    const boost::json::value* sent = in.if_contains(kv.key());
    if (sent == nullptr || canonical_json(*sent) != canonical_json(kv.value())) {
      return std::string(kv.key());
    }
  }
  return std::nullopt;
}

boost::json::object served_profile(const AgentProfile& p, std::string_view box_pub,
                                   std::string_view sign_pub, std::string_view profile_sig,
                                   int64_t last_seen_at, std::optional<int64_t> match_score) {
  boost::json::object o = profile_to_json(p);
  o["box_pub"] = box_pub;
  o["sign_pub"] = sign_pub;
  o["profile_sig"] = profile_sig;
  o["last_seen_at"] = last_seen_at;
  if (match_score) o["match_score"] = *match_score;
  return o;
}

}  // namespace b2b::identity
