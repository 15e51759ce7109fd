// IDENTITY.md §2.2 body checks.
#include "identity/registration.h"

#include "core/base64.h"
#include "core/text_rules.h"
#include "identity/crypto.h"
#include "identity/handles.h"
#include "identity/js_values.h"
#include "identity/signing_texts.h"

namespace b2b::identity {
namespace {

// The dash is U+2014, as in the reference.
constexpr std::string_view kSignatureRequired =
    "register_sig (base64 Ed25519) and register_ts (ms) required \xE2\x80\x94 sign \"register "
    "<handle> <register_ts> <box_pub> <sign_pub>\" with sign_sk";

core::Error bad(std::string_view error, std::string detail) {
  return core::Error{std::string(error), std::move(detail)};
}

const boost::json::string* string_field(const boost::json::object& body, std::string_view key) {
  const boost::json::value* v = body.if_contains(key);
  return v != nullptr && v->is_string() ? &v->get_string() : nullptr;
}

}  // namespace

core::Result<std::string> validate_register_handle(const boost::json::object& body) {
  const boost::json::string* handle = string_field(body, "handle");
  if (handle == nullptr || !is_valid_handle(*handle)) {
    return bad(std::string("invalid handle (regex: ") + std::string(kHandleRegexText) + ")",
               "handle must be a JSON string of 2-32 lowercase letters, digits, '_' or '-'");
  }
  return std::string(*handle);
}

core::Result<RegisterKeys> validate_register_keys(const boost::json::object& body) {
  const boost::json::string* box_pub = string_field(body, "box_pub");
  const boost::json::string* sign_pub = string_field(body, "sign_pub");
  if (box_pub == nullptr || sign_pub == nullptr) {
    return bad("box_pub and sign_pub required (base64 32-byte keys)", "both must be strings");
  }
  const std::optional<std::string> box_bytes = core::strict_base64_decode(*box_pub);
  const std::optional<std::string> sign_bytes = core::strict_base64_decode(*sign_pub);
  if (!box_bytes || box_bytes->size() != 32u || !sign_bytes || sign_bytes->size() != 32u) {
    return bad("box_pub and sign_pub must be strict canonical base64 of 32 bytes",
               "44 characters of padded base64 each");
  }
  if (!is_acceptable_sign_pub(*sign_bytes)) {
    return bad("box_pub and sign_pub must be strict canonical base64 of 32 bytes",
               "sign_pub is not a valid Ed25519 public key (zero or small-order point)");
  }
  if (!is_acceptable_box_pub(*box_bytes)) {
    return bad("box_pub and sign_pub must be strict canonical base64 of 32 bytes",
               "box_pub is not a valid X25519 public key (non-canonical or small-order point)");
  }
  return RegisterKeys{std::string(*box_pub), std::string(*sign_pub)};
}

core::Result<RegisterSignature> validate_register_signature(const boost::json::object& body,
                                                            int64_t now) {
  const boost::json::string* sig = string_field(body, "register_sig");
  const boost::json::value* ts = body.if_contains("register_ts");
  if (sig == nullptr || ts == nullptr || !ts->is_number()) {
    return bad(kSignatureRequired, "register_sig must be a string and register_ts a number");
  }
  if (core::strict_base64_decoded_size(*sig) != 64u) {
    return bad("register_sig must be strict canonical base64 of 64 bytes",
               "88 characters of padded base64");
  }
  const double ts_value = js_number(*ts);
  if (!(ts_value >= static_cast<double>(now - kRegisterSkewMs) &&
        ts_value <= static_cast<double>(now + kRegisterSkewMs))) {
    return bad("register_ts skew too large", "register_ts must be within ±60 s of the server");
  }
  const std::optional<std::string> ts_text = render_js_number(*ts);
  if (!ts_text) return bad(kSignatureRequired, "register_ts must be an integer of ms");
  return RegisterSignature{static_cast<int64_t>(ts_value), *ts_text, std::string(*sig)};
}

boost::json::object register_meta(const boost::json::object& body) {
  boost::json::object meta;
  const boost::json::value* in = body.if_contains("meta");
  if (in == nullptr || !(in->is_object() || in->is_array())) return meta;
  const boost::json::value* bio = in->is_object() ? in->get_object().if_contains("bio") : nullptr;
  const std::string text = bio == nullptr || js_is_falsy(*bio) ? std::string() : js_string(*bio);
  meta["bio"] = core::truncate_utf16(text, kBioMaxUnits);
  return meta;
}

}  // namespace b2b::identity
