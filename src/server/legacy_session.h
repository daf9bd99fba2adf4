// legacy_session.h — the server's side of one client of the tracker this
// project replaces (../shared/reference/legacy-protocol.md): a stream of
// fixed-size messages of one configured generation, decoded, booked in the
// shared Ledger as that process's events (sequence numbers in arrival order,
// which the old client's global mutex made its hook order), and QUERY and
// DEVICE_INFO_QUERY answered from the ledger.
//
// Not thread-safe: owned and used by the server's loop thread. The sender's
// pid is SO_PEERCRED's, never the message's claim.
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "ledger/ledger.h"
#include "legacy/legacy_decoder.h"

namespace memledger {

class LegacySession {
 public:
  // Takes ownership of `fd` (a connected, non-blocking stream socket).
  LegacySession(int fd, pid_t pid, legacy::LegacyVersion version, ProcessIndex process);
  ~LegacySession();
  LegacySession(const LegacySession&) = delete;
  LegacySession& operator=(const LegacySession&) = delete;

  // Reads what arrived and books it. False once the client has hung up.
  bool OnReadable(Ledger& ledger);
  // The client is gone: its live buffers become its leaks.
  void Finish(Ledger& ledger);
  int fd() const { return fd_; }

 private:
  void Handle(Ledger& ledger, const legacy::LegacyMessage& message);
  void Reply(const legacy::EncodedMessage& reply);

  int fd_;
  pid_t pid_;
  legacy::LegacyDecoder decoder_;
  ProcessIndex process_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t unsent_replies_ = 0;
};

}  // namespace memledger
