// Process logging: one stdout logger for the access log (§14.1) and operational messages.
#pragma once

#include <string>

namespace b2b::api {

// Lines are buffered and flushed every second (and at once for warnings and errors), so
// logging a request costs a memcpy, not a write(2) — an access line per request would
// otherwise cap throughput.
void setup_logging(const std::string& level);
void flush_logs();

}  // namespace b2b::api
