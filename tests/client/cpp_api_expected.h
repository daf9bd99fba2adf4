// cpp_api_expected.h — what cpp_api_test.cc records through memledger.hpp,
// as numbers both it and cpp_api_capture_test.cc use: the program makes
// exactly these calls, and the replay of its capture must show exactly
// these books. Device 0 "cpp0":
//   pool "cpp_pool"  id 1  0x1000  kCppPoolBytes    leaks
//   CB               1     0x200   kCppCbBytes      freed
//   CB               2     0x400   kCppCbBytes      leaks
//   KERNEL           1     0x800   kCppKernelBytes  unloaded
//   KERNEL           2     0xc00   kCppKernelBytes  leaks
// and every other pool id registered ("pool_N"), then one too many.
#pragma once

#include <cstdint>

namespace memledger {

inline constexpr const char* kCppSkipFrames = "^my_runtime::Allocator::";
inline constexpr const char* kCppPool = "cpp_pool";
inline constexpr std::uint64_t kCppPoolCapacity = 1 << 20;
inline constexpr std::uint64_t kCppPoolBytes = 4096;
inline constexpr std::uint64_t kCppCbBytes = 256;
inline constexpr std::uint64_t kCppKernelBytes = 512;

}  // namespace memledger
