// IDENTITY.md §3.2 canonical JSON: the bytes a profile signature covers (via T5's
// profile_hash), so they must match the reference's JSON.stringify-based output exactly.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace b2b::identity {

// ECMAScript JSON.stringify escaping for strings (\" \\ \b \f \n \r \t, \u00xx lowercase for
// the other controls below U+0020, everything else raw UTF-8 including '/', DEL, U+2028),
// object keys sorted by UTF-16 code units, arrays in order, numbers as JS prints them
// (integers plainly), no whitespace.
std::string canonical_json(const boost::json::value& v);

// Appends the JSON.stringify form of one string, quotes included.
void append_json_string(std::string& out, std::string_view utf8);

// Ordering of object keys by UTF-16 code units (differs from UTF-8 byte order only between
// astral characters and U+E000–U+FFFF).
bool utf16_less(std::string_view a, std::string_view b);

}  // namespace b2b::identity
