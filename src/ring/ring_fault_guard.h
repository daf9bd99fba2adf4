// ring_fault_guard.h — defence in depth for a process that maps rings other
// processes made (the server): no SIGBUS from a ring mapping can kill it.
//
// EventRing::Attach refuses a ring whose memfd is not sealed against
// shrinking and growing, so its size cannot change under the mapping and a
// fault cannot happen through the kernel's ordinary paths. Should one happen
// anyway (a kernel path we did not think of), the guard turns it into a
// damaged ring instead of a dead server: a SIGBUS handler finds the faulting
// address in a table of guarded mappings, maps anonymous zero pages over that
// whole mapping (MAP_FIXED, so the faulting access is retried and reads
// zeros: no slot looks published, head reads 0) and flags the mapping as
// damaged; its owner sees the flag and ends that session. A fault outside
// every guarded mapping goes to the previous handler (or the default action).
//
// Chosen over a per-session sigsetjmp/siglongjmp around every drain, which
// would cost a setjmp per batch and leave the ledger half-updated when the
// jump lands mid-apply; the zero pages make the fault invisible to the code
// that took it, and the flag ends the session at a clean point.
//
// The table is a fixed array of atomics, readable from the handler without a
// lock: registration claims an entry with a CAS, the handler only reads
// bounds and sets the damaged flag. A mapping must be unregistered before it
// is unmapped, by the thread that accesses it (a SIGBUS is synchronous: the
// handler for a mapping runs on the thread using it, never during its
// unregistration). When the table is full a mapping is simply not guarded.
#pragma once

#include <cstddef>

namespace memledger {

// Installs the SIGBUS handler, once per process. Only processes that map
// other processes' rings (the server) call it; before it, Register is a no-op.
void InstallRingFaultGuard();

// A guarded mapping's entry; -1: not guarded (no guard installed, or the table is full).
int RegisterGuardedMapping(void* base, std::size_t bytes);
void UnregisterGuardedMapping(int entry);
// True once a SIGBUS hit the mapping (it now reads zeros).
bool GuardedMappingDamaged(int entry);

}  // namespace memledger
