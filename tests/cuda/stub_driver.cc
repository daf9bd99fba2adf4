// stub_driver.cc — a stub CUDA driver, built as libcuda.so.1 for the tests
// (CI has no GPU): the functions the interposer wraps or asks, with the real
// signatures (cuda.h), on two fake devices. It hands out fake addresses,
// unique while live and reused soon after a free (first from a per-size free
// list: the fast reuse that exposes badly placed free hooks), implements the
// virtual memory management calls with the driver's reference rules (a
// physical allocation ends when its last handle and mapping go), and keeps
// its own books (stub_counts.h). No memory is behind any address.
//
// Like a real driver, cuGetProcAddress hands out its internal entry points,
// not the exported functions: the interposer must not rely on them being the same.
//
// A request larger than its device's memory fails with
// CUDA_ERROR_OUT_OF_MEMORY, counted as a failure (stub_counts.h): a test
// runs out of memory on demand by asking for more than the device has.
//
// A test can hold one cuMemRelease inside the driver after it has given its
// handle value back (memledger_stub_hold_release, stub_counts.h): another
// thread then gets the same value from cuMemCreate before that release returns.
//
// Thread-safety: thread-safe; one mutex for everything (a test double, not a benchmark).
#include <cuda.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cuda/cuda_variants.h"
#include "stub_counts.h"

namespace {

enum Kind { kDeviceMemory = 0, kManaged = 1, kVmmPhysical = 2 };

constexpr const char* kDeviceNames[kStubDevices] = {"memledger stub GPU 0", "memledger stub GPU 1"};
constexpr std::uint64_t kDeviceBytes[kStubDevices] = {16ull << 30, 24ull << 30};
// What cuDeviceGetUuid(_v2) says of each device (a real GPU's UUID is random).
constexpr unsigned char kDeviceUuids[kStubDevices][16] = {
    {0x5f, 0x1c, 0x2d, 0x3e, 0x4a, 0x5b, 0x6c, 0x7d, 0x8e, 0x9f, 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5},
    {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10}};
constexpr std::uint64_t kAlignment = 512;
constexpr std::uint64_t kGranularity = 2ull << 20;  // of physical allocations and reservations
constexpr std::uintptr_t kContextBase = 0x1000;     // CUcontext of device d: kContextBase + d
constexpr std::uintptr_t kStreamBase = 0x50000000;  // CUstream: kStreamBase | device << 16 | n

struct Buffer {
  int device;
  Kind kind;
  std::uint64_t size;      // asked for
  std::uint64_t reserved;  // handed out (rounded up): the free list it goes back to
};

struct Physical {
  int device;
  bool on_device;
  std::uint64_t size;
  std::uint32_t handle_references;
  std::uint32_t mappings;
};

struct Handle {
  std::uint64_t physical;
  std::uint32_t references;
};

struct Mapping {
  std::uint64_t size;
  std::uint64_t physical;
};

struct Driver {
  std::mutex mutex;
  StubKindCounts counts[kStubDevices][kStubKinds] = {};
  std::uint64_t next_address = 0x200000000000;
  std::map<std::uint64_t, std::vector<std::uint64_t>> free_addresses;  // by reserved size, most recent last
  std::unordered_map<std::uint64_t, Buffer> buffers;
  std::map<std::uint64_t, std::uint64_t> reservations;  // start -> size
  std::uint64_t next_physical = 1;
  std::unordered_map<std::uint64_t, Physical> physicals;
  std::uint64_t next_handle = 0x10;
  std::vector<std::uint64_t> free_handles;  // values are reused, as a driver may
  std::unordered_map<std::uint64_t, Handle> handles;
  std::map<std::uint64_t, Mapping> mappings;  // start -> mapping
  std::uint32_t next_stream = 1;
  // memledger_stub_hold_release: the handle whose release waits, whether one waits, whether it may go.
  std::uint64_t hold_release = 0;
  bool release_held = false;
  bool release_go = false;
  std::condition_variable hold_changed;  // with mutex
};

Driver& State() {
  static Driver* const driver = new Driver();  // never freed: calls may come from static destructors
  return *driver;
}

thread_local int tls_device = 0;

bool ValidDevice(int device) { return device >= 0 && device < kStubDevices; }

void CountAlloc(Driver& d, int device, Kind kind, std::uint64_t size) {
  StubKindCounts& c = d.counts[device][kind];
  ++c.allocs;
  ++c.live_buffers;
  c.live_bytes += size;
}

void CountFree(Driver& d, int device, Kind kind, std::uint64_t size) {
  StubKindCounts& c = d.counts[device][kind];
  ++c.frees;
  --c.live_buffers;
  c.live_bytes -= size;
}

// A request larger than the device: out of memory, counted.
CUresult Refuse(Driver& d, int device, Kind kind) {
  std::lock_guard lock(d.mutex);
  ++d.counts[device][kind].failures;
  return CUDA_ERROR_OUT_OF_MEMORY;
}

std::uint64_t TakeAddressLocked(Driver& d, std::uint64_t reserved) {
  auto it = d.free_addresses.find(reserved);
  if (it != d.free_addresses.end() && !it->second.empty()) {
    const std::uint64_t address = it->second.back();
    it->second.pop_back();
    return address;
  }
  const std::uint64_t address = d.next_address;
  d.next_address += reserved;
  return address;
}

CUresult Allocate(CUdeviceptr* dptr, std::uint64_t size, int device, Kind kind) {
  if (dptr == nullptr || size == 0 || !ValidDevice(device)) return CUDA_ERROR_INVALID_VALUE;
  Driver& d = State();
  if (size > kDeviceBytes[device]) return Refuse(d, device, kind);
  const std::uint64_t reserved = (size + kAlignment - 1) / kAlignment * kAlignment;
  std::lock_guard lock(d.mutex);
  const std::uint64_t address = TakeAddressLocked(d, reserved);
  d.buffers[address] = Buffer{device, kind, size, reserved};
  CountAlloc(d, device, kind, size);
  *dptr = address;
  return CUDA_SUCCESS;
}

CUresult Release(CUdeviceptr dptr) {
  Driver& d = State();
  {
    std::lock_guard lock(d.mutex);
    auto it = d.buffers.find(dptr);
    if (it == d.buffers.end()) return CUDA_ERROR_INVALID_VALUE;
    CountFree(d, it->second.device, it->second.kind, it->second.size);
    d.free_addresses[it->second.reserved].push_back(dptr);
    d.buffers.erase(it);
  }
  // The address may go to another thread before this free returns: let it,
  // so that a free booked only after the real free shows up as late.
  std::this_thread::yield();
  return CUDA_SUCCESS;
}

int StreamDevice(CUstream stream) {
  const auto value = reinterpret_cast<std::uintptr_t>(stream);
  if (value < kStreamBase) return tls_device;  // null, legacy, per-thread
  return static_cast<int>((value >> 16) & 0xff);
}

// The physical allocation ends when nothing refers to it any more.
void EndIfUnreferencedLocked(Driver& d, std::uint64_t physical_id) {
  auto it = d.physicals.find(physical_id);
  if (it == d.physicals.end() || it->second.handle_references != 0 || it->second.mappings != 0) return;
  if (it->second.on_device) CountFree(d, it->second.device, kVmmPhysical, it->second.size);
  d.physicals.erase(it);
}

std::uint64_t NewHandleLocked(Driver& d, std::uint64_t physical_id) {
  std::uint64_t handle;
  if (!d.free_handles.empty()) {
    handle = d.free_handles.back();
    d.free_handles.pop_back();
  } else {
    handle = d.next_handle++;
  }
  d.handles[handle] = Handle{physical_id, 1};
  return handle;
}

// The internal entry points. cuGetProcAddress hands these out.

CUresult Init(unsigned int) { return CUDA_SUCCESS; }

CUresult DeviceGetCount(int* count) {
  *count = kStubDevices;
  return CUDA_SUCCESS;
}

CUresult DeviceGet(CUdevice* device, int ordinal) {
  if (!ValidDevice(ordinal)) return CUDA_ERROR_INVALID_DEVICE;
  *device = ordinal;
  return CUDA_SUCCESS;
}

CUresult DeviceGetName(char* name, int len, CUdevice device) {
  if (!ValidDevice(device) || name == nullptr || len <= 0) return CUDA_ERROR_INVALID_VALUE;
  std::snprintf(name, static_cast<std::size_t>(len), "%s", kDeviceNames[device]);
  return CUDA_SUCCESS;
}

CUresult DeviceGetUuid(CUuuid* uuid, CUdevice device) {
  if (!ValidDevice(device) || uuid == nullptr) return CUDA_ERROR_INVALID_VALUE;
  std::copy(std::begin(kDeviceUuids[device]), std::end(kDeviceUuids[device]), reinterpret_cast<unsigned char*>(uuid->bytes));
  return CUDA_SUCCESS;
}

CUresult DeviceTotalMem(size_t* bytes, CUdevice device) {
  if (!ValidDevice(device)) return CUDA_ERROR_INVALID_DEVICE;
  *bytes = kDeviceBytes[device];
  return CUDA_SUCCESS;
}

CUresult DevicePrimaryCtxRetain(CUcontext* context, CUdevice device) {
  if (!ValidDevice(device)) return CUDA_ERROR_INVALID_DEVICE;
  *context = reinterpret_cast<CUcontext>(kContextBase + static_cast<std::uintptr_t>(device));
  return CUDA_SUCCESS;
}

CUresult CtxSetCurrent(CUcontext context) {
  const auto device = static_cast<int>(reinterpret_cast<std::uintptr_t>(context) - kContextBase);
  if (!ValidDevice(device)) return CUDA_ERROR_INVALID_CONTEXT;
  tls_device = device;
  return CUDA_SUCCESS;
}

CUresult CtxGetDevice(CUdevice* device) {
  *device = tls_device;
  return CUDA_SUCCESS;
}

CUresult StreamCreate(CUstream* stream, unsigned int) {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  const std::uintptr_t n = d.next_stream++ & 0xffff;
  *stream = reinterpret_cast<CUstream>(kStreamBase | static_cast<std::uintptr_t>(tls_device) << 16 | n);
  return CUDA_SUCCESS;
}

CUresult StreamGetDevice(CUstream stream, CUdevice* device) {
  *device = StreamDevice(stream);
  return CUDA_SUCCESS;
}

CUresult MemAlloc(CUdeviceptr* dptr, size_t bytesize) { return Allocate(dptr, bytesize, tls_device, kDeviceMemory); }

CUresult MemAllocPitch(CUdeviceptr* dptr, size_t* pitch, size_t width, size_t height, unsigned int element_size) {
  if (pitch == nullptr || element_size == 0) return CUDA_ERROR_INVALID_VALUE;
  const std::uint64_t row = (width + kAlignment - 1) / kAlignment * kAlignment;
  const CUresult result = Allocate(dptr, row * height, tls_device, kDeviceMemory);
  if (result == CUDA_SUCCESS) *pitch = row;
  return result;
}

CUresult MemAllocManaged(CUdeviceptr* dptr, size_t bytesize, unsigned int) {
  return Allocate(dptr, bytesize, tls_device, kManaged);
}

CUresult MemFree(CUdeviceptr dptr) { return Release(dptr); }

CUresult MemAllocAsync(CUdeviceptr* dptr, size_t bytesize, CUstream stream) {
  return Allocate(dptr, bytesize, StreamDevice(stream), kDeviceMemory);
}

CUresult MemFreeAsync(CUdeviceptr dptr, CUstream) { return Release(dptr); }

CUresult MemAddressReserve(CUdeviceptr* ptr, size_t size, size_t, CUdeviceptr, unsigned long long) {
  if (ptr == nullptr || size == 0 || size % kGranularity != 0) return CUDA_ERROR_INVALID_VALUE;
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  d.next_address = (d.next_address + kGranularity - 1) / kGranularity * kGranularity;
  *ptr = d.next_address;
  d.next_address += size;
  d.reservations[*ptr] = size;
  return CUDA_SUCCESS;
}

CUresult MemAddressFree(CUdeviceptr ptr, size_t size) {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  auto it = d.reservations.find(ptr);
  if (it == d.reservations.end() || it->second != size) return CUDA_ERROR_INVALID_VALUE;
  d.reservations.erase(it);
  return CUDA_SUCCESS;
}

CUresult MemCreate(CUmemGenericAllocationHandle* handle, size_t size, const CUmemAllocationProp* prop,
                   unsigned long long) {
  if (handle == nullptr || prop == nullptr || size == 0 || size % kGranularity != 0) return CUDA_ERROR_INVALID_VALUE;
  const bool on_device = prop->location.type == CU_MEM_LOCATION_TYPE_DEVICE;
  if (on_device && !ValidDevice(prop->location.id)) return CUDA_ERROR_INVALID_DEVICE;
  if (!on_device && prop->location.type != CU_MEM_LOCATION_TYPE_HOST) return CUDA_ERROR_INVALID_VALUE;
  Driver& d = State();
  if (on_device && size > kDeviceBytes[prop->location.id]) return Refuse(d, prop->location.id, kVmmPhysical);
  std::lock_guard lock(d.mutex);
  const std::uint64_t id = d.next_physical++;
  const int device = on_device ? prop->location.id : 0;
  d.physicals[id] = Physical{device, on_device, size, 1, 0};
  if (on_device) CountAlloc(d, device, kVmmPhysical, size);
  *handle = NewHandleLocked(d, id);
  return CUDA_SUCCESS;
}

CUresult MemRelease(CUmemGenericAllocationHandle handle) {
  Driver& d = State();
  std::unique_lock lock(d.mutex);
  auto it = d.handles.find(handle);
  if (it == d.handles.end()) return CUDA_ERROR_INVALID_VALUE;
  const std::uint64_t id = it->second.physical;
  bool value_given_back = false;
  if (--it->second.references == 0) {
    d.handles.erase(it);
    d.free_handles.push_back(handle);
    value_given_back = true;
  }
  --d.physicals.at(id).handle_references;
  EndIfUnreferencedLocked(d, id);
  if (value_given_back && d.hold_release == handle) {
    // Held: the value is free, and this release has not returned until memledger_stub_release_go.
    d.hold_release = 0;
    d.release_held = true;
    d.hold_changed.notify_all();
    d.hold_changed.wait(lock, [&] { return d.release_go; });
    d.release_held = d.release_go = false;
  }
  return CUDA_SUCCESS;
}

CUresult MemRetainAllocationHandle(CUmemGenericAllocationHandle* handle, void* addr) {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  const auto address = reinterpret_cast<std::uintptr_t>(addr);
  auto mapping = d.mappings.upper_bound(address);
  if (handle == nullptr || mapping == d.mappings.begin()) return CUDA_ERROR_INVALID_VALUE;
  --mapping;
  if (address - mapping->first >= mapping->second.size) return CUDA_ERROR_INVALID_VALUE;
  const std::uint64_t id = mapping->second.physical;
  // The handle the allocation still has, if any; else a new one.
  auto live = std::find_if(d.handles.begin(), d.handles.end(), [&](const auto& h) { return h.second.physical == id; });
  if (live != d.handles.end()) {
    ++live->second.references;
    *handle = live->first;
  } else {
    *handle = NewHandleLocked(d, id);
  }
  ++d.physicals.at(id).handle_references;
  return CUDA_SUCCESS;
}

CUresult MemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                unsigned long long) {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  auto h = d.handles.find(handle);
  if (h == d.handles.end() || size == 0) return CUDA_ERROR_INVALID_VALUE;
  Physical& physical = d.physicals.at(h->second.physical);
  if (offset + size > physical.size) return CUDA_ERROR_INVALID_VALUE;
  auto reservation = d.reservations.upper_bound(ptr);
  if (reservation == d.reservations.begin()) return CUDA_ERROR_INVALID_VALUE;
  --reservation;
  if (ptr + size > reservation->first + reservation->second) return CUDA_ERROR_INVALID_VALUE;
  auto next = d.mappings.lower_bound(ptr);
  if (next != d.mappings.end() && next->first < ptr + size) return CUDA_ERROR_INVALID_VALUE;
  if (next != d.mappings.begin() && std::prev(next)->first + std::prev(next)->second.size > ptr) {
    return CUDA_ERROR_INVALID_VALUE;
  }
  d.mappings[ptr] = Mapping{size, h->second.physical};
  ++physical.mappings;
  return CUDA_SUCCESS;
}

CUresult MemUnmap(CUdeviceptr ptr, size_t size) {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  auto mapping = d.mappings.find(ptr);
  if (mapping == d.mappings.end()) return CUDA_ERROR_INVALID_VALUE;
  while (mapping != d.mappings.end() && mapping->first < ptr + size) {
    const std::uint64_t id = mapping->second.physical;
    mapping = d.mappings.erase(mapping);
    --d.physicals.at(id).mappings;
    EndIfUnreferencedLocked(d, id);
  }
  return CUDA_SUCCESS;
}

CUresult GetProcAddress(const char* symbol, void** pfn, int version, cuuint64_t flags,
                        CUdriverProcAddressQueryResult* status);

CUresult GetProcAddressV11030(const char* symbol, void** pfn, int version, cuuint64_t flags) {
  return GetProcAddress(symbol, pfn, version, flags, nullptr);
}

template <typename Function>
void* Entry(Function* function) {
  return reinterpret_cast<void*>(function);
}

struct ProcEntry {
  std::string_view symbol;
  int since;
  void* legacy_stream;
  void* per_thread_stream;
};

// The driver's table: base name, the version of this variant, its entry points.
const ProcEntry kProcEntries[] = {
    {"cuInit", 2000, Entry(&Init), Entry(&Init)},
    {"cuDeviceGetCount", 2000, Entry(&DeviceGetCount), Entry(&DeviceGetCount)},
    {"cuDeviceGet", 2000, Entry(&DeviceGet), Entry(&DeviceGet)},
    {"cuDeviceGetName", 2000, Entry(&DeviceGetName), Entry(&DeviceGetName)},
    {"cuDeviceTotalMem", 3020, Entry(&DeviceTotalMem), Entry(&DeviceTotalMem)},
    {"cuDeviceGetUuid", 11040, Entry(&DeviceGetUuid), Entry(&DeviceGetUuid)},
    {"cuDevicePrimaryCtxRetain", 7000, Entry(&DevicePrimaryCtxRetain), Entry(&DevicePrimaryCtxRetain)},
    {"cuCtxSetCurrent", 4000, Entry(&CtxSetCurrent), Entry(&CtxSetCurrent)},
    {"cuCtxGetDevice", 2000, Entry(&CtxGetDevice), Entry(&CtxGetDevice)},
    {"cuStreamCreate", 2000, Entry(&StreamCreate), Entry(&StreamCreate)},
    {"cuStreamGetDevice", 12080, Entry(&StreamGetDevice), Entry(&StreamGetDevice)},
    {"cuMemAlloc", 3020, Entry(&MemAlloc), Entry(&MemAlloc)},
    {"cuMemAllocPitch", 3020, Entry(&MemAllocPitch), Entry(&MemAllocPitch)},
    {"cuMemAllocManaged", 6000, Entry(&MemAllocManaged), Entry(&MemAllocManaged)},
    {"cuMemFree", 3020, Entry(&MemFree), Entry(&MemFree)},
    {"cuMemAllocAsync", 11020, Entry(&MemAllocAsync), Entry(&MemAllocAsync)},
    {"cuMemFreeAsync", 11020, Entry(&MemFreeAsync), Entry(&MemFreeAsync)},
    {"cuMemAddressReserve", 10020, Entry(&MemAddressReserve), Entry(&MemAddressReserve)},
    {"cuMemAddressFree", 10020, Entry(&MemAddressFree), Entry(&MemAddressFree)},
    {"cuMemCreate", 10020, Entry(&MemCreate), Entry(&MemCreate)},
    {"cuMemRelease", 10020, Entry(&MemRelease), Entry(&MemRelease)},
    {"cuMemRetainAllocationHandle", 11000, Entry(&MemRetainAllocationHandle), Entry(&MemRetainAllocationHandle)},
    {"cuMemMap", 10020, Entry(&MemMap), Entry(&MemMap)},
    {"cuMemUnmap", 10020, Entry(&MemUnmap), Entry(&MemUnmap)},
    {"cuGetProcAddress", 12000, Entry(&GetProcAddress), Entry(&GetProcAddress)},
    {"cuGetProcAddress", 11030, Entry(&GetProcAddressV11030), Entry(&GetProcAddressV11030)},
};

CUresult GetProcAddress(const char* symbol, void** pfn, int version, cuuint64_t flags,
                        CUdriverProcAddressQueryResult* status) {
  if (symbol == nullptr || pfn == nullptr) return CUDA_ERROR_INVALID_VALUE;
  *pfn = nullptr;
  CUdriverProcAddressQueryResult found = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
  for (const ProcEntry& entry : kProcEntries) {
    if (entry.symbol != symbol) continue;
    if (version < entry.since) {
      found = CU_GET_PROC_ADDRESS_VERSION_NOT_SUFFICIENT;
      continue;
    }
    *pfn = (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) != 0 ? entry.per_thread_stream : entry.legacy_stream;
    found = CU_GET_PROC_ADDRESS_SUCCESS;
    break;
  }
  if (status != nullptr) *status = found;
  return CUDA_SUCCESS;
}

}  // namespace

// The exported functions: what a program linked with -lcuda calls.
extern "C" {

CUresult CUDAAPI cuInit(unsigned int flags) { return Init(flags); }
CUresult CUDAAPI cuDeviceGetCount(int* count) { return DeviceGetCount(count); }
CUresult CUDAAPI cuDeviceGet(CUdevice* device, int ordinal) { return DeviceGet(device, ordinal); }
CUresult CUDAAPI cuDeviceGetName(char* name, int len, CUdevice dev) { return DeviceGetName(name, len, dev); }
CUresult CUDAAPI cuDeviceTotalMem_v2(size_t* bytes, CUdevice dev) { return DeviceTotalMem(bytes, dev); }
// Only the _v2 name (CUDA 11.4 on): the interposer's fallback to cuDeviceGetUuid is not exercised here.
CUresult CUDAAPI cuDeviceGetUuid_v2(CUuuid* uuid, CUdevice dev) { return DeviceGetUuid(uuid, dev); }
CUresult CUDAAPI cuDevicePrimaryCtxRetain(CUcontext* pctx, CUdevice dev) { return DevicePrimaryCtxRetain(pctx, dev); }
CUresult CUDAAPI cuCtxSetCurrent(CUcontext ctx) { return CtxSetCurrent(ctx); }
CUresult CUDAAPI cuCtxGetDevice(CUdevice* device) { return CtxGetDevice(device); }
CUresult CUDAAPI cuStreamCreate(CUstream* phStream, unsigned int Flags) { return StreamCreate(phStream, Flags); }
CUresult CUDAAPI cuStreamGetDevice(CUstream hStream, CUdevice* device) { return StreamGetDevice(hStream, device); }
CUresult CUDAAPI cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytesize) { return MemAlloc(dptr, bytesize); }
CUresult CUDAAPI cuMemAllocPitch_v2(CUdeviceptr* dptr, size_t* pPitch, size_t WidthInBytes, size_t Height,
                                    unsigned int ElementSizeBytes) {
  return MemAllocPitch(dptr, pPitch, WidthInBytes, Height, ElementSizeBytes);
}
CUresult CUDAAPI cuMemAllocManaged(CUdeviceptr* dptr, size_t bytesize, unsigned int flags) {
  return MemAllocManaged(dptr, bytesize, flags);
}
CUresult CUDAAPI cuMemFree_v2(CUdeviceptr dptr) { return MemFree(dptr); }
CUresult CUDAAPI cuMemAllocAsync(CUdeviceptr* dptr, size_t bytesize, CUstream hStream) {
  return MemAllocAsync(dptr, bytesize, hStream);
}
CUresult CUDAAPI cuMemAllocAsync_ptsz(CUdeviceptr* dptr, size_t bytesize, CUstream hStream) {
  return MemAllocAsync(dptr, bytesize, hStream);
}
CUresult CUDAAPI cuMemFreeAsync(CUdeviceptr dptr, CUstream hStream) { return MemFreeAsync(dptr, hStream); }
CUresult CUDAAPI cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream hStream) { return MemFreeAsync(dptr, hStream); }
CUresult CUDAAPI cuMemAddressReserve(CUdeviceptr* ptr, size_t size, size_t alignment, CUdeviceptr addr,
                                     unsigned long long flags) {
  return MemAddressReserve(ptr, size, alignment, addr, flags);
}
CUresult CUDAAPI cuMemAddressFree(CUdeviceptr ptr, size_t size) { return MemAddressFree(ptr, size); }
CUresult CUDAAPI cuMemCreate(CUmemGenericAllocationHandle* handle, size_t size, const CUmemAllocationProp* prop,
                             unsigned long long flags) {
  return MemCreate(handle, size, prop, flags);
}
CUresult CUDAAPI cuMemRelease(CUmemGenericAllocationHandle handle) { return MemRelease(handle); }
CUresult CUDAAPI cuMemRetainAllocationHandle(CUmemGenericAllocationHandle* handle, void* addr) {
  return MemRetainAllocationHandle(handle, addr);
}
CUresult CUDAAPI cuMemMap(CUdeviceptr ptr, size_t size, size_t offset, CUmemGenericAllocationHandle handle,
                          unsigned long long flags) {
  return MemMap(ptr, size, offset, handle, flags);
}
CUresult CUDAAPI cuMemUnmap(CUdeviceptr ptr, size_t size) { return MemUnmap(ptr, size); }
CUresult CUDAAPI cuGetProcAddress_v2(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags,
                                     CUdriverProcAddressQueryResult* symbolStatus) {
  return GetProcAddress(symbol, pfn, cudaVersion, flags, symbolStatus);
}
CUresult CUDAAPI cuGetProcAddressV11030(const char* symbol, void** pfn, int cudaVersion, cuuint64_t flags) {
  return GetProcAddressV11030(symbol, pfn, cudaVersion, flags);
}

void memledger_stub_hold_release(std::uint64_t handle) {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  d.hold_release = handle;
}

void memledger_stub_wait_release_held() {
  Driver& d = State();
  std::unique_lock lock(d.mutex);
  d.hold_changed.wait(lock, [&] { return d.release_held; });
}

void memledger_stub_release_go() {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  d.release_go = true;
  d.hold_changed.notify_all();
}

void memledger_stub_counts(StubCounts* counts) {
  Driver& d = State();
  std::lock_guard lock(d.mutex);
  for (int device = 0; device < kStubDevices; ++device) {
    StubDeviceCounts& out = counts->devices[device];
    std::snprintf(out.name, sizeof(out.name), "%s", kDeviceNames[device]);
    out.total_bytes = kDeviceBytes[device];
    const unsigned char* u = kDeviceUuids[device];
    std::snprintf(out.uuid, sizeof(out.uuid),
                  "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3],
                  u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    std::copy(std::begin(d.counts[device]), std::end(d.counts[device]), std::begin(out.kinds));
  }
}

}  // extern "C"
