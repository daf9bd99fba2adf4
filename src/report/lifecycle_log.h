// lifecycle_log.h — the lifecycle log (MEMLEDGER_LOG, TT_BUFFER_DEBUG_LOG):
// one line per alloc, free, CB and kernel event of a process, with its ids,
// size, thread, tag and symbolized stack, written by the consumer as it
// applies records — never by the hooked thread, so logging cannot change the
// hooked program's timing (the seed tracker's debug log took 10–50 ms per
// event on the hooked thread and hid the race it was chasing).
//
//   <seconds since the first line> <KIND> dev <D> <TYPE> id 0x<ID> addr 0x<A> size <S> tid <T> [tag <TAG>] [at <f> <- <f> ...]
//
// Each stack is symbolized once per process and remembered.
// Not thread-safe: the consumer thread that applies the records.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdio>
#include <memory>
#include <string>

#include "ledger/ledger.h"
#include "symbolize/symbolizer.h"

namespace memledger {

class LifecycleLog {
 public:
  // nullptr and *error when `path` cannot be opened for writing.
  static std::unique_ptr<LifecycleLog> Open(const std::string& path, std::string* error);
  ~LifecycleLog();
  LifecycleLog(const LifecycleLog&) = delete;
  LifecycleLog& operator=(const LifecycleLog&) = delete;

  // Logs `record` of `process` if it is a buffer event; `ledger` has applied it.
  void Write(const Ledger& ledger, ProcessIndex process, const Record& record);
  const std::string& path() const { return path_; }

 private:
  LifecycleLog(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  const std::string& StackText(const ProcessBooks& books, std::uint32_t stack);

  std::FILE* file_;
  std::string path_;
  std::uint64_t first_ns_ = 0;
  Symbolizer symbolizer_;
  absl::flat_hash_map<std::uint32_t, std::string> stack_text_;  // by stack id (one process per log)
};

}  // namespace memledger
