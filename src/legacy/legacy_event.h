// legacy_event.h — what a legacy message means in memledger's terms: the
// memory type of a legacy buffer_type, and the Event (src/event/event.h) a
// legacy ALLOC, FREE, CB_ALLOC, CB_FREE, KERNEL_LOAD or KERNEL_UNLOAD stands for.
//
// The other types are not events. QUERY, DEVICE_INFO_QUERY, DUMP_REMAINING and
// DUMP_KERNELS are requests the listener answers (or acts on) itself;
// RESPONSE and DEVICE_INFO_RESPONSE only ever go to a client.
//
// Free functions; thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <optional>

#include "event/event.h"
#include "legacy/legacy_protocol.h"

namespace memledger::legacy {

// memledger's memory type (MEMLEDGER_DRAM, ...) for a legacy buffer_type:
//   0 DRAM -> DRAM, 1 L1 -> L1, 2 SYSTEM_MEMORY -> L1_SMALL, 3 L1_SMALL -> L1_SMALL,
//   4 TRACE -> TRACE; nullopt above 4.
// SYSTEM_MEMORY goes to L1_SMALL, not to memledger's SYSTEM_MEMORY: the legacy
// tracker counted it with L1_SMALL, and its clients read it back that way in
// the l1_small_allocated field of a QUERY reply.
std::optional<std::uint8_t> MemoryTypeOf(std::uint8_t legacy_buffer_type);

// The event `message` stands for, or nullopt when it is not an event type (or
// carries a device id or buffer type LegacyDecoder would have refused).
//
// - kind: ALLOC/FREE -> kAlloc/kFree with type MemoryTypeOf(buffer_type);
//   CB_ALLOC/CB_FREE -> kCbAlloc/kCbFree, type CB; KERNEL_LOAD/KERNEL_UNLOAD ->
//   kKernelLoad/kKernelUnload, type KERNEL (the kernel's legacy buffer_type,
//   application/fabric/dispatch, has no place in an Event and is dropped).
// - identity: the legacy buffer_id goes to `buffer_id`, and `address` stays 0.
//   The protocol does not say what buffer_id is: a device address for most
//   clients, a counter in the old tracker's own demo (1, 2, 3 ... with sizes
//   of megabytes), a program id for kernels; and programs' CBs share L1
//   addresses. The old tracker only ever matched it whole, by (device,
//   buffer_id). So memledger matches it as an identity and never as a range:
//   an identity with address 0 has no address (ledger.h), and takes no part
//   in overlap checks. LegacyReferences (legacy_references.h) applies the
//   old tracker's reference counting on top.
// - size and device are copied.
// - The claimed process_id and timestamp are dropped: the listener knows the
//   sender from SO_PEERCRED (a claimed pid is never trusted; legacy clients
//   even leave it 0 in FREE), and memledger orders events by the sequence
//   number and time the listener assigns, not by a sender's clock.
// - seq, time_ns and thread are left 0 for the listener to set.
std::optional<Event> ToEvent(const LegacyMessage& message);

}  // namespace memledger::legacy
