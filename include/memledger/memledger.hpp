// memledger.hpp — a thin C++ layer over memledger.h: typed memory types,
// named pools, RAII scoped tags and checkpoints. Everything here forwards to
// the C ABI; nothing is stored but a checkpoint's id and a query's answer.
// Thread-safety: as memledger.h (any thread, any time).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "memledger/memledger.h"

namespace memledger {

enum class MemType : std::uint8_t {
  kDram = MEMLEDGER_DRAM,
  kL1 = MEMLEDGER_L1,
  kL1Small = MEMLEDGER_L1_SMALL,
  kTrace = MEMLEDGER_TRACE,
  kSystemMemory = MEMLEDGER_SYSTEM_MEMORY,
  kCb = MEMLEDGER_CB,
  kKernel = MEMLEDGER_KERNEL,
};

inline void Alloc(std::uint32_t device, MemType type, std::uint64_t buffer_id, std::uint64_t address,
                  std::uint64_t size) {
  memledger_alloc(device, static_cast<memledger_mem_type>(type), buffer_id, address, size);
}
inline void Free(std::uint32_t device, MemType type, std::uint64_t buffer_id, std::uint64_t address) {
  memledger_free(device, static_cast<memledger_mem_type>(type), buffer_id, address);
}

// Circular buffers (booked as CB) and kernel binaries (KERNEL), each with
// identities of their own.
inline void CbAlloc(std::uint32_t device, std::uint64_t cb_id, std::uint64_t address, std::uint64_t size) {
  memledger_cb_alloc(device, cb_id, address, size);
}
inline void CbFree(std::uint32_t device, std::uint64_t cb_id, std::uint64_t address) {
  memledger_cb_free(device, cb_id, address);
}
inline void KernelLoad(std::uint32_t device, std::uint64_t kernel_id, std::uint64_t address, std::uint64_t size) {
  memledger_kernel_load(device, kernel_id, address, size);
}
inline void KernelUnload(std::uint32_t device, std::uint64_t kernel_id, std::uint64_t address) {
  memledger_kernel_unload(device, kernel_id, address);
}

// "DRAM", "L1", ...: the name reports give a built-in type.
inline const char* TypeName(MemType type) { return memledger_type_name(static_cast<memledger_mem_type>(type)); }

// A named pool's memory type, for Alloc, Free and OpenDevice's capacities:
// the same type for the same name; nullopt when this process has
// registered all of its pools (memledger_register_pool).
inline std::optional<MemType> RegisterPool(const char* name) {
  const int type = memledger_register_pool(name);
  if (type < 0) return std::nullopt;
  return static_cast<MemType>(type);
}

// Opens a device with its capacities and, when known, what it is physically
// (its uid: memledger.h, memledger_device_description), e.g.
// OpenDevice(0, "n150", {{MemType::kDram, 12_GiB}}, "chip-0x1a2b3c").
// `spaces`: each type's address space (memledger_address_space), for free-
// space figures and the verdicts on failed allocations.
inline void OpenDevice(std::uint32_t device, const char* name,
                       std::initializer_list<std::pair<MemType, std::uint64_t>> capacities,
                       const char* uid = nullptr, std::initializer_list<memledger_address_space> spaces = {}) {
  std::vector<memledger_capacity> caps;
  caps.reserve(capacities.size());
  for (const auto& [type, bytes] : capacities) caps.push_back({static_cast<memledger_mem_type>(type), bytes});
  memledger_device_description description{};
  description.struct_size = sizeof(description);
  description.name = name;
  description.capacities = caps.data();
  description.capacity_count = caps.size();
  description.uid = uid;
  description.address_spaces = spaces.size() == 0 ? nullptr : spaces.begin();
  description.address_space_count = spaces.size();
  memledger_device_open_described(device, &description);
}
inline void CloseDevice(std::uint32_t device) { memledger_device_close(device); }
// An allocation the allocator could not place (memledger_alloc_failed):
// `extent` is its footprint in the type's address space (0: `size`).
inline void AllocFailed(std::uint32_t device, MemType type, std::uint64_t size, std::uint64_t extent = 0) {
  memledger_alloc_failed(device, static_cast<memledger_mem_type>(type), size, extent);
}
inline void Mark(const char* label) { memledger_mark(label); }
// Frames of this program's allocator, folded in reports (memledger_skip_frames).
inline void SkipFrames(const char* pattern) { memledger_skip_frames(pattern); }
// Waits until every event recorded so far has reached the ledger.
inline void Flush() { memledger_flush(); }

// Tags the allocations of this thread while in scope: { ScopedTag t("kv_cache"); ... }.
class ScopedTag {
 public:
  explicit ScopedTag(const char* name) { memledger_tag_push(name); }
  ~ScopedTag() { memledger_tag_pop(); }
  ScopedTag(const ScopedTag&) = delete;
  ScopedTag& operator=(const ScopedTag&) = delete;
};

// What a checkpoint's query answered (memledger_checkpoint_result).
struct CheckpointResult {
  int status = MEMLEDGER_E_OFF;  // 0, or MEMLEDGER_E_*
  std::uint64_t buffers = 0;     // allocated since the checkpoint and still live
  std::uint64_t bytes = 0;
  std::uint64_t peak_above_begin = 0;
  std::string json;  // memledger.checkpoint/1
  std::string text;  // short, for a failure message (with MEMLEDGER_E_REPORT: why)
  bool ok() const { return status == 0; }
};

// A checkpoint from construction to destruction (memledger.h,
// "Checkpoints"): { Checkpoint c; RunTest(); if (c.Query().buffers) ... }.
// Inactive (id 0) when tracking is off or too many are open.
class Checkpoint {
 public:
  Checkpoint() : id_(memledger_checkpoint_begin()) {}
  ~Checkpoint() {
    if (id_ != 0) memledger_checkpoint_end(id_);
  }
  Checkpoint(Checkpoint&& other) noexcept : id_(std::exchange(other.id_, 0)) {}
  Checkpoint& operator=(Checkpoint&&) = delete;
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  memledger_checkpoint id() const { return id_; }
  bool active() const { return id_ != 0; }
  // What was allocated since and is still live, leaving out `excludes`
  // (memledger_sequence ranges); at most `max_sites` sites in the text.
  CheckpointResult Query(const std::vector<memledger_seq_range>& excludes = {}, std::uint32_t max_sites = 10) const {
    memledger_checkpoint_query query{};
    query.struct_size = sizeof(query);
    query.checkpoint = id_;
    query.max_sites = max_sites;
    query.excludes = excludes.empty() ? nullptr : excludes.data();
    query.exclude_count = excludes.size();
    memledger_checkpoint_result result{};
    result.struct_size = sizeof(result);
    CheckpointResult answer;
    answer.status = memledger_query_checkpoint(&query, &result);
    answer.buffers = result.buffers;
    answer.bytes = result.bytes;
    answer.peak_above_begin = result.peak_above_begin;
    if (result.json != nullptr) answer.json = result.json;
    if (result.text != nullptr) answer.text = result.text;
    memledger_free_text(result.json);
    memledger_free_text(result.text);
    return answer;
  }

 private:
  memledger_checkpoint id_;
};

}  // namespace memledger
