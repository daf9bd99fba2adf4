// socket_path_test.cc — the socket's place (socket_path.h): which
// directories count as private or fit to hold a socket, where the default
// socket goes when $XDG_RUNTIME_DIR is not private, and that the server's
// private directory in /tmp is made 0700 and refused when someone else's.
#include "control/socket_path.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "../support/socket_dir_fixture.h"

namespace memledger {
namespace {

using SocketPath = SocketDirTest;

TEST_F(SocketPath, APrivateDirectoryIsOneOfThisUsersThatNoOneElseCanWriteIn) {
  const uid_t me = geteuid();
  EXPECT_EQ(PrivateDirectoryProblem(MakeDir("private", 0700), me), "");
  EXPECT_EQ(PrivateDirectoryProblem(MakeDir("readable", 0755), me), "");
  EXPECT_NE(PrivateDirectoryProblem(MakeDir("open", 0777), me).find("writable by everyone"), std::string::npos);
  EXPECT_NE(PrivateDirectoryProblem(MakeDir("group", 0770), me).find("writable by its group"), std::string::npos);
  EXPECT_NE(PrivateDirectoryProblem(MakeDir("sticky", 01777), me).find("writable by everyone"), std::string::npos);
  ASSERT_EQ(symlink((dir_ + "/private").c_str(), (dir_ + "/link").c_str()), 0);
  EXPECT_NE(PrivateDirectoryProblem(dir_ + "/link", me).find("symbolic link"), std::string::npos);
  EXPECT_NE(PrivateDirectoryProblem(dir_ + "/missing", me), "");
  EXPECT_NE(PrivateDirectoryProblem(dir_ + "/private", me + 1).find("belongs to uid"), std::string::npos);
}

TEST_F(SocketPath, ADirectoryFitForASocketIsOwnedByATrustedUserAndWritableByNoOneElseUnlessSticky) {
  const uid_t me[] = {geteuid()};
  EXPECT_EQ(SharedDirectoryProblem(MakeDir("mine", 0755) + "/s.sock", me), "");
  EXPECT_EQ(SharedDirectoryProblem(MakeDir("sticky", 01777) + "/s.sock", me), "");
  EXPECT_NE(SharedDirectoryProblem(MakeDir("open", 0777) + "/s.sock", me).find("writable by everyone"),
            std::string::npos);
  EXPECT_EQ(SharedDirectoryProblem("/tmp/s.sock", me), "");  // root's, sticky
  bool missing = false;
  EXPECT_NE(SharedDirectoryProblem(dir_ + "/nowhere/s.sock", me, &missing), "");
  EXPECT_TRUE(missing);
  if (geteuid() != 0) GTEST_SKIP() << "a directory of another user needs root to make";
  const std::string theirs = MakeDir("theirs", 0755);
  ASSERT_EQ(chown(theirs.c_str(), kOtherUid, kOtherUid), 0);
  EXPECT_NE(SharedDirectoryProblem(theirs + "/s.sock", me, &missing).find("belongs to uid 65534"), std::string::npos);
  EXPECT_FALSE(missing);
  const uid_t trusting[] = {geteuid(), kOtherUid};
  EXPECT_EQ(SharedDirectoryProblem(theirs + "/s.sock", trusting), "");
}

TEST_F(SocketPath, TheDefaultIsXdgRuntimeDirOnlyWhenItIsPrivate) {
  const uid_t me = geteuid();
  const std::string runtime = MakeDir("runtime", 0700);
  DefaultSocket choice = ChooseDefaultSocket(runtime.c_str(), dir_, me);
  EXPECT_EQ(choice.path, runtime + "/memledger.sock");
  EXPECT_FALSE(choice.in_tmp);

  const std::string open = MakeDir("open", 0777);
  choice = ChooseDefaultSocket(open.c_str(), dir_, me);
  EXPECT_EQ(choice.path, dir_ + "/memledger-" + std::to_string(me) + "/memledger.sock");
  EXPECT_TRUE(choice.in_tmp);
  EXPECT_NE(choice.xdg_passed_over.find("writable by everyone"), std::string::npos);

  choice = ChooseDefaultSocket(nullptr, dir_, me);
  EXPECT_EQ(choice.path, dir_ + "/memledger-" + std::to_string(me) + "/memledger.sock");
  EXPECT_EQ(choice.xdg_passed_over, "");
  EXPECT_EQ(ChooseDefaultSocket("", dir_, me).path, choice.path);
}

class ServerSocketPathTest : public SocketDirTest {
 protected:
  void SetUp() override {
    SocketDirTest::SetUp();
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR")) saved_runtime_ = runtime;
    unsetenv("XDG_RUNTIME_DIR");
    private_dir_ = dir_ + "/memledger-" + std::to_string(geteuid());
  }
  void TearDown() override {
    if (!saved_runtime_.empty()) setenv("XDG_RUNTIME_DIR", saved_runtime_.c_str(), 1);
    SocketDirTest::TearDown();
  }
  std::string saved_runtime_;
  std::string private_dir_;
};

TEST_F(ServerSocketPathTest, MakesItsPrivateDirectory0700) {
  std::string error;
  const auto path = ServerSocketPath("", &error, dir_);
  ASSERT_TRUE(path) << error;
  EXPECT_EQ(*path, private_dir_ + "/memledger.sock");
  struct stat st{};
  ASSERT_EQ(lstat(private_dir_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(ServerSocketPath("", &error, dir_), path);  // and uses it again
}

TEST_F(ServerSocketPathTest, RefusesAPrivateDirectoryOthersCanWriteIn) {
  ASSERT_EQ(mkdir(private_dir_.c_str(), 0700), 0);
  ASSERT_EQ(chmod(private_dir_.c_str(), 0777), 0);
  std::string error;
  EXPECT_FALSE(ServerSocketPath("", &error, dir_));
  EXPECT_NE(error.find(private_dir_ + " is writable by everyone"), std::string::npos) << error;
}

TEST_F(ServerSocketPathTest, RefusesASymlinkInPlaceOfThePrivateDirectory) {
  const std::string elsewhere = MakeDir("elsewhere", 0700);
  ASSERT_EQ(symlink(elsewhere.c_str(), private_dir_.c_str()), 0);
  std::string error;
  EXPECT_FALSE(ServerSocketPath("", &error, dir_));
  EXPECT_NE(error.find(private_dir_ + " is a symbolic link"), std::string::npos) << error;
}

TEST_F(ServerSocketPathTest, RefusesAPrivateDirectoryOfAnotherUser) {
  if (geteuid() != 0) GTEST_SKIP() << "a directory of another user needs root to make";
  ASSERT_EQ(mkdir(private_dir_.c_str(), 0700), 0);
  ASSERT_EQ(chown(private_dir_.c_str(), kOtherUid, kOtherUid), 0);
  std::string error;
  EXPECT_FALSE(ServerSocketPath("", &error, dir_));
  EXPECT_NE(error.find("belongs to uid 65534"), std::string::npos) << error;
}

TEST_F(ServerSocketPathTest, AnExplicitPathIsTakenAsGiven) {
  std::string error;
  EXPECT_EQ(ServerSocketPath("/somewhere/x.sock", &error, dir_), "/somewhere/x.sock");
}

}  // namespace
}  // namespace memledger
