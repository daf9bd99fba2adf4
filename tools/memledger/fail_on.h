// fail_on.h — the gate for CI of `memledger run` and `memledger report`
// (--fail-on leaks,anomalies,dropped): what the books must not show. Once
// the books are read (and the report printed), each kind named that they
// show gets a line on stderr, and the command exits with kFailOnExitStatus.
// Without --fail-on nothing changes.
//
// Thread-safe: no state.
#pragma once

#include <string>
#include <vector>

#include "ledger/ledger.h"

namespace memledger {

// The exit status when the books show a kind --fail-on names (the same for
// every kind: the lines on stderr say which). `run` exits with the
// program's own status instead when that is not 0.
inline constexpr int kFailOnExitStatus = 3;

// The words --fail-on takes, for the command line's check.
inline constexpr const char* kFailOnKinds[] = {"leaks", "anomalies", "dropped"};

struct FailOn {
  bool leaks = false;      // a process ended holding a buffer (not: live where the books end, at --until or a cut)
  bool anomalies = false;  // any anomaly (unknown or double free, overlap, late free hook, ...)
  bool dropped = false;    // events the books do not have: dropped by a full ring (MEMLEDGER_ON_FULL=drop) or lost
};

// From the words given (each one of kFailOnKinds, which the command line checked).
FailOn FailOnFrom(const std::vector<std::string>& kinds);

// What `ledger` shows of the kinds `gate` names, a line each ("5 leaked
// buffers (1.2 MiB) in 2 sites"); empty when the gate passes.
std::vector<std::string> GateFindings(const FailOn& gate, const Ledger& ledger);

// Says each finding on stderr, "<command>: --fail-on: <finding>; exit status 3", and
// returns kFailOnExitStatus; 0 when there is none.
int ApplyGate(const FailOn& gate, const Ledger& ledger, const char* command);

}  // namespace memledger
