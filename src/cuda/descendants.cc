// descendants.cc — what the processes a tracked program starts inherit from
// it. LD_PRELOAD brings this library, and libmemledger with it, into every
// one of them: the shell, ldconfig or compiler a framework runs as much as
// a worker. When MEMLEDGER_OUTPUT names one capture file (no %p in it), a
// descendant that tracked would truncate the
// file this process is writing, and the program's books would be lost. So
// the file stays this process's: MEMLEDGER (and its alias) is taken out of
// the environment its descendants inherit, and they run untracked, the
// interposer passing their calls through. Process trees are tracked by the
// server (each process its own ring) or with %p in MEMLEDGER_OUTPUT (as
// `memledger run` sets it: a file per process); in both cases the
// environment is left alone.
//
// Runs once, at load, after libmemledger decided (it is loaded first: a
// dependency), while the program has not started threads of its own.
#include <memledger/memledger.h>

#include <cstdlib>
#include <cstring>

namespace memledger::cuda {
namespace {

__attribute__((constructor)) void KeepTheCaptureFileToThisProcess() {
  const char* output = std::getenv("MEMLEDGER_OUTPUT");
  if (output == nullptr || *output == '\0' || std::strstr(output, "%p") != nullptr) return;
  if (memledger_enabled() == 0) return;  // decides now, if it has not yet: this process reads MEMLEDGER first
  unsetenv("MEMLEDGER");
  unsetenv("TT_ALLOC_TRACKING_ENABLED");
}

}  // namespace
}  // namespace memledger::cuda
