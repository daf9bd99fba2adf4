// socket_dir_fixture.h — a fresh directory per test for the socket-path, Unix-socket
// and listening-socket tests, removed afterwards; and the uid of a user other than
// this process's, for files that must belong to someone else (root only).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace memledger {

inline constexpr uid_t kOtherUid = 65534;  // nobody

class SocketDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "memledger-socket-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;  // 0700, ours
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A subdirectory of the test's directory with `mode` (umask aside).
  std::string MakeDir(const std::string& name, mode_t mode) {
    const std::string path = dir_ + "/" + name;
    EXPECT_EQ(mkdir(path.c_str(), 0700), 0);
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path;
  }

  std::string dir_;
};

}  // namespace memledger
