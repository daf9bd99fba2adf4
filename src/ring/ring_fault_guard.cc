// ring_fault_guard.cc — see ring_fault_guard.h.
#include "ring/ring_fault_guard.h"

#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <mutex>

namespace memledger {
namespace {

constexpr int kMaxGuardedMappings = 8192;  // > the server's session limit (4,096)
constexpr std::uintptr_t kClaimed = 1;     // an entry being filled in or emptied: matches no address

struct GuardEntry {
  std::atomic<std::uintptr_t> begin{0};  // 0: free; kClaimed: busy; else the mapping's first byte
  std::atomic<std::uintptr_t> end{0};
  std::atomic<std::uint32_t> damaged{0};
};
static_assert(std::atomic<std::uintptr_t>::is_always_lock_free && std::atomic<std::uint32_t>::is_always_lock_free);

constinit GuardEntry g_entries[kMaxGuardedMappings];
constinit std::atomic<int> g_used{0};  // entries at or above it were never claimed
constinit std::atomic<bool> g_installed{false};
constinit std::once_flag g_install_once;
constinit struct sigaction g_previous {};

void OnSigbus(int signo, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  const int used = g_used.load(std::memory_order_acquire);
  for (int i = 0; i < used; ++i) {
    GuardEntry& entry = g_entries[i];
    // Acquire: pairs with the release store of begin in RegisterGuardedMapping (end is set).
    const std::uintptr_t begin = entry.begin.load(std::memory_order_acquire);
    if (begin <= kClaimed) continue;
    const std::uintptr_t end = entry.end.load(std::memory_order_relaxed);
    if (address < begin || address >= end) continue;
    // Zero pages over the whole mapping: the faulting access is retried and
    // succeeds, and every later read of this ring sees an empty one.
    mmap(reinterpret_cast<void*>(begin), end - begin, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS,
         -1, 0);
    entry.damaged.store(1, std::memory_order_release);
    return;
  }
  // Not a ring: whatever handled SIGBUS before us, or the default action.
  if ((g_previous.sa_flags & SA_SIGINFO) != 0 && g_previous.sa_sigaction != nullptr) {
    g_previous.sa_sigaction(signo, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(signo);
  } else {
    signal(SIGBUS, SIG_DFL);  // returning retries the access, which now kills as it would have
  }
}

}  // namespace

void InstallRingFaultGuard() {
  std::call_once(g_install_once, [] {
    struct sigaction action {};
    action.sa_sigaction = OnSigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &g_previous);
    g_installed.store(true, std::memory_order_release);
  });
}

int RegisterGuardedMapping(void* base, std::size_t bytes) {
  if (!g_installed.load(std::memory_order_acquire)) return -1;
  for (int i = 0; i < kMaxGuardedMappings; ++i) {
    GuardEntry& entry = g_entries[i];
    std::uintptr_t expected = 0;
    if (!entry.begin.compare_exchange_strong(expected, kClaimed, std::memory_order_acq_rel)) continue;
    int used = g_used.load(std::memory_order_relaxed);
    while (used <= i && !g_used.compare_exchange_weak(used, i + 1, std::memory_order_release)) {
    }
    const auto begin = reinterpret_cast<std::uintptr_t>(base);
    entry.damaged.store(0, std::memory_order_relaxed);
    entry.end.store(begin + bytes, std::memory_order_relaxed);
    // Release: pairs with the handler's acquire load of begin.
    entry.begin.store(begin, std::memory_order_release);
    return i;
  }
  return -1;
}

void UnregisterGuardedMapping(int entry) {
  if (entry < 0) return;
  g_entries[entry].begin.store(kClaimed, std::memory_order_release);
  g_entries[entry].end.store(0, std::memory_order_relaxed);
  g_entries[entry].begin.store(0, std::memory_order_release);
}

bool GuardedMappingDamaged(int entry) {
  return entry >= 0 && g_entries[entry].damaged.load(std::memory_order_acquire) != 0;
}

}  // namespace memledger
