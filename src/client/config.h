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

struct ClientConfig {
  bool enabled = false;        // MEMLEDGER=1 (alias TT_ALLOC_TRACKING_ENABLED=1)
  std::string output;          // MEMLEDGER_OUTPUT: capture file path; empty: none
  std::uint64_t ring_slots = 1 << 19;  // MEMLEDGER_RING_SIZE (bytes, K/M/G suffixes)
  OnFull on_full = OnFull::kBlock;     // MEMLEDGER_ON_FULL=block|drop
  bool exit_report = true;     // MEMLEDGER_REPORT=0 silences the exit report
  // MEMLEDGER_SOCKET: the server to hand the ring to; "none": never (embedded
  // mode). Empty: the default path (server/wire_protocol.h).
  std::string socket;
};

// Looks a variable up; nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;

// Parses the configuration. Each bad value adds one line to *warnings and
// leaves the default in place.
ClientConfig ParseClientConfig(const EnvLookup& env, std::vector<std::string>* warnings);

}  // namespace memledger
