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
#include <optional>
#include <string>
#include <vector>

#include "capture/capture_writer.h"
#include "consumer/ring_drain.h"
#include "ledger/ledger.h"
#include "server/epoll_set.h"
#include "server/session.h"

namespace memledger {

class ClientSession final : public Session {
 public:
  // Takes ownership of control_fd and pidfd (-1 when unavailable). Drains
  // `ring` as the owner of `epoch` (ring_ownership.h: accepted from the
  // process's offer). `capture` (may be null) receives every slot applied.
  // `epoll`: the loop's, which watches control_fd (and outlives the session).
  ClientSession(int control_fd, int pidfd, EpollSet& epoll, pid_t pid, uid_t uid, std::unique_ptr<EventRing> ring,
                std::uint16_t epoch, ProcessIndex process, std::unique_ptr<CaptureWriter> capture);
  ~ClientSession() override;
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  pid_t pid() const override { return pid_; }
  uid_t uid() const override { return uid_; }
  std::optional<ProcessIndex> process() const override { return drain_.stream().process(); }
  // A client sends nothing after its Hello: data or a hang-up. Gone, the
  // session ends; alive (or exiting: the socket closes before the pidfd
  // reports the exit), what it may still publish is waited for, the socket
  // is no longer watched, and its pidfd ends the session.
  bool OnReadable(Ledger& ledger, const Services& services) override;
  std::optional<End> Drain(Ledger& ledger, std::size_t budget) override;
  // Says (on stderr) what went wrong at a seam of its capture's segments, too.
  void FlushCaptureIfDue(std::chrono::steady_clock::time_point now) override;
  // Applies everything the process published and ends it in the ledger
  // (killed unless it wrote its end record; released when it took its ring
  // back); claimed-but-unpublished slots are abandoned and counted only
  // when the process is gone (kConnectionOver with its pidfd readable).
  void Finish(Ledger& ledger, End how, LogLimiter& log) override;
  int watched_pidfd() const override { return pidfd_; }
  std::uint64_t dropped() const override { return drain_.consumer().dropped(); }
  double ring_fill() const override;

  // True when the process has exited (its pidfd says so), or when there is
  // no pidfd to ask (then its hang-up is the best word there is).
  bool ProcessGone() const;
  std::uint64_t events() const { return drain_.stream().records(); }

 private:
  int control_fd_;
  int pidfd_;
  EpollSet& epoll_;
  pid_t pid_;
  uid_t uid_;
  std::unique_ptr<EventRing> ring_;
  RingDrain drain_;  // drains *ring_: after it
};

}  // namespace memledger
