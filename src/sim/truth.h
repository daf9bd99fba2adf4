// truth.h — Truth: the simulated runtime's own account of device memory (the
// allocators' view), against which memledger's ledger is checked; and its JSON
// form, schema "memledger.truth/2":
//
//   {"schema":"memledger.truth/2","allocs":N,"frees":N,
//    "leaked":{"buffers":N,"bytes":N},
//    "devices":[{"device":D,"types":{TYPE:{"live_bytes":N,"live_buffers":N,
//                                           "space":{"managed":...,"holders":[...]}}}}],
//    "list_cap":256,"failures_total":N,
//    "failures":[{"device":D,"type":TYPE,"size":N,"extent":N,"verdict":V,
//                 "managed":[START,SIZE],"free_bytes":N,"largest_free_block":N,
//                 "holes":N,"free_blocks":[[START,SIZE],...],
//                 "live_bytes":N,"holders_total":N,
//                 "holders":[{"address":A,"size":N,"site":S},...],
//                 "cb_region_end":A,"below_total":N,"below":[{...},...]}]}
//
// allocs/frees count every allocation and release reported through the hooks
// (buffers, circular buffers, kernel binaries). Sizes are what the alloc
// hook was passed: a buffer's footprint per bank x banks (BankFootprint), not
// the requested size; a circular buffer's aligned bytes per core x L1's
// banks. Every region a device has appears under "types", and "CB" when it
// has L1 (circular buffers live in L1), also when nothing is live there. A
// region's "space" is its state then, with the members a failure gives its
// region (below: "managed" to "holders"); CB has none (it is L1's): a test
// that runs several processes on one device (--l1-partition) joins their
// spaces from their gate files.
// Taken just before the devices close, "leaked" is what is live then: Σ live
// over all devices and types.
//
// "failures": every failure booked through memledger_alloc_failed, in the
// order they happened (over all devices), the first 1024 ("failures_total"
// counts all). `size`/`extent` as hooked (extent 0: the same as size; a
// clash's size is its CB region from L1's base, in L1's units). `verdict`:
// the allocator's own — "exhausted" (free_bytes < extent), "fragmented" (free
// enough, no free block large enough) or "cb_clash". The rest is the region
// (L1 for a clash) at that instant, in hook units (failure_truth.h):
// `managed` is the part this process's allocator manages (the whole region
// unless --l1-partition), free_bytes + live_bytes = its size; `holes` counts
// the free blocks, `free_blocks` lists them; `holders` are the live blocks
// with the workload function that allocated each (its site). A clash adds
// where the CB region ends and the live L1 blocks below that end. Every list
// keeps its lowest `list_cap` entries; the *_total fields count them all.
//
// Thread-safety: TakeTruth must not race with allocations on the devices;
// the rest are pure functions.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/bank_allocator.h"
#include "sim/device.h"
#include "sim/failure_truth.h"

namespace memledger::sim {

struct TypeTruth {
  MemType type;
  std::uint64_t live_bytes;
  std::uint64_t live_buffers;
  std::optional<RegionSnapshot> space;  // the region's state; none for CB (within L1)
};

struct DeviceTruth {
  std::uint32_t device;
  std::vector<TypeTruth> types;  // in the device spec's region order
};

struct Truth {
  std::uint64_t allocs = 0;
  std::uint64_t frees = 0;
  std::uint64_t leaked_buffers = 0;
  std::uint64_t leaked_bytes = 0;
  std::vector<DeviceTruth> devices;
  std::uint64_t failures_total = 0;
  std::vector<FailureTruth> failures;  // the first kFailuresKept, in the order they happened
};


Truth TakeTruth(const std::vector<std::unique_ptr<Device>>& devices);
std::string TruthJson(const Truth& truth);
// Writes TruthJson(truth) to `path`; throws std::runtime_error saying why when
// the file cannot be written.
void WriteTruthJson(const Truth& truth, const std::string& path);

}  // namespace memledger::sim
