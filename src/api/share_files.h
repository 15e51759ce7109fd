// Files the relay serves from its share directory (the SDK, the docs, Swagger UI's assets),
// read through a cache that re-reads a file when its mtime or size changes, so editing a
// doc needs no restart and an unchanged file costs a stat(2). Callers name files by fixed
// relative paths from the route table's allowlist; no request text ever becomes a path.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/result.h"

namespace b2b::api {

class ShareFiles {
 public:
  using Body = std::shared_ptr<const std::string>;
  // Turns a file's bytes into what is served (rendered HTML, a patched JSON document).
  using Transform = std::function<core::Result<std::string>(const std::string&)>;

  explicit ShareFiles(std::string root) : root_(std::move(root)) {}

  // The file's bytes, or an error naming the file (never the request).
  core::Result<Body> read(const std::string& relative);
  // `transform(bytes)`, cached under `cache_key` until the file changes.
  core::Result<Body> read_transformed(const std::string& relative, const std::string& cache_key,
                                      const Transform& transform);

  // Whether `relative` names a regular file (for request-named assets: absent is a 404).
  bool exists(const std::string& relative) const;

  const std::string& root() const { return root_; }

 private:
  struct Entry {
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    Body body;
  };
  core::Result<Body> load(const std::string& relative, const std::string& cache_key,
                          const Transform* transform);

  const std::string root_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace b2b::api
