#include "client/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace b2b::client {

namespace fs = std::filesystem;

core::Result<std::monostate> write_file_atomically(const std::string& path, std::string_view text,
                                                   mode_t mode) {
  fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path() && !fs::exists(p.parent_path(), ec)) {
    fs::create_directories(p.parent_path(), ec);
    if (ec) return core::Error{"cannot write " + path, ec.message()};
    fs::permissions(p.parent_path(), fs::perms::owner_all, ec);
  }
  // A per-process temp name: two processes replacing the same file never share a temp file.
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());  // a stale temp file must not lend its mode to ours (O_EXCL below)
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return core::Error{"cannot write " + path, tmp + ": " + std::strerror(errno)};
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  bool ok = written == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return core::Error{"cannot write " + path, "short write or fsync failure on " + tmp};
  }
  fs::rename(tmp, p, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    return core::Error{"cannot write " + path, ec.message()};
  }
  return std::monostate{};
}

}  // namespace b2b::client
