// config.h — the client's configuration, read once from the environment.
// A bad value never stops the host program: it gets one warning line and the
// default.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ring/ring_layout.h"

namespace memledger {

// How allocation stacks are captured (MEMLEDGER_STACKS).
enum class StackUnwinder : std::uint8_t {
  kOff = 0,
  kFramePointers = 1,  // "1", "fp": walk the frame-pointer chain (code built with frame pointers)
  kLibunwind = 2,      // "unwind": libunwind's unw_backtrace (any code with unwind tables; slower)
};
inline constexpr std::uint32_t kDefaultStackDepth = 32;

struct ClientConfig {
  bool enabled = false;        // MEMLEDGER=1 (alias TT_ALLOC_TRACKING_ENABLED=1)
  std::string output;          // MEMLEDGER_OUTPUT: capture file path; empty: none
  // MEMLEDGER_OUTPUT_BY_RUN=1 (set by `memledger run`): `output` is the
  // run's private place, and the run says where it puts the file.
  bool output_placed_by_run = false;
  std::uint64_t ring_slots = 1 << 19;  // MEMLEDGER_RING_SIZE (bytes, K/M/G suffixes)
  OnFull on_full = OnFull::kBlock;     // MEMLEDGER_ON_FULL=block|drop
  bool exit_report = true;     // MEMLEDGER_REPORT=0 silences the exit report
  // MEMLEDGER_SOCKET: the server to hand the ring to; "none": never (embedded
  // mode). Empty: the default path (server/wire_protocol.h).
  std::string socket;
  // MEMLEDGER_STACKS=1|fp|unwind (alias TT_BUFFER_DEBUG_LOG=1): every alloc
  // and free carries its call stack.
  StackUnwinder stacks = StackUnwinder::kOff;
  std::uint32_t stack_depth = kDefaultStackDepth;  // MEMLEDGER_STACK_DEPTH, 1..64
  // MEMLEDGER_LOG: the lifecycle log's path (%p: the pid); TT_BUFFER_DEBUG_LOG=1
  // alone writes memledger-%p.log in the working directory. Empty: no log.
  std::string log;
};
inline constexpr const char* kDefaultLogPath = "memledger-%p.log";

// Looks a variable up; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Parses the configuration. Each bad value adds one line to *warnings and
// leaves the default in place.
ClientConfig ParseClientConfig(const EnvLookup& env, std::vector<std::string>* warnings);

}  // namespace memledger
