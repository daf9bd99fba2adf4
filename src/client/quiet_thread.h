// quiet_thread.h — threads the client library starts inside the application
// (the embedded consumer, the server watcher) take none of the application's
// signals: a process-directed SIGUSR1, SIGINT or SIGTERM must reach the
// application's own threads and handlers, not ours. The mask is set before
// the thread exists, so there is no window in which it could take one.
// Each is named (at most 15 characters), so that `top -H`, perf and the
// benchmarks tell memledger's threads from the application's.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <functional>
#include <thread>
#include <utility>

namespace memledger {

inline std::thread StartQuietThread(const char* name, std::function<void()> fn) {
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &saved);
  std::thread thread(std::move(fn));
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  pthread_setname_np(thread.native_handle(), name);
  return thread;
}

// The names the library's threads go by.
inline constexpr char kConsumerThreadName[] = "memledger-drain";
inline constexpr char kWatcherThreadName[] = "memledger-watch";
static_assert(sizeof(kConsumerThreadName) <= 16 && sizeof(kWatcherThreadName) <= 16, "a thread name holds 15 bytes");

}  // namespace memledger
