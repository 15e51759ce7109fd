// The bug-report log (ROOMS.md §12.4): one JSON line per report, appended to a file that is
// rotated to `<file>.1` once it exceeds its size bound. Appends run on the SideWorker, so
// they are serialised and never block an event loop; failures are logged, never returned
// to the client.
#pragma once

#include <cstddef>
#include <string>

#include "api/side_worker.h"

namespace b2b::api {

class ReportLog {
 public:
  ReportLog(SideWorker& worker, std::string path, std::size_t max_bytes)
      : worker_(worker), path_(std::move(path)), max_bytes_(max_bytes) {}

  // `line` is one serialised JSON object without the trailing newline.
  void append(std::string line);

  const std::string& path() const { return path_; }

 private:
  void append_now(const std::string& line);

  SideWorker& worker_;
  const std::string path_;
  const std::size_t max_bytes_;
};

}  // namespace b2b::api
