// IDENTITY.md §3.1 `homepage_url`: the reference stores `new URL(v).toString()` (WHATWG
// URL Standard), and the value is inside the signed profile, so the serialisation must
// match for every URL an honest client would send.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace b2b::identity {

// A WHATWG-style parse and serialisation restricted to what a homepage needs:
//  * leading/trailing C0 controls and spaces stripped, tabs and newlines removed;
//  * scheme lowercased; only http and https are accepted (400 "invalid homepage_url"),
//    a missing or malformed scheme is a parse failure (400 "Invalid URL", Node's text);
//  * any number of '/' or '\' after "http:" starts the authority, '\' separates path
//    segments (special-scheme rules);
//  * userinfo and path and query percent-encoded with the standard's encode sets;
//  * host: percent-decoded, lowercased, non-ASCII labels to punycode ("xn--"), forbidden
//    code points refused; IPv4 in all the standard's forms (0x7f.1) serialised dotted;
//    IPv6 (parsed by Boost.URL) serialised compressed;
//  * port: digits only, <= 65535, default port (80/443) removed;
//  * "." and ".." segments resolved (also %2e forms), "/" for an empty path;
//  * a non-empty fragment is refused (400 "invalid homepage_url"); an empty one ("#")
//    is kept, as in the reference.
// Not reproduced (documented approximation): full UTS #46 mapping (NFC, compatibility
// mappings other than fullwidth forms and ideographic full stops) and punycode label
// validation. Such URLs normalise differently and their profiles then fail with 401.
core::Result<std::string> normalize_homepage_url(std::string_view input);

}  // namespace b2b::identity
