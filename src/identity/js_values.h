// JavaScript value coercions the reference applies to JSON fields before signing or
// storing them (IDENTITY.md §1.6, §2.2 meta, §3.1 String()/Number()). Reproduced exactly
// so that a value a reference client could send cleans to the same bytes here.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace b2b::identity {

// JS Number::toString(x): shortest round-trip digits, exponent form outside
// [1e-7, 1e21), "NaN", "Infinity", "-0" as "0".
std::string js_number_to_string(double x);

// JS falsiness of a JSON value: null, false, 0, -0, NaN and "" are falsy.
bool js_is_falsy(const boost::json::value& v);

// JS String(v): numbers via js_number_to_string, booleans, "null", arrays joined with ","
// (null items empty, nested arrays flattened the same way), objects "[object Object]".
std::string js_string(const boost::json::value& v);

// JS Number(v): numbers as doubles, strings via StringToNumber (trimmed; "" -> 0; decimal,
// exponent, Infinity, 0x/0o/0b; anything else NaN), true/false 1/0, null 0, arrays via
// their String(), objects NaN.
double js_number(const boost::json::value& v);

// ECMAScript StringToNumber on its own.
double js_string_to_number(std::string_view s);

}  // namespace b2b::identity
