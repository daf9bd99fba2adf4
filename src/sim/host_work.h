// host_work.h — the host CPU work a program launch costs (command building,
// dispatch): a fixed amount of real computation on a thread-local scratch
// array, so that memledger's overhead is measured against realistic work.
//
// Thread-safety: DoHostWork is thread-safe (each thread has its own scratch
// array); SetHostWorkScale is not, and comes first.
#pragma once

#include <cstdint>

namespace memledger::sim {

// Scales every DoHostWork from now on (1: as modelled; 0: none, for
// generating large captures fast). Set before the workload's threads start.
void SetHostWorkScale(double scale);

// Runs `units` units of work (times the scale); one unit is a serial chain of 512 multiply-adds
// over a 2 KiB scratch array, about a microsecond on a current x86 core.
void DoHostWork(std::uint32_t units);

}  // namespace memledger::sim
