// IDENTITY.md §1.2: handle syntax, normalisation and the reserved list.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace b2b::identity {

// Shown verbatim in the register error text (§2.2 step 3).
inline constexpr std::string_view kHandleRegexText = "^[a-z0-9][a-z0-9_-]{1,31}$";

// §1.2 HANDLE_REGEX ^[a-z0-9][a-z0-9_-]{1,31}$: 2 to 32 chars. Registration applies it to
// the body field exactly as sent (no lowercasing, no '@' stripping).
bool is_valid_handle(std::string_view h);

// §1.2 "everywhere else": remove ONE leading '@', then lowercase. The reference uses JS
// toLowerCase; ASCII lowercasing is what we do (the spec says it is enough in practice), so
// U+212A KELVIN SIGN stays non-ASCII and then fails the regex instead of becoming 'k'.
// Percent-decoding of path and query values is the api layer's job and happens first.
std::string normalize_handle(std::string_view raw);

// §1.2: anon, admin, bot2bot, system, root, support, help, demo, echo. Only the operator
// token may register these (§2.4).
bool is_reserved_handle(std::string_view normalized);

// §5.8 claim/ack `handle` and §5.1 `sender_handle`: lowercased (no '@' strip), then
// ^[a-z0-9_-]{1,32}$. Looser than HANDLE_REGEX: "_x" and "a" pass here (and are then
// simply not registered).
bool is_valid_loose_handle(std::string_view lowered);

// Lowercases `raw` and returns it if it passes is_valid_loose_handle; "@alice" fails.
std::optional<std::string> normalize_loose_handle(std::string_view raw);

}  // namespace b2b::identity
