// carry_over.h — a process's books handed from one ledger to another part-way
// through its stream: the buffers it holds, as alloc records in a slot stream
// (record.h framing), read back into the other ledger as carried over.
//
// The client uses it when its server returns (or drains again): the in-process ledger that
// accounted while no server ran hands what it holds to the new server with the
// ring (see docs/architecture.md, "Reconnect"), and what it settled on its
// own that the books before it must know: frees it could not match, device
// closes and the buffers they leaked. The names those buffers refer to
// (devices, tags, pools, stacks, modules and language frames) travel in the
// same stream, ahead of the allocs, from the client's own memory of what it
// declared. The client's order: names, AppendCarryBack, the devices open now,
// AppendLiveBuffers — a device closed and reopened meanwhile is closed, then
// opened again.
//
// A capture cut into segments (capture/capture_segments.h) begins each one
// after the first with the books as they are: AppendDeclaredNames, then
// AppendLiveBuffers — what a replay of the segment alone needs first.
//
// The receiving side treats the stream as hostile: only names, allocations,
// frees and device opens and closes of its own process are taken; anything
// else is counted invalid and skipped.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "event/record.h"
#include "ledger/ledger.h"

namespace memledger {

// Appends, from `process`'s books in `ledger`, a record for every name they
// hold — its modules, language frames, stacks, pools, tags and frame
// patterns, in that order (each before the records that use it), ids
// ascending — then a DEVICE_OPEN for each device open now, with its last
// open's description.
void AppendDeclaredNames(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots);

// Appends an alloc record (ALLOC, CB_ALLOC or KERNEL_LOAD) for every buffer
// `process` holds in `ledger`, oldest first, in the process's own memory
// types and tag ids, with its address, size, thread-free identity and stack.
void AppendLiveBuffers(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots);

// Appends what `process`'s books (begun part-way) settled on their own
// (ProcessBooks::carry_back), in the order it came: a free record (FREE,
// CB_FREE or KERNEL_UNLOAD) for every free they could not match — it frees a
// buffer of the books that had the stream before — and, for every device
// they saw closed, an alloc record for each buffer the close leaked there,
// then the DEVICE_CLOSE, which leaks what the books before hold there too.
void AppendCarryBack(const Ledger& ledger, ProcessIndex process, std::vector<Event>& slots);

// What to do with carried free records: kMatch when the receiving books are
// the ones the stream came from (a server rejoining a process it released:
// they free buffers it holds, and a free it cannot match is an anomaly);
// kSkip otherwise (the Hello's missed_frees counts them).
enum class CarriedFrees { kSkip, kMatch };

// Applies a carried-over slot stream to `process`: device opens and closes,
// tags, pools, stacks, modules and language frames as records (a device the
// process has open already is not opened again), allocations as carried over
// (Ledger::ApplyCarriedAlloc; a buffer a carried close leaked too), frees as
// `frees` says. Any other kind is an invalid event; slots lost to bad framing
// are counted lost. Returns how many free records it carried.
std::uint64_t ApplyCarriedOver(Ledger& ledger, ProcessIndex process, std::span<const Event> slots,
                               CarriedFrees frees = CarriedFrees::kSkip);

}  // namespace memledger
