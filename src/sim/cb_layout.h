// cb_layout.h — how a program's circular buffers are laid out in L1, as
// tt-metal's program does it: contiguously from the base of L1's space
// upwards, at bank-local addresses that are the same on every core, each
// buffer's bytes per core rounded up to L1's alignment. L1 buffers are placed
// from the top down, so the layout's end must stay at or below the lowest
// live L1 buffer (Device::AllocateCircularBuffers checks it).
//
// Thread-safety: plain values and a pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/bank_region.h"

namespace memledger::sim {

struct CircularBufferSpec {
  std::uint64_t size;  // per core
  std::uint64_t page_size;
};

struct CircularBufferPlacement {
  std::uint64_t address;  // bank-local, the same on every core
  std::uint64_t size;     // bytes per core, aligned
};

struct CbLayout {
  std::vector<CircularBufferPlacement> buffers;  // in the program's order, rising addresses
  std::uint64_t end;                             // bank-local: one past the last buffer (l1.base when none)
};

CbLayout LayOutCircularBuffers(const BankRegion& l1, const std::vector<CircularBufferSpec>& circular_buffers);

}  // namespace memledger::sim
