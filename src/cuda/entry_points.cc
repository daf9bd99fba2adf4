// entry_points.cc — see entry_points.h.
#include "cuda/entry_points.h"

#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "cuda/cuda_variants.h"
#include "cuda/real_dlsym.h"

namespace memledger::cuda {

const char* const kEntryPointNames[kEntryPointCount] = {
    "cudaMalloc",
    "cudaFree",
    "cudaMallocAsync",
    "cudaMallocAsync_ptsz",
    "cudaFreeAsync",
    "cudaFreeAsync_ptsz",
    "cudaMallocManaged",
    "cudaMallocPitch",
    "cuMemAlloc_v2",
    "cuMemFree_v2",
    "cuMemAllocPitch_v2",
    "cuMemAllocManaged",
    "cuMemAllocAsync",
    "cuMemAllocAsync_ptsz",
    "cuMemFreeAsync",
    "cuMemFreeAsync_ptsz",
    "cuMemCreate",
    "cuMemRelease",
    "cuMemRetainAllocationHandle",
    "cuMemMap",
    "cuMemUnmap",
    "cuGetProcAddress",
    "cuGetProcAddress_v2",
    "cudaGetDevice",
    "cuCtxGetDevice",
    "cuDeviceGetName",
    "cuDeviceTotalMem_v2",
    "cuStreamGetDevice",
    "cuDeviceGetUuid_v2",
    "cuDeviceGetUuid",
};

namespace {

template <typename Function>
void* Address(Function* function) {
  return reinterpret_cast<void*>(function);
}

// The real functions, by EntryPoint value: null until found (or known
// missing: kNotFound), then never changed.
constinit std::atomic<void*> g_real[kEntryPointCount] = {};
constexpr std::uintptr_t kNotFound = 1;

bool IsRuntime(EntryPoint entry) {
  return entry <= EntryPoint::kCudaMallocPitch || entry == EntryPoint::kCudaGetDevice;
}

// Keeps `found` unless the slot already holds a function; returns the one kept.
void* Keep(std::atomic<void*>& slot, void* found) {
  void* kept = nullptr;
  // acq_rel / acquire: publishes `found` to RealAddress's acquire load, or
  // sees the function another thread kept first.
  if (slot.compare_exchange_strong(kept, found, std::memory_order_acq_rel, std::memory_order_acquire)) return found;
  return kept;
}

struct MatchingObjects {
  const char* prefix;
  std::vector<std::string> paths;
};

int CollectMatchingObject(dl_phdr_info* info, std::size_t, void* data) {
  auto* matches = static_cast<MatchingObjects*>(data);
  const char* path = info->dlpi_name;
  if (path == nullptr || *path == '\0') return 0;
  const char* slash = std::strrchr(path, '/');
  const char* base = slash == nullptr ? path : slash + 1;
  if (std::strncmp(base, matches->prefix, std::strlen(matches->prefix)) == 0) matches->paths.emplace_back(path);
  return 0;
}

// `name` in the first loaded object whose file name begins with `prefix`,
// however it was loaded. The objects are listed first and opened after:
// dlopen must not run under dl_iterate_phdr's lock.
void* FindInLoadedObject(const char* prefix, const char* name, void* ours) {
  MatchingObjects matches{prefix, {}};
  dl_iterate_phdr(CollectMatchingObject, &matches);
  for (const std::string& path : matches.paths) {
    void* handle = dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (handle == nullptr) continue;
    void* found = RealDlsym(handle, name);
    dlclose(handle);
    if (found != nullptr && found != ours) return found;
  }
  return nullptr;
}

}  // namespace

// A switch, not a table: nothing here waits for dynamic initialization, and
// hooks may run from other libraries' constructors before this one's.
// -Bsymbolic: these are this library's definitions, even where the program
// defines the same names (as a program linked with static cudart does).
void* WrapperOf(EntryPoint entry) {
  switch (entry) {
    case EntryPoint::kCudaMalloc: return Address(&cudaMalloc);
    case EntryPoint::kCudaFree: return Address(&cudaFree);
    case EntryPoint::kCudaMallocAsync: return Address(&cudaMallocAsync);
    case EntryPoint::kCudaMallocAsyncPtsz: return Address(&cudaMallocAsync_ptsz);
    case EntryPoint::kCudaFreeAsync: return Address(&cudaFreeAsync);
    case EntryPoint::kCudaFreeAsyncPtsz: return Address(&cudaFreeAsync_ptsz);
    case EntryPoint::kCudaMallocManaged: return Address(&cudaMallocManaged);
    case EntryPoint::kCudaMallocPitch: return Address(&cudaMallocPitch);
    case EntryPoint::kCuMemAlloc: return Address(&cuMemAlloc_v2);
    case EntryPoint::kCuMemFree: return Address(&cuMemFree_v2);
    case EntryPoint::kCuMemAllocPitch: return Address(&cuMemAllocPitch_v2);
    case EntryPoint::kCuMemAllocManaged: return Address(&cuMemAllocManaged);
    case EntryPoint::kCuMemAllocAsync: return Address(&cuMemAllocAsync);
    case EntryPoint::kCuMemAllocAsyncPtsz: return Address(&cuMemAllocAsync_ptsz);
    case EntryPoint::kCuMemFreeAsync: return Address(&cuMemFreeAsync);
    case EntryPoint::kCuMemFreeAsyncPtsz: return Address(&cuMemFreeAsync_ptsz);
    case EntryPoint::kCuMemCreate: return Address(&cuMemCreate);
    case EntryPoint::kCuMemRelease: return Address(&cuMemRelease);
    case EntryPoint::kCuMemRetainAllocationHandle: return Address(&cuMemRetainAllocationHandle);
    case EntryPoint::kCuMemMap: return Address(&cuMemMap);
    case EntryPoint::kCuMemUnmap: return Address(&cuMemUnmap);
    case EntryPoint::kCuGetProcAddressV11030: return Address(&cuGetProcAddressV11030);
    case EntryPoint::kCuGetProcAddressV12000: return Address(&cuGetProcAddress_v2);
    case EntryPoint::kCudaGetDevice:
    case EntryPoint::kCuCtxGetDevice:
    case EntryPoint::kCuDeviceGetName:
    case EntryPoint::kCuDeviceTotalMem:
    case EntryPoint::kCuStreamGetDevice:
    case EntryPoint::kCuDeviceGetUuidV2:
    case EntryPoint::kCuDeviceGetUuid:
      return nullptr;
  }
  return nullptr;
}

void* AdoptReal(EntryPoint entry, void* found) {
  void* wrapper = WrapperOf(entry);
  if (wrapper == nullptr || found == wrapper) return found;
  const void* kept = Keep(g_real[static_cast<std::size_t>(entry)], found);
  // A process has one driver (libcuda.so.1): another address for the same
  // variant is another way into it (cuGetProcAddress may hand out its
  // internal entry points). It may have two runtimes (libcudart.so.11.0 and
  // .12), each with its own state: another address may be the other one.
  return kept == found || !IsRuntime(entry) ? wrapper : found;
}

void* RealAddress(EntryPoint entry) {
  std::atomic<void*>& slot = g_real[static_cast<std::size_t>(entry)];
  // Acquire: pairs with the acq_rel CAS in Keep.
  if (void* kept = slot.load(std::memory_order_acquire)) [[likely]]
    return reinterpret_cast<std::uintptr_t>(kept) == kNotFound ? nullptr : kept;
  const char* name = kEntryPointNames[static_cast<std::size_t>(entry)];
  void* found = RealDlsym(RTLD_NEXT, name);
  if (found == nullptr) {
    found = FindInLoadedObject(IsRuntime(entry) ? "libcudart.so" : "libcuda.so", name, WrapperOf(entry));
  }
  if (found != nullptr) {
    void* kept = Keep(slot, found);
    return reinterpret_cast<std::uintptr_t>(kept) == kNotFound ? found : kept;
  }
  // A wrapped function is looked for again next time (its caller got an
  // error). One only asked is asked after its library answered a call: it
  // lacks the function (cuStreamGetDevice before CUDA 12.8), for good.
  if (WrapperOf(entry) == nullptr) Keep(slot, reinterpret_cast<void*>(kNotFound));
  return nullptr;
}

}  // namespace memledger::cuda
