// allocation_stacks.cc — see allocation_stacks.h.
#include "client/allocation_stacks.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "client/declared_names.h"
#include "client/hook_core.h"
#include "client/language_frames.h"
#include "client/module_map.h"
#include "client/stack_capture.h"
#include "event/errno_kept.h"
#include "event/record.h"

namespace memledger {
namespace {

constinit std::once_flag g_stacks_once;
constinit std::atomic<StackTable*> g_stack_table{nullptr};
constinit StackUnwinder g_unwinder = StackUnwinder::kFramePointers;  // set once, before g_stack_table
constinit CodeRange g_own_code;  // the hook-to-walk functions: their frames are left out of stacks
constinit std::mutex g_stack_mutex;
constinit ModuleMap* g_modules = nullptr;                    // guarded by g_stack_mutex
constinit LanguageFrameTable* g_language_frames = nullptr;  // guarded by g_stack_mutex; made by the first memledger_intern_frame
// A language binding's frame provider (memledger_set_frame_provider) and the
// code ranges it implies.
struct FrameProvider {
  memledger_frame_provider frames;
  CodeRange glue;         // the object holding `frames`: its leading native frames are left out
  CodeRange interpreter;  // native frames end before the first frame here
};
constinit std::atomic<const FrameProvider*> g_frame_provider{nullptr};
// The objects known mapped, for the frame walk to tell frames from garbage.
// Replaced when a refresh finds new objects.
constinit std::atomic<const MappedCode*> g_mapped_code{nullptr};
// A walk that stops at an unknown address deeper than the first frame is
// most likely garbage past code without frame pointers; every so often it
// may be code loaded since, so the thread looks again.
constexpr std::uint32_t kUnknownStopsPerRefresh = 4096;
constinit thread_local std::uint32_t tls_unknown_stops __attribute__((tls_model("initial-exec"))) = 0;
constexpr unsigned kStackTableLog2 = 20;  // a million distinct stacks; 16 MiB of address space

// Looks at the mapped objects again; sends a MODULE record for each new one
// and publishes the new code map. True when something new was found.
bool RefreshModules() {
  const ErrnoKept errno_kept;
  std::lock_guard lock(g_stack_mutex);
  const std::vector<ModuleDescription> added = g_modules->Refresh();
  if (added.empty()) return false;
  std::vector<std::string> payloads;
  for (const ModuleDescription& module : added) payloads.push_back(EncodeModule(module));
  RememberModules(payloads);
  for (const std::string& payload : payloads) EmitWithPayload(MakeEvent(EventKind::kModule, 0, 0, 0, 0, 0), payload);
  std::vector<CodeRange> ranges;
  for (const ModuleDescription& module : g_modules->modules()) ranges.push_back({module.start, module.end});
  g_mapped_code.store(new MappedCode(std::move(ranges)), std::memory_order_release);
  return true;
}

// Sends a new stack's frames, after the MODULE records of any object they
// are in that was not described yet (libunwind's frames are not checked
// against the code map as they are walked).
void DefineStack(std::uint32_t id, std::span<const std::uint64_t> frames) {
  const MappedCode* code = g_mapped_code.load(std::memory_order_acquire);
  const auto described = [code](std::uint64_t f) { return IsLanguageFrame(f) || code->Contains(f); };
  if (!std::all_of(frames.begin(), frames.end(), described)) {
    RefreshModules();
  }
  Event e = MakeEvent(EventKind::kStack, 0, 0, 0, 0, 0);
  e.stack = id;
  EmitWithPayload(e, EncodeStack(frames));
}

}  // namespace

// A stack seen for the first time is sent once, by the thread that interned it.
//
// With a language binding's frame provider, its frames (Python's) are asked
// for first: when there are any, the native walk leaves out the binding's
// glue and ends at the interpreter, and they follow the native frames. When
// both are deeper than `depth`, each gets half of it.
MEMLEDGER_HOOK_PATH [[gnu::noinline]] std::uint32_t CurrentStack(std::uint32_t depth) {
  std::uint64_t frames[kMaxStackDepth];
  std::uint64_t language[kMaxStackDepth];
  std::size_t language_depth = 0;
  FrameFilter filter{.skip = g_own_code};
  // Acquire: pairs with the release store in SetFrameProvider.
  if (const FrameProvider* provider = g_frame_provider.load(std::memory_order_acquire)) {
    language_depth = std::min<std::size_t>(provider->frames(language, depth), depth);
    if (language_depth != 0) filter = {g_own_code, provider->glue, provider->interpreter};
  }
  const std::size_t native_depth = depth - std::min<std::size_t>(language_depth, depth / 2);
  CapturedStack captured =
      CaptureStack(g_unwinder, frames, native_depth, filter, g_mapped_code.load(std::memory_order_acquire));
  // The first frame is always real code (it called the hook): unknown, it was
  // loaded since the last look. Deeper, look again now and then.
  if (captured.stopped_at != 0 && (captured.depth == 0 || ++tls_unknown_stops % kUnknownStopsPerRefresh == 0) &&
      RefreshModules()) {
    captured = CaptureStack(g_unwinder, frames, native_depth, filter, g_mapped_code.load(std::memory_order_acquire));
  }
  const std::size_t total = std::min<std::size_t>(captured.depth + language_depth, depth);
  std::copy_n(language, total - captured.depth, frames + captured.depth);
  if (total == 0) return 0;
  const std::span<const std::uint64_t> stack(frames, total);
  const StackTable::Interned interned = g_stack_table.load(std::memory_order_relaxed)->Intern(stack);
  if (interned.is_new) DefineStack(interned.id, stack);
  return interned.id;
}

int SetStackDepth(std::uint32_t depth) {
  if (depth != 0) {
    std::call_once(g_stacks_once, [] {
      try {
        if (g_config->stacks != StackUnwinder::kOff) g_unwinder = g_config->stacks;
        g_own_code = HookPathCode();
        std::unique_ptr<StackTable> table = StackTable::Create(kStackTableLog2);
        if (!table) {
          std::fprintf(stderr, "memledger: allocation stacks are off: no memory for the stack table\n");
          return;
        }
        {
          std::lock_guard lock(g_stack_mutex);
          g_modules = new ModuleMap();
        }
        RefreshModules();
        g_stack_table.store(table.release(), std::memory_order_release);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "memledger: allocation stacks are off: %s\n", error.what());
      }
    });
    if (g_stack_table.load(std::memory_order_acquire) == nullptr) return -1;
  }
  return static_cast<int>(g_hook.stack_depth.exchange(depth, std::memory_order_acq_rel));
}

void SetFrameProvider(memledger_frame_provider frames, const void* interpreter) {
  const FrameProvider* provider = nullptr;
  if (frames != nullptr) {
    provider = new FrameProvider{frames, CodeRangeOf(reinterpret_cast<const void*>(frames)),
                                 interpreter != nullptr ? CodeRangeOf(interpreter) : CodeRange{}};
  }
  // Release: pairs with the acquire load in CurrentStack.
  g_frame_provider.store(provider, std::memory_order_release);
}

std::uint64_t InternLanguageFrame(const char* function, const char* file, std::uint32_t line) {
  const std::string payload = EncodeLanguageFrame(
      {BoundedName(function, kMaxLanguageFrameText), BoundedName(file, kMaxLanguageFrameText), line});
  // Remembered for handovers before it is sent (declared_names.h).
  std::lock_guard lock(g_stack_mutex);
  if (g_language_frames == nullptr) g_language_frames = new LanguageFrameTable();
  const LanguageFrameTable::Interned interned = g_language_frames->Intern(payload);
  if (interned.is_new) {
    RememberLanguageFrame(interned.value, payload);
    EmitWithPayload(MakeEvent(EventKind::kLanguageFrame, 0, 0, 0, interned.value, 0), payload);
  }
  return interned.value;
}

const StackTable* InternedStacks() { return g_stack_table.load(std::memory_order_acquire); }

}  // namespace memledger
