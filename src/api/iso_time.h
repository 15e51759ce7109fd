// `2026-04-20T10:00:00.000Z`: JavaScript's Date#toISOString, which the reference's
// `started_at` and bug-report `ts` fields used.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace b2b::api {

inline std::string iso8601_utc(int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[40];
  std::snprintf(out, sizeof out, "%s.%03dZ", date, static_cast<int>(ms % 1000));
  return out;
}

}  // namespace b2b::api
