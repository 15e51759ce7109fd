// Wall-clock milliseconds. Domain functions take `now_ms` as a parameter so that unit
// tests drive time explicitly; only the api layer reads the clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace b2b::core {

inline int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace b2b::core
