// Helpers of the SQLite store tests: a scratch data dir and a second, independent SQLite
// connection; the backend-neutral ones (blocking writes, sample records) are in store_samples.h.
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/sqlite_store.h"
#include "store/store.h"
#include "store_samples.h"

namespace b2b::store::testing {

// A fresh directory under the test temp dir, removed with everything in it.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = ::testing::TempDir() + "b2b-store-XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string path() const { return path_.string(); }
  std::string data_dir() const { return (path_ / "data").string(); }
  std::string db_file() const { return (path_ / "data" / "bot2bot.db").string(); }

 private:
  std::filesystem::path path_;
};

inline std::unique_ptr<Store> must_open(const std::string& data_dir) {
  auto opened = open_sqlite_store(data_dir);
  if (!opened) {
    ADD_FAILURE() << opened.error().error << ": " << opened.error().detail;
    return nullptr;
  }
  return std::move(opened).value();
}

// A second connection to the same file, as an outsider (another process) would see it.
class RawDb {
 public:
  explicit RawDb(const std::string& file, int flags = SQLITE_OPEN_READONLY) {
    rc_ = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  sqlite3* get() const { return db_; }

  // The first column of the first row as text, or "<rc N>" on failure, "<none>" if no row.
  std::string scalar(const std::string& sql) const {
    sqlite3_stmt* s = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr);
    std::string out = "<rc " + std::to_string(rc) + ">";
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        out = p ? p : "NULL";
      } else {
        out = rc == SQLITE_DONE ? "<none>" : "<rc " + std::to_string(rc) + ">";
      }
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
  int rc_ = SQLITE_OK;
};

}  // namespace b2b::store::testing
