// stack_capture.cc — see stack_capture.h.
#include "client/stack_capture.h"

#include <link.h>
#include <pthread.h>

#include <libunwind.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "event/errno_kept.h"

namespace memledger {
namespace {

struct StackBounds {
  std::uintptr_t low = 0;
  std::uintptr_t high = 0;  // 0: not read yet
};
constinit thread_local StackBounds tls_bounds __attribute__((tls_model("initial-exec")));

const StackBounds& ThreadStackBounds() {
  StackBounds& bounds = tls_bounds;
  if (bounds.high == 0) [[unlikely]] {
    const ErrnoKept errno_kept;  // the main thread's bounds come from /proc/self/maps
    pthread_attr_t attr;
    void* base = nullptr;
    std::size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      pthread_attr_getstack(&attr, &base, &size);
      pthread_attr_destroy(&attr);
    }
    bounds.low = reinterpret_cast<std::uintptr_t>(base);
    bounds.high = bounds.low + size;
    if (bounds.high == 0) bounds.high = 1;  // unknown: the walk takes nothing
  }
  return bounds;
}

// A leading frame `filter` leaves out (n: frames kept so far).
bool Skipped(const FrameFilter& filter, std::size_t n, std::uint64_t address) {
  return n == 0 && (filter.skip.Contains(address) || filter.glue.Contains(address));
}

MEMLEDGER_HOOK_PATH [[gnu::noinline]] CapturedStack WalkFramePointers(std::uint64_t* frames, std::size_t depth, const FrameFilter& filter,
                                                  const MappedCode* code) {
  const StackBounds& bounds = ThreadStackBounds();
  auto fp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  std::size_t n = 0;
  while (n < depth) {
    // A frame record is two words: the caller's frame pointer, the return address.
    if (fp < bounds.low || fp + 2 * sizeof(std::uintptr_t) > bounds.high || (fp & (sizeof(std::uintptr_t) - 1)) != 0) {
      break;
    }
    const auto* record = reinterpret_cast<const std::uintptr_t*>(fp);
    const std::uintptr_t next = record[0];
    const std::uintptr_t ret = record[1];
    if (ret == 0 || filter.stop_at.Contains(ret)) break;
    if (code != nullptr && !code->Contains(ret)) return {n, ret};
    if (!Skipped(filter, n, ret)) frames[n++] = ret;
    if (next <= fp) break;  // frames go up the stack; anything else is not a frame chain
    fp = next;
  }
  return {n, 0};
}

MEMLEDGER_HOOK_PATH CapturedStack Unwind(std::uint64_t* frames, std::size_t depth, const FrameFilter& filter) {
  constexpr int kMaxRaw = 96;  // room for our own frames before the application's
  void* raw[kMaxRaw];
  const ErrnoKept errno_kept;  // libunwind probes memory with system calls
  const int got = unw_backtrace(raw, kMaxRaw);
  std::size_t n = 0;
  for (int i = 0; i < got && n < depth; ++i) {
    const auto address = reinterpret_cast<std::uint64_t>(raw[i]);
    if (filter.stop_at.Contains(address)) break;
    if (!Skipped(filter, n, address)) frames[n++] = address;
  }
  return {n, 0};
}

}  // namespace

// The linker's bounds of the section (it defines them for a section whose
// name is a C identifier).
extern "C" const char __start_memledger_hook_path[];
extern "C" const char __stop_memledger_hook_path[];

CodeRange HookPathCode() {
  return {reinterpret_cast<std::uint64_t>(__start_memledger_hook_path),
          reinterpret_cast<std::uint64_t>(__stop_memledger_hook_path)};
}

MappedCode::MappedCode(std::vector<CodeRange> ranges) : ranges_(std::move(ranges)) {
  std::sort(ranges_.begin(), ranges_.end(), [](const CodeRange& a, const CodeRange& b) { return a.start < b.start; });
}

bool MappedCode::Contains(std::uint64_t address) const {
  // The last range starting at or below the address.
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), address,
                             [](std::uint64_t a, const CodeRange& r) { return a < r.start; });
  return it != ranges_.begin() && std::prev(it)->Contains(address);
}

MEMLEDGER_HOOK_PATH CapturedStack CaptureStack(StackUnwinder how, std::uint64_t* frames, std::size_t depth, const FrameFilter& filter,
                           const MappedCode* code) {
  switch (how) {
    case StackUnwinder::kFramePointers: return WalkFramePointers(frames, depth, filter, code);
    case StackUnwinder::kLibunwind: return Unwind(frames, depth, filter);
    case StackUnwinder::kOff: break;
  }
  return {};
}

CodeRange CodeRangeOf(const void* address) {
  struct Search {
    std::uintptr_t address;
    CodeRange range;
  } search{reinterpret_cast<std::uintptr_t>(address), {}};
  dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t, void* data) {
        auto* s = static_cast<Search*>(data);
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& ph = info->dlpi_phdr[i];
          if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) continue;
          const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
          if (s->address >= start && s->address < start + ph.p_memsz) {
            s->range = {start, start + ph.p_memsz};
            return 1;
          }
        }
        return 0;
      },
      &search);
  return search.range;
}

}  // namespace memledger
