// A signed directory profile (IDENTITY.md §3.1–§3.3) as PUT /api/agents/{handle} reads it,
// and the canonical JSON (§3.2) of any JSON value: it must be valid JSON whose canonical
// form is itself (idempotent), or the signature would cover different bytes than served.
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_parse.h"
#include "identity/agent_profile.h"
#include "identity/canonical_json.h"

namespace {

constexpr int64_t kNow = 1'790'000'000'000;  // a fixed clock keeps runs reproducible

boost::json::value parse(std::string_view text, boost::system::error_code& ec) {
  boost::json::parse_options opts;
  opts.max_depth = 32;
  return b2b::core::parse_json(text, ec, opts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code ec;
  const boost::json::value v =
      parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;

  const std::string canonical = b2b::identity::canonical_json(v);
  const boost::json::value again = parse(canonical, ec);
  if (ec) __builtin_trap();
  if (b2b::identity::canonical_json(again) != canonical) __builtin_trap();

  b2b::identity::ProfileCleaningOptions opts;
  opts.now_ms = kNow;
  auto cleaned = b2b::identity::clean_profile(v, "alice", opts);
  if (cleaned) {
    if (cleaned.value().canonical_json.size() > b2b::identity::kProfileMaxBytes) __builtin_trap();
    // Not checked: that a stored profile survives the cleaning at load (§3.11) unchanged.
    // The spec makes it fail on purpose-built input: token() may end in '-' after its cut,
    // which a second pass strips, and homepage_url is cut to 240 after normalising, which
    // can leave an unparseable URL (fuzz finds both within seconds).
  }
  return 0;
}
