#include "api/report_log.h"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

namespace b2b::api {

namespace fs = std::filesystem;

void ReportLog::append(std::string line) {
  worker_.post([this, line = std::move(line)] { append_now(line); });
}

void ReportLog::append_now(const std::string& line) {
  std::error_code ec;
  const fs::path file(path_);
  if (file.has_parent_path()) fs::create_directories(file.parent_path(), ec);
  if (ec) {
    spdlog::error("bug report log: cannot create {}: {}", file.parent_path().string(),
                  ec.message());
    return;
  }
  // §12.4: rotate before appending once the file has grown past the bound.
  const auto size = fs::file_size(file, ec);
  if (!ec && size > max_bytes_) {
    fs::rename(file, fs::path(path_ + ".1"), ec);
    if (ec) spdlog::error("bug report log: cannot rotate {}: {}", path_, ec.message());
  }
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << line << '\n';
  out.flush();
  if (!out) spdlog::error("bug report log: cannot append to {}", path_);
}

}  // namespace b2b::api
