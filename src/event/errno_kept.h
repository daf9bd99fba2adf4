// errno_kept.h — a scope that leaves errno as it found it.
//
// The hooks run inside their callers' code: between a call that failed and
// the caller's read of errno (the allocation a hook records may be that
// call), and in signal handlers. Where a hook's path makes system calls that
// may fail — tracking's start, a wait for ring space, a lane's first pages,
// a thread's stack bounds, a stack walked by libunwind, the module map's
// refresh — it holds an ErrnoKept (a futex wake that succeeds leaves errno).
// Not on the common path: reading errno is a call (__errno_location).
#pragma once

#include <cerrno>

namespace memledger {

class ErrnoKept {
 public:
  ErrnoKept() : saved_(errno) {}
  ~ErrnoKept() { errno = saved_; }
  ErrnoKept(const ErrnoKept&) = delete;
  ErrnoKept& operator=(const ErrnoKept&) = delete;

 private:
  int saved_;
};

}  // namespace memledger
