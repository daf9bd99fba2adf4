// module_file_test.cc — OpenModuleFile on what a hostile process could name
// as a module: a FIFO and a device (never opened for reading: the open itself
// would wait or act), a sparse file over 4 GiB, a missing file; and a plain
// file, opened read-only at the same inode.
#include "symbolize/module_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace memledger {
namespace {

class ModuleFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / "memledger-module-XXXXXX").string();
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(ModuleFile, ARegularFileIsOpenedReadOnly) {
  const std::string path = dir_ + "/lib.so";
  std::ofstream(path) << "ELF?";
  std::string refusal;
  const int fd = OpenModuleFile(path, std::nullopt, &refusal);
  ASSERT_GE(fd, 0) << refusal;
  EXPECT_EQ(refusal, "");
  EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_NE(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
  struct stat by_fd{}, by_path{};
  ASSERT_EQ(fstat(fd, &by_fd), 0);
  ASSERT_EQ(stat(path.c_str(), &by_path), 0);
  EXPECT_EQ(by_fd.st_ino, by_path.st_ino);
  close(fd);
}

TEST_F(ModuleFile, AFifoIsNeverOpenedForReading) {
  const std::string path = dir_ + "/fifo.so";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0);
  std::string refusal;
  EXPECT_EQ(OpenModuleFile(path, std::nullopt, &refusal), -1);  // a blocking open would wait here for a writer
  EXPECT_EQ(refusal, "module not a regular file");
}

TEST_F(ModuleFile, DevicesAndDirectoriesAreRefused) {
  std::string refusal;
  for (const char* path : {"/dev/null", "/dev/zero", "/"}) {
    EXPECT_EQ(OpenModuleFile(path, std::nullopt, &refusal), -1) << path;
    EXPECT_EQ(refusal, "module not a regular file") << path;
  }
}

TEST_F(ModuleFile, AFileOver4GiBIsRefused) {
  const std::string path = dir_ + "/huge.so";
  const int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(kMaxModuleFileBytes + 1)), 0);  // sparse
  close(fd);
  std::string refusal;
  EXPECT_EQ(OpenModuleFile(path, std::nullopt, &refusal), -1);
  EXPECT_EQ(refusal, "module larger than 4 GiB");
}

TEST_F(ModuleFile, AMissingFileIsNotARefusal) {
  std::string refusal = "stale";
  EXPECT_EQ(OpenModuleFile(dir_ + "/none.so", std::nullopt, &refusal), -1);
  EXPECT_EQ(refusal, "");
}

}  // namespace
}  // namespace memledger
