// workload_main.cc — the test workload: THREADS threads (on two devices)
// each allocate and free through every call the interposer wraps, leave a
// few buffers live on purpose and run out of memory once through each
// allocating call (a request larger than the device); then the main thread has a handle value
// reused while its release has not returned (workload_driver.h), and the
// program writes the stub driver's own books (stub_counts.h) to
// COUNTS_JSON, with the LD_PRELOAD it ran under.
//
// Built twice:
//   cuda_workload: linked with the stub libcuda.so.1 and the runtime half
//     (workload_runtime.cc, linked with the stub libcudart): a program built
//     with -lcudart -lcuda. Every thread calls the runtime; threads 0, 4, ...
//     call the driver by name, the others through cuGetProcAddress (first
//     version, _v2, _v2 for the per-thread default stream), got from dlsym on
//     a dlopen'd libcuda.so.1 as cudart gets it.
//   cuda_workload_dlopen (MEMLEDGER_WORKLOAD_DLOPEN): links no CUDA library,
//     as a program built with static cudart: the driver only through dlopen
//     and cuGetProcAddress, the runtime half dlopened RTLD_LOCAL (as a Python
//     extension module is).
//
// usage: cuda_workload --threads N --iterations I --counts-json PATH [--no-leaks] [--run COMMAND]
// with LD_LIBRARY_PATH naming the stub's directory (libcuda.so.1 and the
// runtime half are dlopened by name). --run: the shell runs COMMAND while the
// threads work (a process the tracked program starts). Exits 1 when a call
// did not do what CUDA promises, or COMMAND failed.
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "stub_counts.h"
#include "workload_driver.h"

#ifndef MEMLEDGER_WORKLOAD_DLOPEN
extern "C" int RunRuntimeCalls(int thread, int device, int other_device, int iterations, bool leak);
#endif

namespace {

using RunRuntimeCallsFunction = int (*)(int thread, int device, int other_device, int iterations, bool leak);

#ifndef MEMLEDGER_WORKLOAD_DLOPEN
DriverApi DriverByName() {
  return DriverApi{&cuDevicePrimaryCtxRetain, &cuCtxSetCurrent,   &cuStreamCreate,      &cuMemAlloc_v2,
                   &cuMemAllocPitch_v2,       &cuMemAllocManaged, &cuMemFree_v2,        &cuMemAllocAsync,
                   &cuMemFreeAsync,           &cuMemAddressReserve, &cuMemAddressFree, &cuMemCreate,
                   &cuMemRelease,             &cuMemRetainAllocationHandle, &cuMemMap, &cuMemUnmap};
}
#endif

struct Options {
  int threads = 8;
  int iterations = 2000;
  bool leaks = true;
  std::string counts_json;
  std::string run;  // a command to run meanwhile
};

std::string JsonString(const char* text) {
  std::string out = "\"";
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c == '"' || *c == '\\') out += '\\';
    out += *c;
  }
  return out + "\"";
}

bool WriteCounts(const std::string& path, const StubCounts& counts) {
  FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) return false;
  const char* preload = std::getenv("LD_PRELOAD");
  std::fprintf(out, "{\"ld_preload\": %s, \"devices\": [", preload == nullptr ? "null" : JsonString(preload).c_str());
  for (int device = 0; device < kStubDevices; ++device) {
    const StubDeviceCounts& d = counts.devices[device];
    std::fprintf(out, "%s{\"device\": %d, \"name\": %s, \"uuid\": %s, \"total_bytes\": %llu, \"types\": {",
                 device ? ", " : "", device, JsonString(d.name).c_str(), JsonString(d.uuid).c_str(),
                 static_cast<unsigned long long>(d.total_bytes));
    for (int kind = 0; kind < kStubKinds; ++kind) {
      const StubKindCounts& k = d.kinds[kind];
      std::fprintf(out,
                   "%s\"%s\": {\"allocs\": %llu, \"frees\": %llu, \"live_buffers\": %llu, \"live_bytes\": %llu, "
                   "\"failures\": %llu}",
                   kind ? ", " : "", kStubKindNames[kind], static_cast<unsigned long long>(k.allocs),
                   static_cast<unsigned long long>(k.frees), static_cast<unsigned long long>(k.live_buffers),
                   static_cast<unsigned long long>(k.live_bytes), static_cast<unsigned long long>(k.failures));
    }
    std::fprintf(out, "}}");
  }
  std::fprintf(out, "]}\n");
  return std::fclose(out) == 0;
}

RunRuntimeCallsFunction RuntimeHalf() {
#ifdef MEMLEDGER_WORKLOAD_DLOPEN
  void* runtime_half = dlopen("libcuda_workload_runtime.so", RTLD_NOW | RTLD_LOCAL);
  void* run = runtime_half == nullptr ? nullptr : dlsym(runtime_half, "RunRuntimeCalls");
  if (run == nullptr) std::fprintf(stderr, "workload: no runtime half: %s\n", dlerror());
  return reinterpret_cast<RunRuntimeCallsFunction>(run);
#else
  return &RunRuntimeCalls;
#endif
}

bool ParseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--threads" && has_value) {
      options->threads = std::atoi(argv[++i]);
    } else if (arg == "--iterations" && has_value) {
      options->iterations = std::atoi(argv[++i]);
    } else if (arg == "--counts-json" && has_value) {
      options->counts_json = argv[++i];
    } else if (arg == "--run" && has_value) {
      options->run = argv[++i];
    } else if (arg == "--no-leaks") {
      options->leaks = false;
    } else {
      return false;
    }
  }
  return options->threads > 0 && options->iterations >= 0 && !options->counts_json.empty();
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) {
    std::fprintf(stderr, "usage: %s --threads N --iterations I --counts-json PATH [--no-leaks] [--run COMMAND]\n",
                 argv[0]);
    return 2;
  }
  void* libcuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (libcuda == nullptr) {
    std::fprintf(stderr, "workload: %s\n", dlerror());
    return 1;
  }
  const RunRuntimeCallsFunction run_runtime_calls = RuntimeHalf();
  if (run_runtime_calls == nullptr) return 1;

  std::vector<int> failures(static_cast<std::size_t>(options.threads), 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < options.threads; ++t) {
    threads.emplace_back([&, t] {
      // Two threads in three on device 0: a call booked on the wrong device changes the books.
      const int device = t % 3 == 2 ? 1 : 0;
      const int other_device = 1 - device;
      DriverApi api{};
      const ProcAddressRoute routes[] = {ProcAddressRoute::kV2LegacyStream, ProcAddressRoute::kV1,
                                         ProcAddressRoute::kV2LegacyStream, ProcAddressRoute::kV2PerThreadStream};
#ifdef MEMLEDGER_WORKLOAD_DLOPEN
      const bool by_name = false;
#else
      const bool by_name = t % 4 == 0;
      if (by_name) api = DriverByName();
#endif
      int& failed = failures[static_cast<std::size_t>(t)];
      if (!by_name && !DriverThroughProcAddress(libcuda, routes[t % 4], &api)) {
        ++failed;
        return;
      }
      failed += run_runtime_calls(t, device, other_device, options.iterations, options.leaks);
      failed += RunDriverCalls(api, t, device, other_device, options.iterations, options.leaks);
    });
  }
  int failed = 0;
  if (!options.run.empty() && std::system(options.run.c_str()) != 0) {
    std::fprintf(stderr, "workload: %s failed\n", options.run.c_str());
    ++failed;
  }
  for (int t = 0; t < options.threads; ++t) {
    threads[static_cast<std::size_t>(t)].join();
    failed += failures[static_cast<std::size_t>(t)];
  }

  DriverApi api{};
  if (DriverThroughProcAddress(libcuda, ProcAddressRoute::kV2LegacyStream, &api)) {
    failed += HandleReusedBeforeItsReleaseReturns(api, libcuda, options.leaks);
  } else {
    ++failed;
  }

  const auto stub_counts = reinterpret_cast<StubCountsFunction>(dlsym(libcuda, "memledger_stub_counts"));
  StubCounts counts{};
  if (stub_counts == nullptr) {
    std::fprintf(stderr, "workload: libcuda.so.1 is not the stub (no memledger_stub_counts)\n");
    return 1;
  }
  stub_counts(&counts);
  if (!WriteCounts(options.counts_json, counts)) {
    std::fprintf(stderr, "workload: cannot write %s\n", options.counts_json.c_str());
    return 1;
  }
  if (failed != 0) std::fprintf(stderr, "workload: %d calls failed\n", failed);
  return failed == 0 ? 0 : 1;
}
