// JavaScript string operations that end up inside signed bytes (IDENTITY.md §3.1) or in
// search semantics (§3.5): String.prototype.trim, toLowerCase and slice. Strings are
// UTF-8 here and UTF-16 in JavaScript, so lengths are counted in UTF-16 code units.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace b2b::identity {

// §3.1 "trimmed": JS String.prototype.trim. Removes leading and trailing code points
// from exactly U+0009–U+000D, U+0020, U+00A0, U+1680, U+2000–U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000, U+FEFF (not C isspace, not Python strip: U+001C–U+001F stay).
std::string_view js_trim(std::string_view s);

// JS toLowerCase, approximated. Exact where it matters for signed bytes: ASCII, and the
// only two non-ASCII code points whose lowercase contains ASCII (U+212A KELVIN SIGN -> "k",
// U+0130 -> "i" U+0307), so token() and the forbidden-substring scan match the reference.
// Elsewhere (search only) the common alphabets are covered: Latin-1, Latin Extended-A and
// Additional, Greek, Cyrillic, Armenian, Georgian, fullwidth Latin, letterlike symbols.
std::string js_to_lower(std::string_view s);

// ASCII-only lowercase (handles, §1.2: "ASCII lowercasing is enough in practice").
std::string ascii_lower(std::string_view s);

// JS s.slice(0, max_units) measured in UTF-16 code units. nullopt when the cut would
// split a surrogate pair: JavaScript would keep a lone high surrogate, which UTF-8 cannot
// carry; §11 recommends refusing such input rather than guessing.
std::optional<std::string_view> js_slice_utf16(std::string_view s, std::size_t max_units);

}  // namespace b2b::identity
