// String rules of ROOMS.md §1.3–§1.5 and §2.1. Lengths count UTF-16 code units, as
// JavaScript does, because the old clients and tests measure them that way.
// Inputs are expected to be UTF-8 (the JSON parser rejects anything else; query strings
// may not be): a malformed byte counts as one unit and never passes a validity check.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace b2b::core {

// Number of UTF-16 code units the UTF-8 string would occupy (astral chars count 2).
std::size_t utf16_length(std::string_view utf8);

// The longest prefix of `utf8` that fits in `max_units` UTF-16 code units, never
// splitting a code point.
std::string_view truncate_utf16(std::string_view utf8, std::size_t max_units);

// §2.1: ^[A-Za-z0-9_-]{4,64}$, case-sensitive.
bool is_valid_room_id(std::string_view id);

// §1.4 presence/display name: truncate to 64 UTF-16 units, then require
// ^[A-Za-z0-9@._\-\u00A0-\uFFFF]{1,64}$ (astral chars allowed). §20.23 fix: bidi
// controls (Unicode Bidi_Control: U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)
// are also refused. A surrogate pair that straddles unit 64 is dropped whole (JavaScript
// would keep its lone high surrogate, which UTF-8 cannot carry).
// Returns the (possibly truncated) name, or nullopt if invalid.
std::optional<std::string> normalize_presence_name(std::string_view name);

// §1.3 lenient box_pub check: length 40–64 chars; `-`/`_` read as `+`/`/`; characters
// outside the alphabet skipped; decoding stops at the first `=`; must yield exactly 32
// bytes (i.e. exactly 43 alphabet characters before any `=`).
bool is_valid_box_pub(std::string_view s);

// §20.23 fix for sender labels: false if the label contains C0 controls, DEL, C1
// controls or bidi controls (the set above). Everything else is allowed.
bool is_clean_label(std::string_view utf8);

}  // namespace b2b::core
