#pragma once

#include <string>

namespace b2b::core {

// Random RFC 4122 version-4 UUID, lowercase, 36 chars (ROOMS.md §2.5 `id`).
std::string random_uuid_v4();

}  // namespace b2b::core
