// legacy_protocol.cc — type tables, the encoder and unchecked decoder of the
// three legacy layouts, and the replies (legacy_protocol.h).
#include "legacy/legacy_protocol.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <utility>

namespace memledger::legacy {
namespace {

// The highest message type each generation defines; types are 1..that.
constexpr std::uint8_t LastType(LegacyVersion version) {
  switch (version) {
    case LegacyVersion::kV1: return static_cast<std::uint8_t>(MessageType::kDumpRemaining);
    case LegacyVersion::kV2: return static_cast<std::uint8_t>(MessageType::kDeviceInfoResponse);
    case LegacyVersion::kV3: return static_cast<std::uint8_t>(MessageType::kDumpKernels);
  }
  return 0;
}

void HeaderToWire(const LegacyMessage& m, WireHeader& w) {
  w.type = static_cast<std::uint8_t>(m.type);
  w.device_id = m.device_id;
  w.size = m.size;
  w.buffer_type = m.buffer_type;
  w.process_id = m.process_id;
  w.buffer_id = m.buffer_id;
  w.timestamp = m.timestamp;
}

void HeaderFromWire(const WireHeader& w, LegacyMessage& m) {
  m.type = static_cast<MessageType>(w.type);
  m.device_id = w.device_id;
  m.size = w.size;
  m.buffer_type = w.buffer_type;
  m.process_id = w.process_id;
  m.buffer_id = w.buffer_id;
  m.timestamp = w.timestamp;
}

// The four *_allocated fields v1, v2 and v3 share, and the device fields v2 and
// v3 share, copied between a layout and a LegacyMessage in either direction.
template <typename Wire>
void CommonTotalsToWire(const TypeTotals& t, Wire& w) {
  w.dram_allocated = t.dram;
  w.l1_allocated = t.l1;
  w.l1_small_allocated = t.l1_small;
  w.trace_allocated = t.trace;
}
template <typename Wire>
void CommonTotalsFromWire(const Wire& w, TypeTotals& t) {
  t.dram = w.dram_allocated;
  t.l1 = w.l1_allocated;
  t.l1_small = w.l1_small_allocated;
  t.trace = w.trace_allocated;
}
template <typename Wire>
void DeviceToWire(const DeviceFields& d, Wire& w) {
  w.total_dram_size = d.total_dram_size;
  w.total_l1_size = d.total_l1_size;
  w.arch_type = d.arch_type;
  w.num_dram_channels = d.num_dram_channels;
  w.dram_size_per_channel = d.dram_size_per_channel;
  w.l1_size_per_core = d.l1_size_per_core;
  w.is_available = d.is_available;
  w.num_devices = d.num_devices;
}
template <typename Wire>
void DeviceFromWire(const Wire& w, DeviceFields& d) {
  d.total_dram_size = w.total_dram_size;
  d.total_l1_size = w.total_l1_size;
  d.arch_type = w.arch_type;
  d.num_dram_channels = w.num_dram_channels;
  d.dram_size_per_channel = w.dram_size_per_channel;
  d.l1_size_per_core = w.l1_size_per_core;
  d.is_available = w.is_available;
  d.num_devices = w.num_devices;
}

template <typename Wire>
EncodedMessage ToBytes(const Wire& wire) {
  EncodedMessage out;
  std::memcpy(out.bytes.data(), &wire, sizeof(wire));
  out.size = sizeof(wire);
  return out;
}

}  // namespace

bool IsDefinedIn(LegacyVersion version, std::uint8_t type) { return type >= 1 && type <= LastType(version); }

bool IsReplyType(std::uint8_t type) {
  return type == static_cast<std::uint8_t>(MessageType::kResponse) ||
         type == static_cast<std::uint8_t>(MessageType::kDeviceInfoResponse);
}

std::string_view MessageTypeName(std::uint8_t type) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::kAlloc: return "ALLOC";
    case MessageType::kFree: return "FREE";
    case MessageType::kQuery: return "QUERY";
    case MessageType::kResponse: return "RESPONSE";
    case MessageType::kDumpRemaining: return "DUMP_REMAINING";
    case MessageType::kDeviceInfoQuery: return "DEVICE_INFO_QUERY";
    case MessageType::kDeviceInfoResponse: return "DEVICE_INFO_RESPONSE";
    case MessageType::kCbAlloc: return "CB_ALLOC";
    case MessageType::kCbFree: return "CB_FREE";
    case MessageType::kKernelLoad: return "KERNEL_LOAD";
    case MessageType::kKernelUnload: return "KERNEL_UNLOAD";
    case MessageType::kDumpKernels: return "DUMP_KERNELS";
  }
  return "UNKNOWN";
}

std::string_view LegacyVersionName(LegacyVersion version) {
  switch (version) {
    case LegacyVersion::kV1: return "v1";
    case LegacyVersion::kV2: return "v2";
    case LegacyVersion::kV3: return "v3";
  }
  return "unknown";
}

std::optional<LegacyVersion> ParseLegacyVersion(std::string_view text) {
  if (text == "v1" || text == "1") return LegacyVersion::kV1;
  if (text == "v2" || text == "2") return LegacyVersion::kV2;
  if (text == "v3" || text == "3") return LegacyVersion::kV3;
  return std::nullopt;
}

EncodedMessage Encode(LegacyVersion version, const LegacyMessage& message) {
  switch (version) {
    case LegacyVersion::kV1: {
      WireMessageV1 w{};
      HeaderToWire(message, w.header);
      CommonTotalsToWire(message.allocated, w);
      return ToBytes(w);
    }
    case LegacyVersion::kV2: {
      WireMessageV2 w{};
      HeaderToWire(message, w.header);
      CommonTotalsToWire(message.allocated, w);
      DeviceToWire(message.device, w);
      return ToBytes(w);
    }
    case LegacyVersion::kV3: {
      WireMessageV3 w{};
      HeaderToWire(message, w.header);
      CommonTotalsToWire(message.allocated, w);
      w.cb_allocated = message.allocated.cb;
      w.kernel_allocated = message.allocated.kernel;
      DeviceToWire(message.device, w);
      w.ringbuffer_total_size = message.ringbuffer.total_size;
      w.ringbuffer_used_bytes = message.ringbuffer.used_bytes;
      w.ringbuffer_num_programs = message.ringbuffer.num_programs;
      return ToBytes(w);
    }
  }
  return {};
}

LegacyMessage DecodeUnchecked(LegacyVersion version, std::span<const std::uint8_t> bytes) {
  LegacyMessage m;
  if (bytes.size() != MessageBytes(version)) return m;  // a caller's bug; never read past `bytes`
  switch (version) {
    case LegacyVersion::kV1: {
      WireMessageV1 w;
      std::memcpy(&w, bytes.data(), sizeof(w));
      HeaderFromWire(w.header, m);
      CommonTotalsFromWire(w, m.allocated);
      break;
    }
    case LegacyVersion::kV2: {
      WireMessageV2 w;
      std::memcpy(&w, bytes.data(), sizeof(w));
      HeaderFromWire(w.header, m);
      CommonTotalsFromWire(w, m.allocated);
      DeviceFromWire(w, m.device);
      break;
    }
    case LegacyVersion::kV3: {
      WireMessageV3 w;
      std::memcpy(&w, bytes.data(), sizeof(w));
      HeaderFromWire(w.header, m);
      CommonTotalsFromWire(w, m.allocated);
      m.allocated.cb = w.cb_allocated;
      m.allocated.kernel = w.kernel_allocated;
      DeviceFromWire(w, m.device);
      m.ringbuffer = {w.ringbuffer_total_size, w.ringbuffer_used_bytes, w.ringbuffer_num_programs};
      break;
    }
  }
  return m;
}

LegacyArch ArchFromName(std::string_view name) {
  static constexpr std::pair<std::string_view, LegacyArch> kNames[] = {{"grayskull", LegacyArch::kGrayskull},
                                                                      {"wormhole", LegacyArch::kWormholeB0},
                                                                      {"blackhole", LegacyArch::kBlackhole},
                                                                      {"quasar", LegacyArch::kQuasar}};
  auto same_letter = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  std::pair<std::size_t, LegacyArch> first{name.size(), LegacyArch::kInvalid};
  for (const auto& [word, arch] : kNames) {
    const auto at = std::search(name.begin(), name.end(), word.begin(), word.end(), same_letter);
    const auto offset = static_cast<std::size_t>(at - name.begin());
    if (at != name.end() && offset < first.first) first = {offset, arch};
  }
  return first.second;
}

EncodedMessage EncodeQueryReply(LegacyVersion version, std::int32_t device_id, const TypeTotals& totals) {
  LegacyMessage reply;
  reply.type = MessageType::kResponse;
  reply.device_id = device_id;
  reply.allocated = totals;  // Encode drops cb and kernel below v3
  return Encode(version, reply);
}

std::optional<EncodedMessage> EncodeDeviceInfoReply(LegacyVersion version, std::int32_t device_id,
                                                    const LegacyDeviceInfo& device) {
  if (version == LegacyVersion::kV1) return std::nullopt;
  LegacyMessage reply;
  reply.type = MessageType::kDeviceInfoResponse;
  reply.device_id = device_id;
  reply.device.total_dram_size = device.total_dram_size;
  reply.device.total_l1_size = device.total_l1_size;
  reply.device.arch_type = static_cast<std::uint32_t>(device.arch);
  reply.device.num_dram_channels = device.num_dram_channels;
  reply.device.dram_size_per_channel = device.dram_size_per_channel;
  reply.device.l1_size_per_core = device.l1_size_per_core;
  reply.device.is_available = device.is_available ? 1 : 0;
  return Encode(version, reply);
}

std::optional<EncodedMessage> EncodeDeviceCountReply(LegacyVersion version, std::uint32_t num_devices) {
  if (version == LegacyVersion::kV1) return std::nullopt;
  LegacyMessage reply;
  reply.type = MessageType::kDeviceInfoResponse;
  reply.device_id = -1;
  reply.device.num_devices = num_devices;
  reply.device.is_available = num_devices > 0 ? 1 : 0;
  return Encode(version, reply);
}

}  // namespace memledger::legacy
