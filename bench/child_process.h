// child_process.h — benchmarks that measure whole processes (the simulator,
// the server, a tracked client) start them with these: a clean environment
// (no MEMLEDGER* or TT_* tracking variables from the benchmark's own), the
// binaries beside memledger-bench, output to files; a server to track them.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace memledger::bench {

// The directory memledger-bench runs from (build/bin).
std::string BinDir();
// This process's environment without memledger's variables, plus `extra` ("NAME=value").
std::vector<std::string> CleanEnvironment(const std::vector<std::string>& extra);
// Starts args[0] with `env`; stdout and stderr to those files (appended). -1 on failure.
pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
            const std::string& stdout_path = "/dev/null", const std::string& stderr_path = "/dev/null");
// Waits for `pid`; true when it exited with status 0 (false for no pid: -1).
// With `usage`: the child's own resource use (its peak RSS: ru_maxrss).
bool ExitedCleanly(pid_t pid, rusage* usage = nullptr);

// `memledger serve --socket socket_path *extra_args`, its stderr to
// `stderr_path`, once it accepts connections (at most 5 s); -1 when it
// could not be started or did not answer (then it is killed). Check before
// signalling it: kill(-1, ...) signals every process the user owns.
pid_t StartServer(const std::string& socket_path, const std::string& stderr_path,
                  const std::vector<std::string>& extra_args = {});
// The whole of a (small) file; empty when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace memledger::bench
