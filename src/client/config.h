// config.h — the client's configuration, read once from the environment.
// A bad value never stops the host program: it gets one warning line and the
// default.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "capture/capture_segments.h"
#include "ring/ring_layout.h"

namespace memledger {

// How allocation stacks are captured (MEMLEDGER_STACKS).
enum class StackUnwinder : std::uint8_t {
  kOff = 0,
  kFramePointers = 1,  // "1", "fp": walk the frame-pointer chain (code built with frame pointers)
  kLibunwind = 2,      // "unwind": libunwind's unw_backtrace (any code with unwind tables; slower)
};
inline constexpr std::uint32_t kDefaultStackDepth = 32;

// Ring sizes (its shared slots; each of its 8 lanes is an eighth of that:
// ring_layout.h) unless MEMLEDGER_RING_SIZE says: a process whose own
// consumer thread drains its ring gets 4 MiB, lanes of 512 KiB a thread,
// small enough to stay in the caches its hooks and that thread share
// (docs/benchmarks.md, "In a real program"); one that hands its ring to a
// server gets 32 MiB, lanes of 4 MiB a thread, since the server drains many
// rings in turn: a thread whose lane fills while the server serves the
// others goes on in the shared slots, and producers that wait for space
// 50 ms make the process take its ring back (server_watch.cc).
inline constexpr std::uint64_t kEmbeddedRingSlots = 1 << 16;
inline constexpr std::uint64_t kServerRingSlots = 1 << 19;

struct ClientConfig {
  bool enabled = false;        // MEMLEDGER=1 (alias TT_ALLOC_TRACKING_ENABLED=1)
  std::string output;          // MEMLEDGER_OUTPUT: capture file path; empty: none
  // MEMLEDGER_OUTPUT_BY_RUN=1 (set by `memledger run`): `output` is the
  // run's private place, and the run says where it puts the file.
  bool output_placed_by_run = false;
  // MEMLEDGER_OUTPUT_ROTATE_BYTES (a size), MEMLEDGER_OUTPUT_ROTATE_SECONDS
  // (a time: 3600, 30m, 1h), MEMLEDGER_OUTPUT_KEEP (segments kept; 0: all):
  // the capture is cut into segments, OUTPUT's "%n" (or ".N" before its
  // ".mlcap") numbering them (capture/capture_segments.h).
  SegmentBounds output_segments;
  std::uint64_t ring_slots = 0;        // MEMLEDGER_RING_SIZE (bytes, K/M/G suffixes); 0: by mode (RingSlots)
  OnFull on_full = OnFull::kBlock;     // MEMLEDGER_ON_FULL=block|drop
  bool exit_report = true;     // MEMLEDGER_REPORT=0 silences the exit report
  // MEMLEDGER_SOCKET: the server to hand the ring to; "none": never (embedded
  // mode). Empty: the default path (server/wire_protocol.h).
  std::string socket;
  // MEMLEDGER_STACKS=1|fp|unwind (alias TT_BUFFER_DEBUG_LOG=1): every alloc
  // and free carries its call stack.
  StackUnwinder stacks = StackUnwinder::kOff;
  std::uint32_t stack_depth = kDefaultStackDepth;  // MEMLEDGER_STACK_DEPTH, 1..64
  std::string skip_frames;  // MEMLEDGER_SKIP_FRAMES: an RE2 pattern of the allocator's frames (memledger_skip_frames)
  // MEMLEDGER_LOG: the lifecycle log's path (%p: the pid); TT_BUFFER_DEBUG_LOG=1
  // alone writes memledger-%p.log in the working directory. Empty: no log.
  std::string log;

  // The ring's shared slots for a process that hands it to a server or drains it itself.
  std::uint64_t RingSlots(bool for_server) const {
    if (ring_slots != 0) return ring_slots;
    return for_server ? kServerRingSlots : kEmbeddedRingSlots;
  }
};
inline constexpr const char* kDefaultLogPath = "memledger-%p.log";

// Looks a variable up; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Parses the configuration. Each bad value adds one line to *warnings and
// leaves the default in place.
ClientConfig ParseClientConfig(const EnvLookup& env, std::vector<std::string>* warnings);

}  // namespace memledger
