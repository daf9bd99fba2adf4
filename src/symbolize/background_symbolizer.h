// background_symbolizer.h — symbolization off the caller's thread, for a
// server whose one thread must never wait on a file: Frames() answers from
// the frames a worker thread has already read and queues the stacks it has
// not (then says "not yet"); the worker reads them with a Symbolizer of its
// own and signals an eventfd the caller's event loop watches.
//
// Bounds: at most kMaxQueued stacks wait (past it Frames() queues nothing and
// the caller shows module+offset); at most kMaxKnown stacks' frames are kept,
// and past it the worker starts afresh (its Symbolizer's files and caches
// too), so a server's memory for symbols is bounded however many processes
// and builds it sees.
//
// The worker starts with the first stack it is asked for: until then the
// caller's process has no thread of this (a server that forks, as its tests
// do, forks no lock another thread holds).
//
// Thread-safety: Frames(), misses(), idle() and ready_fd() are for one
// caller thread; the worker shares only the state under mutex_.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "symbolize/stack_symbols.h"

namespace memledger {

class BackgroundSymbolizer final : public StackSymbols {
 public:
  static constexpr std::size_t kMaxQueued = 1 << 14;
  static constexpr std::size_t kMaxKnown = 1 << 16;

  BackgroundSymbolizer();
  ~BackgroundSymbolizer() override;
  BackgroundSymbolizer(const BackgroundSymbolizer&) = delete;
  BackgroundSymbolizer& operator=(const BackgroundSymbolizer&) = delete;

  std::optional<std::vector<SymbolizedFrame>> Frames(std::span<const ModuleDescription> modules,
                                                     std::span<const std::uint64_t> stack,
                                                     std::optional<uid_t> reader) override;
  // Readable when the worker has read stacks since the last TakeReady().
  int ready_fd() const { return ready_fd_; }
  void TakeReady();
  // Frames() calls that answered "not yet" since the last ResetMisses().
  std::uint64_t misses() const { return misses_; }
  void ResetMisses() { misses_ = 0; }
  // Nothing queued and nothing being read.
  bool idle() const;

 private:
  struct Request {
    std::string key;
    std::vector<ModuleDescription> modules;
    std::vector<std::uint64_t> stack;
    std::optional<uid_t> reader;
  };
  void Work();

  int ready_fd_;
  std::uint64_t misses_ = 0;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;                     // under mutex_
  std::deque<Request> queue_;                 // under mutex_
  std::size_t reading_ = 0;                   // requests taken by the worker, not yet answered; under mutex_
  absl::flat_hash_map<std::string, std::vector<SymbolizedFrame>> known_;  // by key; under mutex_
  absl::flat_hash_set<std::string> asked_;        // keys queued or being read; under mutex_
  std::thread worker_;  // started by the first Frames() that queues; the caller's thread only
};

}  // namespace memledger
