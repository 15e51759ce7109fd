// ROOMS.md §1.1: integer query/body parameters are parsed the way JavaScript's
// `parseInt(String(v), 10) || default` does, because the old clients rely on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace b2b::core {

// parseInt(s, 10): skip leading whitespace, optional sign, longest run of decimal
// digits, ignore the rest. No digits -> nullopt (NaN). Saturates at the int64 range.
std::optional<int64_t> parse_js_int(std::string_view s);

// `parseInt(s, 10) || fallback`: NaN and 0 both give `fallback`; absent gives `fallback`.
int64_t js_int_or(std::optional<std::string_view> s, int64_t fallback);

// js_int_or followed by a clamp to [lo, hi].
int64_t js_int_clamped(std::optional<std::string_view> s, int64_t fallback, int64_t lo, int64_t hi);

}  // namespace b2b::core
