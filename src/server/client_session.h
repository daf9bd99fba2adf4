// client_session.h — the server's side of one tracked process: its control
// socket, a pidfd that says when it exits, and its ring, drained into the
// shared Ledger, and, with `memledger serve --capture DIR`, into the
// process's capture file as the ledger applied it.
//
// Not thread-safe: owned and used by the server's loop thread. The process
// may be hostile: its ring is validated at attach, drained with bounds, and a
// ring that stops publishing stalls only this session.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "capture/capture_writer.h"
#include "ledger/ledger.h"
#include "ledger/process_stream.h"
#include "ring/ring_consumer.h"

namespace memledger {

class ClientSession {
 public:
  // Takes ownership of control_fd and pidfd (-1 when unavailable). `capture`
  // (may be null) receives every slot applied.
  ClientSession(int control_fd, int pidfd, pid_t pid, uid_t uid, std::unique_ptr<EventRing> ring,
                ProcessIndex process, std::unique_ptr<CaptureWriter> capture);
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  // Applies up to `budget` slots to `ledger`; returns how many were drained.
  std::size_t Drain(Ledger& ledger, std::size_t budget);
  // The process hung up or exited: applies everything it published and ends
  // it in the ledger (killed unless it wrote its end record); closes its
  // capture file (a write error is reported on stderr).
  void Finish(Ledger& ledger);
  // Writes the capture's pending chunk when it has waited long enough, so
  // that a server killed later loses at most about a second of it.
  void FlushCaptureIfDue(std::chrono::steady_clock::time_point now);

  int control_fd() const { return control_fd_; }
  int pidfd() const { return pidfd_; }
  pid_t pid() const { return pid_; }
  uid_t uid() const { return uid_; }
  std::uint64_t events() const { return stream_.records(); }
  // Slots published and not yet drained (the ring's fill).
  std::uint64_t backlog() const;
  std::uint64_t capacity() const { return ring_->capacity(); }
  std::uint64_t dropped() const;

 private:
  int control_fd_;
  int pidfd_;
  pid_t pid_;
  uid_t uid_;
  std::unique_ptr<EventRing> ring_;
  RingConsumer consumer_;
  ProcessStream stream_;
  std::vector<Event> batch_;
  std::unique_ptr<CaptureWriter> capture_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
};

}  // namespace memledger
