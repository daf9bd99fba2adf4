// c_api.cc — the C ABI (memledger.h): each entry point checks the tracking
// state and hands over to the file that owns its concern — the hooks to
// hook_core.h, names to declared_names.h, stacks to allocation_stacks.h,
// flush to tracking_lifecycle.h, checkpoints to checkpoints.h. No exception leaves these functions: what
// they call reports failure by value. Thread-safety: any thread, any time
// (memledger.h); the locks are the concerns' own.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "client/allocation_stacks.h"
#include "client/checkpoints.h"
#include "client/declared_names.h"
#include "client/embedded_consumer.h"
#include "client/hook_core.h"
#include "client/tracking_lifecycle.h"
#include "event/record.h"

using namespace memledger;

namespace {

// Whether a caller's struct (its struct_size first) holds the field at
// `offset` of `size` bytes: an older header's struct ends sooner.
bool Covers(std::size_t struct_size, std::size_t offset, std::size_t size) { return struct_size >= offset + size; }
#define MEMLEDGER_COVERS(object, type, field) \
  Covers((object)->struct_size, offsetof(type, field), sizeof(type::field))

// A malloc'd copy (memledger_free_text frees it); null when out of memory.
char* CopyText(const std::string& text) {
  char* copy = static_cast<char*>(std::malloc(text.size() + 1));
  if (copy != nullptr) std::memcpy(copy, text.c_str(), text.size() + 1);
  return copy;
}

}  // namespace

extern "C" {

MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_alloc(uint32_t device, memledger_mem_type type, uint64_t buffer_id,
                                          uint64_t address, uint64_t size) {
  Track(EventKind::kAlloc, device, type, buffer_id, address, size);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_free(uint32_t device, memledger_mem_type type, uint64_t buffer_id,
                                         uint64_t address) {
  Track(EventKind::kFree, device, type, buffer_id, address, 0);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_cb_alloc(uint32_t device, uint64_t cb_id, uint64_t address, uint64_t size) {
  Track(EventKind::kCbAlloc, device, MEMLEDGER_CB, cb_id, address, size);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_cb_free(uint32_t device, uint64_t cb_id, uint64_t address) {
  Track(EventKind::kCbFree, device, MEMLEDGER_CB, cb_id, address, 0);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_kernel_load(uint32_t device, uint64_t kernel_id, uint64_t address,
                                                uint64_t size) {
  Track(EventKind::kKernelLoad, device, MEMLEDGER_KERNEL, kernel_id, address, size);
}
MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_kernel_unload(uint32_t device, uint64_t kernel_id, uint64_t address) {
  Track(EventKind::kKernelUnload, device, MEMLEDGER_KERNEL, kernel_id, address, 0);
}

MEMLEDGER_HOOK_PATH MEMLEDGER_API void memledger_record_alloc_failed(uint32_t device, memledger_mem_type type,
                                                                     uint64_t size, uint64_t extent) {
  Track(EventKind::kAllocFailed, device, type, 0, extent, size);
}

MEMLEDGER_API void memledger_device_open(uint32_t device, const char* name, const memledger_capacity* capacities,
                                         size_t n) {
  memledger_device_description description{};
  description.struct_size = sizeof(description);
  description.name = name;
  description.capacities = capacities;
  description.capacity_count = n;
  memledger_device_open_described(device, &description);
}

MEMLEDGER_API void memledger_device_open_described(uint32_t device, const memledger_device_description* described) {
  if (!Active()) return;
  memledger_device_description none{};
  none.struct_size = sizeof(none);
  if (described == nullptr) described = &none;
  // Only the fields the caller's struct_size covers are read.
  using D = memledger_device_description;
  const char* name = MEMLEDGER_COVERS(described, D, name) ? described->name : nullptr;
  const char* uid = MEMLEDGER_COVERS(described, D, uid) ? described->uid : nullptr;
  const bool has_capacities = MEMLEDGER_COVERS(described, D, capacity_count);
  const memledger_capacity* capacities = has_capacities ? described->capacities : nullptr;
  const std::size_t n = has_capacities ? described->capacity_count : 0;
  const bool has_spaces = MEMLEDGER_COVERS(described, D, address_space_count);
  const memledger_address_space* spaces = has_spaces ? described->address_spaces : nullptr;
  const std::size_t space_count = has_spaces ? described->address_space_count : 0;
  DeviceDescription description{BoundedName(name), {}, BoundedName(uid)};
  if (capacities != nullptr) description.capacities.assign(capacities, capacities + std::min<size_t>(n, MEMLEDGER_MAX_TYPES));
  if (spaces != nullptr) {
    description.address_spaces.assign(spaces, spaces + std::min<size_t>(space_count, MEMLEDGER_MAX_TYPES));
  }
  DeclareDeviceOpen(device, EncodeDeviceDescription(description));
}

MEMLEDGER_API void memledger_device_close(uint32_t device) {
  if (!Active()) return;
  DeclareDeviceClose(device);
}

MEMLEDGER_API void memledger_mark(const char* label) {
  if (!Active()) return;
  EmitWithPayload(MakeEvent(EventKind::kMark, 0, 0, 0, 0, 0), BoundedName(label));
}

MEMLEDGER_API void memledger_skip_frames(const char* pattern) {
  if (!Active() || pattern == nullptr || *pattern == '\0') return;
  DeclareSkipFrames(BoundedName(pattern));
}

MEMLEDGER_API void memledger_tag_push(const char* name) {
  if (!Active()) return;
  PushThreadTag(InternTag(BoundedName(name)));
}

MEMLEDGER_API void memledger_tag_pop(void) { PopThreadTag(); }

MEMLEDGER_API int memledger_register_pool(const char* name) {
  // Decided before the names lock; off (a forked child), no lock but that one
  // (tracking_lifecycle.h, "Fork policy").
  const bool active = Active();
  return RegisterPool(BoundedName(name), active);
}

MEMLEDGER_API int memledger_enabled(void) { return Active() ? 1 : 0; }

MEMLEDGER_API const char* memledger_type_name(memledger_mem_type type) {
  const std::string_view name = BuiltinTypeName(type);
  return name.empty() ? nullptr : name.data();  // a literal of event.cc's table: NUL-terminated
}

MEMLEDGER_API int memledger_set_stack_depth(int depth) {
  if (!Active() || depth < 0 || depth > static_cast<int>(kMaxStackDepth)) return -1;
  return SetStackDepth(static_cast<std::uint32_t>(depth));
}

MEMLEDGER_API void memledger_set_frame_provider(memledger_frame_provider frames, const void* interpreter) {
  if (!Active()) return;  // no stacks to give frames to
  SetFrameProvider(frames, interpreter);
}

MEMLEDGER_API uint64_t memledger_intern_frame(const char* function, const char* file, uint32_t line) {
  if (!Active()) return 0;
  return InternLanguageFrame(function, file, line);
}

MEMLEDGER_API memledger_checkpoint memledger_checkpoint_begin(void) {
  if (!Active()) return 0;
  return BeginCheckpoint();
}

MEMLEDGER_API int memledger_checkpoint_end(memledger_checkpoint checkpoint) {
  if (!Active()) return MEMLEDGER_E_OFF;
  return EndCheckpoint(checkpoint) ? 0 : MEMLEDGER_E_UNKNOWN_CHECKPOINT;
}

MEMLEDGER_API uint64_t memledger_sequence(void) {
  if (!Active()) return 0;
  return g_ring->header().head.load(std::memory_order_acquire);
}

MEMLEDGER_API int memledger_query_checkpoint(const memledger_checkpoint_query* query,
                                             memledger_checkpoint_result* result) {
  using Q = memledger_checkpoint_query;
  using R = memledger_checkpoint_result;
  if (query == nullptr || result == nullptr || !MEMLEDGER_COVERS(query, Q, checkpoint) ||
      !MEMLEDGER_COVERS(result, R, bytes)) {
    return MEMLEDGER_E_ARGUMENT;
  }
  // What the caller's result holds, cleared first: an error leaves it so.
  const bool has_peak = MEMLEDGER_COVERS(result, R, peak_above_begin);
  const bool has_texts = MEMLEDGER_COVERS(result, R, text);
  result->buffers = 0;
  result->bytes = 0;
  if (has_peak) result->peak_above_begin = 0;
  if (has_texts) result->json = result->text = nullptr;
  if (!Active()) return MEMLEDGER_E_OFF;
  if (EmbeddedConsumer::OnDrainThread()) return MEMLEDGER_E_ARGUMENT;  // it would wait for itself

  CheckpointQuestion question;
  question.checkpoint = query->checkpoint;
  question.counts_only = !has_texts;
  if (MEMLEDGER_COVERS(query, Q, flags)) question.counts_only |= (query->flags & MEMLEDGER_CHECKPOINT_COUNTS_ONLY) != 0;
  if (MEMLEDGER_COVERS(query, Q, max_sites) && query->max_sites != 0) question.max_sites = query->max_sites;
  SeqRange excludes[MEMLEDGER_MAX_EXCLUDES];
  if (MEMLEDGER_COVERS(query, Q, exclude_count) && query->exclude_count != 0) {
    if (query->exclude_count > MEMLEDGER_MAX_EXCLUDES || query->excludes == nullptr) return MEMLEDGER_E_ARGUMENT;
    for (std::size_t i = 0; i < query->exclude_count; ++i) excludes[i] = {query->excludes[i].begin, query->excludes[i].end};
    question.exclude = std::span<const SeqRange>(excludes, query->exclude_count);
  }
  if (MEMLEDGER_COVERS(query, Q, timeout_ms) && query->timeout_ms != 0) {
    question.patience = std::chrono::milliseconds(query->timeout_ms);
  }

  CheckpointReply reply = QueryCheckpoint(question);
  if (reply.status != CheckpointStatus::kOk) {
    if (has_texts && !reply.error.empty()) result->text = CopyText("memledger: " + reply.error);
    if (reply.status != CheckpointStatus::kReport) return static_cast<int>(reply.status);
  }
  result->buffers = reply.buffers;
  result->bytes = reply.bytes;
  if (has_peak) result->peak_above_begin = reply.peak_above_begin;
  if (reply.status == CheckpointStatus::kReport) return MEMLEDGER_E_REPORT;
  if (!question.counts_only) {
    result->json = CopyText(reply.json);
    result->text = CopyText(reply.text);
    if (result->json == nullptr || result->text == nullptr) {
      std::free(result->json);
      std::free(result->text);
      result->json = result->text = nullptr;
      return MEMLEDGER_E_REPORT;
    }
  }
  return 0;
}

MEMLEDGER_API void memledger_free_text(char* text) { std::free(text); }

MEMLEDGER_API void memledger_flush(void) {
  if (!Active()) return;
  if (EmbeddedConsumer::OnDrainThread()) return;
  WaitProcessed(DrainPatience{std::chrono::hours(24 * 365)});
}

}  // extern "C"
