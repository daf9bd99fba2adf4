// carry_over.h — a process's books handed from one ledger to another part-way
// through its stream: the buffers it holds, as alloc records in a slot stream
// (record.h framing), read back into the other ledger as carried over.
//
// The client uses it when its server returns (or drains again): the in-process ledger that
// accounted while no server ran hands what it holds to the new server with the
// ring (see docs/architecture.md, "Reconnect"). The names those buffers refer
// to (devices, tags, pools, stacks, modules and language frames) travel in
// the same stream, ahead of the allocs, from the client's own memory of what
// it declared.
//
// The receiving side treats the stream as hostile: only names and allocations
// are taken; anything else is counted invalid and skipped.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "event/record.h"
#include "ledger/ledger.h"

namespace memledger {

// Appends an alloc record (ALLOC, CB_ALLOC or KERNEL_LOAD) for every buffer
// `process` holds in `ledger`, oldest first, in the process's own memory
// types and tag ids, with its address, size, thread-free identity and stack.
void AppendLiveBuffers(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots);

// Appends a free record (FREE, CB_FREE or KERNEL_UNLOAD) for every free
// `process`'s books could not match (ProcessBooks::unmatched_frees), in the
// order they came: they free buffers of the books that had the stream before.
void AppendUnmatchedFrees(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots);

// What to do with carried free records: kMatch when the receiving books are
// the ones the stream came from (a server rejoining a process it released:
// they free buffers it holds, and a free it cannot match is an anomaly);
// kSkip otherwise (the Hello's missed_frees counts them).
enum class CarriedFrees { kSkip, kMatch };

// Applies a carried-over slot stream to `process`: device opens, tags,
// pools, stacks, modules and language frames as records (a device the
// process has open already is not opened again), allocations as carried over
// (Ledger::ApplyCarriedAlloc), frees as `frees` says. Any other kind is an
// invalid event; slots lost to bad framing are counted lost. Returns how many
// free records it carried.
std::uint64_t ApplyCarriedOver(Ledger& ledger, ProcessIndex process, std::span<const Event> slots,
                               CarriedFrees frees = CarriedFrees::kSkip);

}  // namespace memledger
