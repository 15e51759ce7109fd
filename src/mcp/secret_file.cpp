#include "mcp/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace b2b::mcp {
namespace fs = std::filesystem;

namespace {

core::Error io_error(const std::string& what, const std::string& path) {
  return core::Error{what + " " + path, std::strerror(errno)};
}

bool write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

core::Result<bool> write_secret_file(const std::string& path, const std::string& bytes) {
  const fs::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    if (fs::create_directories(p.parent_path(), ec)) {
      fs::permissions(p.parent_path(), fs::perms::owner_all, ec);
    }
    if (ec) return core::Error{"cannot create " + p.parent_path().string(), ec.message()};
  }
  // A per-process temp name: two servers starting at once each write whole files, and the
  // last rename wins.
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp);
  const bool written = write_all(fd, bytes) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const core::Error e = io_error("cannot write", path);
    ::unlink(tmp.c_str());
    return e;
  }
  return true;
}

core::Result<std::optional<std::string>> read_file_if_exists(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec) && !ec) return std::optional<std::string>{};
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read", path);
  std::ostringstream text;
  text << in.rdbuf();
  return std::optional<std::string>{text.str()};
}

}  // namespace b2b::mcp
