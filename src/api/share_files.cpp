#include "api/share_files.h"

#include <fstream>
#include <sstream>

namespace b2b::api {

namespace fs = std::filesystem;

bool ShareFiles::exists(const std::string& relative) const {
  std::error_code ec;
  return fs::is_regular_file(fs::path(root_) / relative, ec);
}

core::Result<ShareFiles::Body> ShareFiles::read(const std::string& relative) {
  return load(relative, relative, nullptr);
}

core::Result<ShareFiles::Body> ShareFiles::read_transformed(const std::string& relative,
                                                            const std::string& cache_key,
                                                            const Transform& transform) {
  return load(relative, cache_key, &transform);
}

core::Result<ShareFiles::Body> ShareFiles::load(const std::string& relative,
                                                const std::string& cache_key,
                                                const Transform* transform) {
  const fs::path path = fs::path(root_) / relative;
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec);
  const auto size = ec ? 0 : fs::file_size(path, ec);
  if (ec) return core::Error{"read error", relative + ": " + ec.message()};
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(cache_key);
    if (it != cache_.end() && it->second.mtime == mtime && it->second.size == size) {
      return it->second.body;
    }
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in) return core::Error{"read error", relative + ": cannot be read"};
  std::string content = std::move(bytes).str();
  if (transform) {
    auto out = (*transform)(content);
    if (!out) return out.error();
    content = std::move(out.value());
  }
  auto body = std::make_shared<const std::string>(std::move(content));
  std::lock_guard lock(mu_);
  cache_[cache_key] = Entry{mtime, size, body};
  return body;
}

}  // namespace b2b::api
