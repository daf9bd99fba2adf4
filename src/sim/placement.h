// placement.h — Placement: which end of the free space an allocator fills
// first. tt-metal places DRAM (and TRACE) buffers bottom-up and L1 (and
// L1_SMALL) buffers top-down, so that L1 buffers stay away from the circular
// buffers programs lay out from L1's base upwards.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>

namespace memledger::sim {

enum class Placement : std::uint8_t {
  kBottomUp,  // the lowest free block that fits, at its bottom (first fit)
  kTopDown,   // the highest free block that fits, at its top
};

}  // namespace memledger::sim
