// leak_sites.h — the workloads' three leak sites. Each allocates one buffer
// under its tag and leaks it (Buffer::Leak: never deallocated).
//
// They are real functions with external linkage, defined in leak_sites.cc and
// never inlined, so an allocation stack shows them as the innermost frame of
// the workload: tests symbolize leak stacks and look for these names.
//
// Thread-safety: thread-safe (as Buffer::Allocate). Return false when the
// device is out of memory (nothing leaked then).
#pragma once

#include <cstdint>

#include "sim/device.h"

namespace memledger::sim {

// 4 MiB of DRAM tagged "weights".
__attribute__((noinline)) bool leak_weights(Device& device);
// 1 MiB of DRAM tagged "kv_cache".
__attribute__((noinline)) bool leak_kv_cache(Device& device);
// 64 KiB of L1 tagged "activations".
__attribute__((noinline)) bool leak_activation(Device& device);

// Makes the workload's leak number `leak` from the sites in turn:
// leak_weights, leak_kv_cache, leak_activation, leak_weights, ...
bool LeakFromSite(Device& device, std::uint64_t leak);

}  // namespace memledger::sim
