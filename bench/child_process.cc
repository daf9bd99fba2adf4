// child_process.cc — see child_process.h.
#include "child_process.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "control/unix_socket.h"

extern char** environ;

namespace memledger::bench {

std::string BinDir() {
  char self[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  const std::string path(self, n > 0 ? static_cast<std::size_t>(n) : 0);
  return path.substr(0, path.rfind('/'));
}

std::vector<std::string> CleanEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "MEMLEDGER", 9) != 0 && std::strncmp(*e, "TT_ALLOC_TRACKING", 17) != 0 &&
        std::strncmp(*e, "TT_BUFFER_DEBUG_LOG", 19) != 0) {
      env.emplace_back(*e);
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env, const std::string& stdout_path,
            const std::string& stderr_path) {
  std::vector<char*> argv, envp;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

pid_t StartServer(const std::string& socket_path, const std::string& stderr_path,
                  const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {BinDir() + "/memledger", "serve", "--socket", socket_path};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const pid_t pid = Spawn(args, CleanEnvironment({}), "/dev/null", stderr_path);
  if (pid < 0) return -1;
  for (int i = 0; i < 500; ++i) {
    const int fd = ConnectUnixSocket(socket_path, SOCK_SEQPACKET);
    if (fd >= 0) {
      close(fd);
      return pid;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ExitedCleanly(pid_t pid, rusage* usage) {
  if (pid <= 0) return false;  // never waitpid(-1): any child
  int status = 0;
  rusage own{};
  if (wait4(pid, &status, 0, usage != nullptr ? usage : &own) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace memledger::bench
