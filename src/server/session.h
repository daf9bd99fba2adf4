// session.h — what the server's loop asks of a connection that books a
// process, whatever protocol it speaks: a memledger client, whose ring the
// session drains (ClientSession), or a client of the tracker this project
// replaces, whose messages arrive on the socket (LegacySession). The loop
// keeps both kinds in one table by socket and turns them alike: their
// socket's activity, a drain of what arrived, a capture flushed when due, an
// end.
//
// Not thread-safe: sessions are owned and used by the server's loop thread.
#pragma once

#include <sys/types.h>

#include <absl/functional/function_ref.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "ledger/ledger.h"
#include "legacy/legacy_references.h"
#include "legacy/legacy_protocol.h"
#include "server/log_limiter.h"

namespace memledger {

class Session {
 public:
  // Why a session ends.
  enum class End {
    kConnectionOver,  // its socket says so: the process exited, or the legacy client hung up
    kServerStopping,  // the process lives on: nothing it may still publish is given up
    kRingDamaged,     // its ring faulted (ring_fault_guard.h) and reads zeros now
    kReleased,        // the process took its ring back: the books stop, nothing leaks
  };
  // Lists what every legacy connection holds, for `requester`'s DUMP_REMAINING or DUMP_KERNELS.
  using DumpRequest = absl::FunctionRef<void(legacy::MessageType request, pid_t requester)>;
  // What a session may use of the server while it reads its socket. `dump`
  // refers to a callable it does not own (a FunctionRef): make the callable
  // a named local that outlives the Services, never a temporary.
  struct Services {
    LogLimiter& log;   // the server's log, for what peers make it write
    DumpRequest dump;  // a legacy client's dump request
  };

  virtual ~Session() = default;

  // Who the connection is: SO_PEERCRED's, never a message's claim.
  virtual pid_t pid() const = 0;
  virtual uid_t uid() const = 0;
  // Its process in the books; none while a legacy connection has only asked
  // (a monitor), and so is not a tracked process.
  virtual std::optional<ProcessIndex> process() const = 0;
  // The socket is readable or hung up: handles it. False when the session
  // should end now (End::kConnectionOver).
  virtual bool OnReadable(Ledger& ledger, const Services& services) = 0;
  // Applies up to `budget` slots its process published since (a ring's);
  // nullopt, or the end the session must take now (its ring faulted, or
  // went back to its process).
  virtual std::optional<End> Drain(Ledger& ledger, std::size_t budget) = 0;
  // Writes the capture's pending chunk when it has waited long enough, so
  // that a server killed later loses at most about a second of it.
  virtual void FlushCaptureIfDue(std::chrono::steady_clock::time_point now) = 0;
  // Books what is left and ends the process's stream (how: see the
  // implementations); closes its capture (a write error said on `log`).
  virtual void Finish(Ledger& ledger, End how, LogLimiter& log) = 0;
  // A pidfd of its process the loop watches (-1: none): readable once the
  // process exited, and then the session ends (End::kConnectionOver).
  virtual int watched_pidfd() const { return -1; }

  // For the server's status and metrics: records its process's full ring
  // refused (the drop policy), and how full its ring is now (0..1).
  virtual std::uint64_t dropped() const { return 0; }
  virtual double ring_fill() const { return 0; }
  // What the old tracker's DUMP_REMAINING lists of it: a legacy
  // connection's buffers; none for a memledger client (`memledger status`
  // and reports show those).
  virtual std::vector<legacy::HeldBuffer> Held() const { return {}; }
};

}  // namespace memledger
