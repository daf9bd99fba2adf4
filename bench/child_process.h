// child_process.h — benchmarks that measure whole processes (the simulator,
// the server, a tracked client) start them with these: a clean environment
// (no MEMLEDGER* or TT_* tracking variables from the benchmark's own), the
// binaries beside memledger-bench, output to files.
#pragma once

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
// Waits for `pid`; true when it exited with status 0.
bool ExitedCleanly(pid_t pid);

}  // namespace memledger::bench
