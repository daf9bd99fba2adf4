// failure_groups.h — the ledger's allocation failures (ledger.h failures(),
// allocation_failure.h) as every report lists them: grouped, so that a
// storm of identical failures is one entry with a count. A group is one
// process, device, type, verdict and site (the request's stack and tag),
// listed in the order its first failure came; its facts — figures,
// holders, blockers — are its first failure's (the one that began it).
// Also what the reports say of a request's size and of a space's figures,
// per bank when banked: one wording for the text report, the map and top.
//
// Pure functions of the ledger; thread-safe as its readers are.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "report/report_scope.h"

namespace memledger {

struct FailureGroup {
  const AllocationFailure* first = nullptr;  // in ledger.failures(): the facts shown
  std::uint64_t count = 0;
  std::uint64_t smallest_size = 0;  // of its requests
  std::uint64_t largest_size = 0;
  std::uint64_t last_seq = 0;
  std::vector<const AllocationFailure*> members;  // every failure of the group, in order (first included)
};

// The groups of the failures kept (the first Ledger::kMaxFailures) whose
// device and type (or the space it was judged in) `scope` shows, in the
// order each group's first failure came.
std::vector<FailureGroup> GroupFailures(const Ledger& ledger, const ReportScope& scope = {});
// Every failure booked (kept or not), by verdict, over the devices and types
// `scope` shows (a CB failure with L1, the space it is placed within).
std::array<std::uint64_t, kFailureVerdictCount> FailuresByVerdict(const Ledger& ledger, const ReportScope& scope = {});

// When `failure` was booked, in seconds since the ledger's first record
// (as a capture's peaks are timed).
double FailureSeconds(const Ledger& ledger, const AllocationFailure& failure);

// "24.0 KiB", or "24.0 KiB across 64 banks, 384 B per bank" for a banked space.
std::string BankedBytes(std::uint64_t bytes, std::uint32_t banks);
// "44.0 KiB free in 8 holes, the largest block 6.0 KiB", each amount with its
// per-bank share when banked ("(1.5 KiB per bank)").
std::string FiguresText(const SpaceFigures& figures, std::uint32_t banks);

}  // namespace memledger
