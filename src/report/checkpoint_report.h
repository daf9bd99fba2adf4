// checkpoint_report.h — what a leak gate says of one checkpoint
// (ledger/checkpoints.h: Ledger::Since): the buffers a process allocated
// after it and still holds, gathered into sites as the leak report gathers
// them (merged_sites.h: one site per stack identity, its places by device,
// type and tag), and the bytes per device x type since. Two forms of one
// answer:
//   - JSON, schema memledger.checkpoint/1 (docs/python.md "Checkpoints"):
//     every site with its headline, its frames (structured) and its places;
//     the buffers themselves, oldest first, up to kMaxListedBuffers; the
//     peaks per device x type;
//   - text, short, for a test's failure message: a count line and the
//     largest `max_sites` sites, each with its headline and stack lines,
//     then how many more.
// Devices are the process's own numbers (what its hooks pass), types and
// tags by name.
//
// Not thread-safe (one SiteStacks); the ledger must not change meanwhile.
#pragma once

#include <cstddef>
#include <string>

#include "ledger/ledger.h"
#include "report/report_layer.h"  // CheckpointAnswer
#include "report/site_stack.h"

namespace memledger {

inline constexpr std::size_t kMaxListedBuffers = 10000;

// `view` is Ledger::Since(process, ...) of `ledger`.
CheckpointAnswer CheckpointReport(const Ledger& ledger, ProcessIndex process, const CheckpointView& view,
                                  SiteStacks& stacks, std::size_t max_sites);

}  // namespace memledger
