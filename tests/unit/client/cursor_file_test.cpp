#include "client/cursor_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace b2b::client {
namespace {

namespace fs = std::filesystem;

class CursorFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("b2b-cursor-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CursorFileTest, MissingFileIsNoCursorYet) {
  auto c = load_cursor((dir_ / "none.json").string());
  ASSERT_TRUE(c);
  EXPECT_FALSE(c.value().has_value());
}

TEST_F(CursorFileTest, SaveThenLoadRoundTripsAndCreatesPrivateFolders) {
  auto path = (dir_ / "deep" / "cursor.json").string();
  ASSERT_TRUE(save_cursor(path, 1795637923281, "ROOMID", "agent"));
  auto c = load_cursor(path);
  ASSERT_TRUE(c);
  EXPECT_EQ(c.value(), 1795637923281);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(save_cursor(path, 7, "ROOMID", "agent"));  // replaced, not appended
  EXPECT_EQ(load_cursor(path).value(), 7);
}

TEST_F(CursorFileTest, MalformedFileIsAnErrorNotAFreshStart) {
  fs::create_directories(dir_);
  for (const char* text : {"not json", "{}", "{\"seq\":\"5\"}", "{\"seq\":-1}", "[1]"}) {
    std::ofstream((dir_ / "bad.json").string()) << text;
    auto c = load_cursor((dir_ / "bad.json").string());
    EXPECT_FALSE(c) << text;
  }
}

TEST_F(CursorFileTest, DefaultPathsSeparateLabelsAndStayInsideTheStateFolder) {
  ::setenv("XDG_STATE_HOME", dir_.c_str(), 1);
  auto a = default_cursor_path("ROOM1", "agent");
  auto b = default_cursor_path("ROOM1", "agent!");  // same safe characters, other label
  auto c = default_cursor_path("ROOM1", "../../etc/passwd");
  auto d = default_cursor_path("ROOM2", "agent");
  ::unsetenv("XDG_STATE_HOME");
  EXPECT_NE(a, b);
  EXPECT_NE(a, d);
  auto folder = (dir_ / "bot2bot" / "cursors").string();
  for (const auto& p : {a, b, c, d}) {
    EXPECT_EQ(fs::path(p).parent_path().string(), folder) << p;
  }
}

}  // namespace
}  // namespace b2b::client
