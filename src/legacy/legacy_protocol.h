// legacy_protocol.h — the wire format of the legacy tracking protocol (the
// tracker memledger replaces; reference/legacy-protocol.md): the layouts of its
// three generations, its message types, a version-independent decoded message,
// and the encoders of any message and of the two replies a listener sends.
//
// The protocol: one fixed-size, little-endian message over a Unix SOCK_STREAM
// socket, with no length prefix, magic or version field. The generations differ
// only in size (v1 72, v2 112, v3 144 bytes); a listener tells them apart from
// the stream itself (legacy_decoder.h). Messages are read and written by memcpy of the layouts below:
// every pad is an explicit field, so there is no padding the compiler adds, and
// every size and offset is asserted.
//
// Free functions only; all are thread-safe (no shared state).
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace memledger::legacy {

static_assert(std::endian::native == std::endian::little,
              "the legacy layouts are little-endian and copied with memcpy");

// The generation spoken on a connection. The values are this project's, not
// the protocol's (it has no version field).
enum class LegacyVersion : std::uint8_t { kV1 = 0, kV2 = 1, kV3 = 2 };
inline constexpr int kLegacyVersionCount = 3;

// Message types; the generation that introduced each is noted.
enum class MessageType : std::uint8_t {
  kAlloc = 1,                // v1
  kFree = 2,                 // v1
  kQuery = 3,                // v1: answered with kResponse
  kResponse = 4,             // v1
  kDumpRemaining = 5,        // v1: no reply
  kDeviceInfoQuery = 6,      // v2: answered with kDeviceInfoResponse
  kDeviceInfoResponse = 7,   // v2
  kCbAlloc = 8,              // v3
  kCbFree = 9,               // v3
  kKernelLoad = 10,          // v3
  kKernelUnload = 11,        // v3
  kDumpKernels = 12,         // v3: no reply
};

// arch_type in DEVICE_INFO_RESPONSE.
enum class LegacyArch : std::uint32_t { kInvalid = 0, kGrayskull = 1, kWormholeB0 = 2, kBlackhole = 3, kQuasar = 4 };

// buffer_type on ALLOC and FREE; anything above kTrace is invalid.
enum class LegacyBufferType : std::uint8_t { kDram = 0, kL1 = 1, kSystemMemory = 2, kL1Small = 3, kTrace = 4 };

// --- wire layouts ------------------------------------------------------------

struct WireHeader {
  std::uint8_t type;         // MessageType
  std::uint8_t pad0[3];
  std::int32_t device_id;    // -1 in DEVICE_INFO_QUERY asks for the device count
  std::uint64_t size;        // bytes
  std::uint8_t buffer_type;  // LegacyBufferType; KERNEL_LOAD: 0 application, 1 fabric, 2 dispatch
  std::uint8_t pad1[3];
  std::int32_t process_id;   // the sender's claim, never verified by it
  std::uint64_t buffer_id;   // in practice the buffer's device address (or a CB / kernel id)
  std::uint64_t timestamp;   // the sender's system clock ticks
};
static_assert(sizeof(WireHeader) == 40);
static_assert(offsetof(WireHeader, type) == 0);
static_assert(offsetof(WireHeader, device_id) == 4);
static_assert(offsetof(WireHeader, size) == 8);
static_assert(offsetof(WireHeader, buffer_type) == 16);
static_assert(offsetof(WireHeader, process_id) == 20);
static_assert(offsetof(WireHeader, buffer_id) == 24);
static_assert(offsetof(WireHeader, timestamp) == 32);

struct WireMessageV1 {
  WireHeader header;
  std::uint64_t dram_allocated;  // the *_allocated fields are filled in replies
  std::uint64_t l1_allocated;
  std::uint64_t l1_small_allocated;
  std::uint64_t trace_allocated;
};
static_assert(sizeof(WireMessageV1) == 72);
static_assert(offsetof(WireMessageV1, header) == 0);
static_assert(offsetof(WireMessageV1, dram_allocated) == 40);
static_assert(offsetof(WireMessageV1, trace_allocated) == 64);

struct WireMessageV2 {
  WireHeader header;
  std::uint64_t dram_allocated;
  std::uint64_t l1_allocated;
  std::uint64_t l1_small_allocated;
  std::uint64_t trace_allocated;
  std::uint64_t total_dram_size;
  std::uint64_t total_l1_size;
  std::uint32_t arch_type;  // LegacyArch
  std::uint32_t num_dram_channels;
  std::uint32_t dram_size_per_channel;
  std::uint32_t l1_size_per_core;
  std::uint32_t is_available;
  std::uint32_t num_devices;  // only in the reply to device_id -1
};
static_assert(sizeof(WireMessageV2) == 112);
static_assert(offsetof(WireMessageV2, header) == 0);
static_assert(offsetof(WireMessageV2, dram_allocated) == 40);
static_assert(offsetof(WireMessageV2, trace_allocated) == 64);
static_assert(offsetof(WireMessageV2, total_dram_size) == 72);
static_assert(offsetof(WireMessageV2, total_l1_size) == 80);
static_assert(offsetof(WireMessageV2, arch_type) == 88);
static_assert(offsetof(WireMessageV2, num_dram_channels) == 92);
static_assert(offsetof(WireMessageV2, dram_size_per_channel) == 96);
static_assert(offsetof(WireMessageV2, l1_size_per_core) == 100);
static_assert(offsetof(WireMessageV2, is_available) == 104);
static_assert(offsetof(WireMessageV2, num_devices) == 108);

struct WireMessageV3 {
  WireHeader header;
  std::uint64_t dram_allocated;
  std::uint64_t l1_allocated;
  std::uint64_t l1_small_allocated;
  std::uint64_t trace_allocated;
  std::uint64_t cb_allocated;
  std::uint64_t kernel_allocated;
  std::uint64_t total_dram_size;
  std::uint64_t total_l1_size;
  std::uint32_t arch_type;
  std::uint32_t num_dram_channels;
  std::uint32_t dram_size_per_channel;
  std::uint32_t l1_size_per_core;
  std::uint32_t is_available;
  std::uint32_t num_devices;
  std::uint32_t ringbuffer_total_size;
  std::uint32_t ringbuffer_used_bytes;
  std::uint32_t ringbuffer_num_programs;
  std::uint32_t pad;
};
static_assert(sizeof(WireMessageV3) == 144);
static_assert(offsetof(WireMessageV3, header) == 0);
static_assert(offsetof(WireMessageV3, dram_allocated) == 40);
static_assert(offsetof(WireMessageV3, trace_allocated) == 64);
static_assert(offsetof(WireMessageV3, cb_allocated) == 72);
static_assert(offsetof(WireMessageV3, kernel_allocated) == 80);
static_assert(offsetof(WireMessageV3, total_dram_size) == 88);
static_assert(offsetof(WireMessageV3, total_l1_size) == 96);
static_assert(offsetof(WireMessageV3, arch_type) == 104);
static_assert(offsetof(WireMessageV3, num_devices) == 124);
static_assert(offsetof(WireMessageV3, ringbuffer_total_size) == 128);
static_assert(offsetof(WireMessageV3, ringbuffer_used_bytes) == 132);
static_assert(offsetof(WireMessageV3, ringbuffer_num_programs) == 136);
static_assert(offsetof(WireMessageV3, pad) == 140);

static_assert(std::is_trivially_copyable_v<WireMessageV1> && std::is_standard_layout_v<WireMessageV1>);
static_assert(std::is_trivially_copyable_v<WireMessageV2> && std::is_standard_layout_v<WireMessageV2>);
static_assert(std::is_trivially_copyable_v<WireMessageV3> && std::is_standard_layout_v<WireMessageV3>);

inline constexpr std::size_t kMaxMessageBytes = sizeof(WireMessageV3);

// The size of every message of a generation: 72, 112 or 144 bytes.
constexpr std::size_t MessageBytes(LegacyVersion version) {
  switch (version) {
    case LegacyVersion::kV1: return sizeof(WireMessageV1);
    case LegacyVersion::kV2: return sizeof(WireMessageV2);
    case LegacyVersion::kV3: return sizeof(WireMessageV3);
  }
  return 0;
}

// True when `type` is a message type of `version` (CB_ALLOC is not one of v1's).
bool IsDefinedIn(LegacyVersion version, std::uint8_t type);
// True for the types only a server sends (RESPONSE, DEVICE_INFO_RESPONSE).
bool IsReplyType(std::uint8_t type);
// "ALLOC", "DEVICE_INFO_QUERY", ...; "UNKNOWN" for other values.
std::string_view MessageTypeName(std::uint8_t type);
// "v1", "v2", "v3".
std::string_view LegacyVersionName(LegacyVersion version);
// "v1"/"1", "v2"/"2", "v3"/"3"; nullopt for anything else.
std::optional<LegacyVersion> ParseLegacyVersion(std::string_view text);

// --- the decoded message ----------------------------------------------------

// Bytes allocated per memory type, as a QUERY reply carries them. v1 and v2
// carry dram, l1, l1_small and trace only.
struct TypeTotals {
  std::uint64_t dram = 0;
  std::uint64_t l1 = 0;
  std::uint64_t l1_small = 0;
  std::uint64_t trace = 0;
  std::uint64_t cb = 0;
  std::uint64_t kernel = 0;
  bool operator==(const TypeTotals&) const = default;
};

// The device fields of v2 and v3 (DEVICE_INFO_RESPONSE).
struct DeviceFields {
  std::uint64_t total_dram_size = 0;
  std::uint64_t total_l1_size = 0;
  std::uint32_t arch_type = 0;  // LegacyArch
  std::uint32_t num_dram_channels = 0;
  std::uint32_t dram_size_per_channel = 0;
  std::uint32_t l1_size_per_core = 0;
  std::uint32_t is_available = 0;
  std::uint32_t num_devices = 0;
  bool operator==(const DeviceFields&) const = default;
};

// The ring buffer fields of v3 (unused by the old server's replies).
struct RingbufferFields {
  std::uint32_t total_size = 0;
  std::uint32_t used_bytes = 0;
  std::uint32_t num_programs = 0;
  bool operator==(const RingbufferFields&) const = default;
};

// One message of any generation; fields a generation lacks stay zero.
struct LegacyMessage {
  MessageType type = MessageType::kAlloc;
  std::int32_t device_id = 0;
  std::uint64_t size = 0;
  std::uint8_t buffer_type = 0;
  std::int32_t process_id = 0;  // claimed by the sender; not to be trusted
  std::uint64_t buffer_id = 0;
  std::uint64_t timestamp = 0;
  TypeTotals allocated;         // v1, v2: cb and kernel stay zero
  DeviceFields device;          // v2, v3
  RingbufferFields ringbuffer;  // v3
  bool operator==(const LegacyMessage&) const = default;
};

// One message as bytes: the first `size` bytes of `bytes`.
struct EncodedMessage {
  std::array<std::uint8_t, kMaxMessageBytes> bytes{};
  std::size_t size = 0;
  std::span<const std::uint8_t> view() const { return {bytes.data(), size}; }
};

// Writes `message` in `version`'s layout, as it is: no validation, and fields
// the generation lacks are dropped. Pads are zero.
EncodedMessage Encode(LegacyVersion version, const LegacyMessage& message);
// Reads one whole message (`bytes.size()` must be MessageBytes(version)) as it
// is, without validation. A stream from a peer goes through LegacyDecoder.
LegacyMessage DecodeUnchecked(LegacyVersion version, std::span<const std::uint8_t> bytes);

// --- the replies a listener sends -------------------------------------------

// The answer to QUERY for `device_id`: RESPONSE in the request's generation,
// device_id echoed, the *_allocated fields from `totals` (v1 and v2 drop cb
// and kernel), everything else zero, as the old server sent it.
EncodedMessage EncodeQueryReply(LegacyVersion version, std::int32_t device_id, const TypeTotals& totals);

// What the listener knows of one device, for DEVICE_INFO_RESPONSE.
struct LegacyDeviceInfo {
  bool is_available = false;
  LegacyArch arch = LegacyArch::kInvalid;
  std::uint32_t num_dram_channels = 0;
  std::uint32_t dram_size_per_channel = 0;
  std::uint32_t l1_size_per_core = 0;
  std::uint64_t total_dram_size = 0;
  std::uint64_t total_l1_size = 0;
};

// The arch a device's name says ("sim-wormhole_b0", "Blackhole p150a"): the
// first of grayskull, wormhole, blackhole and quasar found in it, in any case;
// kInvalid when it names none.
LegacyArch ArchFromName(std::string_view name);

// The answer to DEVICE_INFO_QUERY for device `device_id` (>= 0): that device's
// capacities and arch; num_devices stays zero, as the old server sent it.
// nullopt for v1, which has no DEVICE_INFO_RESPONSE.
std::optional<EncodedMessage> EncodeDeviceInfoReply(LegacyVersion version, std::int32_t device_id,
                                                    const LegacyDeviceInfo& device);
// The answer to DEVICE_INFO_QUERY for device_id -1: device_id -1, num_devices,
// is_available = 1 when num_devices > 0, everything else zero. nullopt for v1.
std::optional<EncodedMessage> EncodeDeviceCountReply(LegacyVersion version, std::uint32_t num_devices);

}  // namespace memledger::legacy
