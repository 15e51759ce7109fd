// Byte ranges the IDENTITY.md §8 vectors are built from ("bytes 0x0a..0x29").
#pragma once

#include <string>

namespace b2b::client::testing {

inline std::string byte_range(int first, int count) {
  std::string s;
  for (int i = 0; i < count; ++i) s.push_back(static_cast<char>(first + i));
  return s;
}

}  // namespace b2b::client::testing
