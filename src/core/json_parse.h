// JSON text to a boost::json::value with correctly rounded numbers. Boost.JSON 1.81 rounds
// about one decimal in eight to a neighbouring double (e.g. "1.79e+59"), while JavaScript's
// JSON.parse rounds correctly; a signed profile whose String()-ed number or canonical JSON
// (IDENTITY.md §3.2) came out one ulp off would fail an honest client's signature. Found
// by fuzz/targets/agent_profile.cpp.
#pragma once

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace b2b::core {

// Like boost::json::parse(text, ec, {}, options), except that every non-integer number is
// the double nearest to its decimal text (std::from_chars).
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              const boost::json::parse_options& options);

}  // namespace b2b::core
