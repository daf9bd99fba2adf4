// client_session.h — the server's side of one tracked process: its control
// socket, a pidfd that says when it exits, and its ring, drained into the
// shared Ledger, and, with `memledger serve --capture DIR`, into the
// process's capture file as the ledger applied it.
//
// Not thread-safe: owned and used by the server's loop thread. The process
// may be hostile: its ring is validated at attach (a sealed memfd), drained
// with bounds, and a ring that stops publishing stalls only this session. A
// slot claimed but not published is waited for as long as the process lives
// (it may be stopped in a debugger): it is given up, and counted, only once
// the process is gone.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_writer.h"
#include "consumer/ring_drain.h"
#include "ledger/ledger.h"

namespace memledger {

class ClientSession {
 public:
  // Takes ownership of control_fd and pidfd (-1 when unavailable). Drains
  // `ring` as the owner of `epoch` (ring_ownership.h: accepted from the
  // process's offer). `capture` (may be null) receives every slot applied.
  ClientSession(int control_fd, int pidfd, pid_t pid, uid_t uid, std::unique_ptr<EventRing> ring,
                std::uint16_t epoch, ProcessIndex process, std::unique_ptr<CaptureWriter> capture);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Why a session ends.
  enum class End {
    kProcessGone,     // it exited: every slot it will ever publish is in the ring
    kServerStopping,  // it lives on: nothing it may still publish is given up
    kRingDamaged,     // its ring faulted (ring_fault_guard.h) and reads zeros now
    kReleased,        // the process took its ring back (released()): the books stop, nothing leaks
  };

  // Applies up to `budget` slots to `ledger`; returns how many were drained.
  std::size_t Drain(Ledger& ledger, std::size_t budget) { return drain_.Drain(ledger, budget); }
  // Applies everything the process published and ends it in the ledger
  // (killed unless it wrote its end record); claimed-but-unpublished slots
  // are abandoned and counted only when the process is gone. Closes its
  // capture file (a write error is reported on stderr).
  void Finish(Ledger& ledger, End how);
  // True when the process has exited (its pidfd says so), or when there is
  // no pidfd to ask (then its hang-up is the best word there is).
  bool ProcessGone() const;
  // True once its ring faulted: the session should end (kRingDamaged).
  bool ring_damaged() const { return ring_->damaged(); }
  // True once the process took its ring back (this server had stopped
  // draining it, or went away): nothing drained since was applied, and the
  // session should end (kReleased).
  bool released() const { return drain_.consumer().lost(); }
  ProcessIndex process() const { return drain_.stream().process(); }
  // Writes the capture's pending chunk when it has waited long enough, so
  // that a server killed later loses at most about a second of it.
  void FlushCaptureIfDue(std::chrono::steady_clock::time_point now) { drain_.FlushCaptureIfDue(now); }

  int control_fd() const { return control_fd_; }
  int pidfd() const { return pidfd_; }
  pid_t pid() const { return pid_; }
  uid_t uid() const { return uid_; }
  std::uint64_t events() const { return drain_.stream().records(); }
  // Slots published and not yet drained (the ring's fill).
  std::uint64_t backlog() const;
  std::uint64_t capacity() const { return ring_->capacity(); }
  std::uint64_t dropped() const { return drain_.consumer().dropped(); }

 private:
  int control_fd_;
  int pidfd_;
  pid_t pid_;
  uid_t uid_;
  std::unique_ptr<EventRing> ring_;
  RingDrain drain_;  // drains *ring_: after it
};

}  // namespace memledger
