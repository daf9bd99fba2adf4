// legacy_test_util.h — helpers of the legacy codec tests: every generation and
// the message types each defines, and hand-written field access at the
// documented offsets (independent of the layouts under test).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "legacy/legacy_protocol.h"

namespace memledger::legacy::testing {

inline constexpr std::array<LegacyVersion, kLegacyVersionCount> kAllVersions = {
    LegacyVersion::kV1, LegacyVersion::kV2, LegacyVersion::kV3};

// The message types `version` defines, from the documentation.
inline std::vector<MessageType> TypesOf(LegacyVersion version) {
  std::vector<MessageType> types = {MessageType::kAlloc, MessageType::kFree, MessageType::kQuery,
                                    MessageType::kResponse, MessageType::kDumpRemaining};
  if (version != LegacyVersion::kV1) {
    types.insert(types.end(), {MessageType::kDeviceInfoQuery, MessageType::kDeviceInfoResponse});
  }
  if (version == LegacyVersion::kV3) {
    types.insert(types.end(), {MessageType::kCbAlloc, MessageType::kCbFree, MessageType::kKernelLoad,
                               MessageType::kKernelUnload, MessageType::kDumpKernels});
  }
  return types;
}

// Reads / writes a little-endian value at a byte offset.
template <typename T>
T At(std::span<const std::uint8_t> bytes, std::size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}
template <typename T>
void Put(std::span<std::uint8_t> bytes, std::size_t offset, T value) {
  std::memcpy(bytes.data() + offset, &value, sizeof(T));
}

// A message of `version`'s size built by hand at the documented offsets.
inline std::vector<std::uint8_t> HandMessage(LegacyVersion version, std::uint8_t type, std::int32_t device_id,
                                             std::uint64_t size, std::uint8_t buffer_type, std::uint64_t buffer_id) {
  std::vector<std::uint8_t> bytes(MessageBytes(version), 0);
  Put<std::uint8_t>(bytes, 0, type);
  Put<std::int32_t>(bytes, 4, device_id);
  Put<std::uint64_t>(bytes, 8, size);
  Put<std::uint8_t>(bytes, 16, buffer_type);
  Put<std::int32_t>(bytes, 20, 4242);  // process_id
  Put<std::uint64_t>(bytes, 24, buffer_id);
  Put<std::uint64_t>(bytes, 32, 777);  // timestamp
  return bytes;
}

}  // namespace memledger::legacy::testing
