// handover.h — Handover: how a process's books came to a stream part-way.
// A stream changes hands when a server restarts, when a process takes its
// ring back from a server that died or stalled, and when it hands the ring
// to a server again; each new consumer's books begin with this value, with
// the carried-over records (carry_over.h) beside it. The one type for that
// concept: the ledger's books hold it (ProcessBooks::handover), a capture's
// description records it (capture_description.h), a resumed Hello carries
// its process's part (wire_protocol.h: ResumedHandover, SetResumed).
//
// A plain value; no invariants beyond its fields' meanings.
#pragma once

#include <cstdint>

namespace memledger {

struct Handover {
  bool joined_late = false;             // these books did not see the stream from its start
  std::uint64_t handovers = 0;          // times the stream changed hands before these books
  std::uint64_t records_elsewhere = 0;  // records accounted by consumers before these books
  std::uint64_t carried_buffers = 0;    // live buffers handed over with the stream
  std::uint64_t carried_bytes = 0;
  std::uint64_t missed_frees = 0;       // frees of buffers no book here has seen allocated
};

}  // namespace memledger
