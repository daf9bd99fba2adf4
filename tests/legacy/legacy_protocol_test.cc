// legacy_protocol_test.cc — the legacy layouts and encoders
// (src/legacy/legacy_protocol.h): sizes, byte-exact field offsets checked
// against messages built by hand, round trips of every type of every
// generation, and the replies a listener sends.
#include "legacy/legacy_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "legacy_test_util.h"

namespace memledger::legacy {
namespace {

using testing::At;
using testing::HandMessage;
using testing::kAllVersions;
using testing::TypesOf;

// A message with every field `version` carries set to a distinct nonzero value.
LegacyMessage Filled(LegacyVersion version, MessageType type) {
  LegacyMessage m;
  m.type = type;
  m.device_id = 3;
  m.size = 0x1122334455667788;
  m.buffer_type = 2;
  m.process_id = 0x01020304;
  m.buffer_id = 0xa0b0c0d0e0f00010;
  m.timestamp = 0x0fedcba987654321;
  m.allocated = {11, 12, 13, 14, 0, 0};
  if (version == LegacyVersion::kV1) return m;
  m.device = {0x100000000, 0x200000000, 2, 12, 0x40000000, 1464 * 1024, 1, 8};
  if (version == LegacyVersion::kV2) return m;
  m.allocated.cb = 15;
  m.allocated.kernel = 16;
  m.ringbuffer = {0x30000, 0x1000, 7};
  return m;
}

TEST(LegacyProtocol, MessageSizesPerGeneration) {
  EXPECT_EQ(MessageBytes(LegacyVersion::kV1), 72u);
  EXPECT_EQ(MessageBytes(LegacyVersion::kV2), 112u);
  EXPECT_EQ(MessageBytes(LegacyVersion::kV3), 144u);
  EXPECT_EQ(kMaxMessageBytes, 144u);
  for (const LegacyVersion version : kAllVersions) {
    EXPECT_EQ(Encode(version, LegacyMessage{}).size, MessageBytes(version)) << LegacyVersionName(version);
  }
}

TEST(LegacyProtocol, TypesDefinedPerGeneration) {
  for (const LegacyVersion version : kAllVersions) {
    const auto types = TypesOf(version);
    for (int raw = 0; raw < 256; ++raw) {
      const auto type = static_cast<std::uint8_t>(raw);
      const bool documented = std::find(types.begin(), types.end(), static_cast<MessageType>(type)) != types.end();
      EXPECT_EQ(IsDefinedIn(version, type), documented) << LegacyVersionName(version) << " type " << raw;
    }
  }
  EXPECT_FALSE(IsDefinedIn(LegacyVersion::kV1, static_cast<std::uint8_t>(MessageType::kCbAlloc)));
  EXPECT_FALSE(IsDefinedIn(LegacyVersion::kV2, static_cast<std::uint8_t>(MessageType::kDumpKernels)));
  EXPECT_TRUE(IsReplyType(4));
  EXPECT_TRUE(IsReplyType(7));
  EXPECT_FALSE(IsReplyType(3));
  EXPECT_FALSE(IsReplyType(6));
}

TEST(LegacyProtocol, TypeAndVersionNames) {
  EXPECT_EQ(MessageTypeName(1), "ALLOC");
  EXPECT_EQ(MessageTypeName(6), "DEVICE_INFO_QUERY");
  EXPECT_EQ(MessageTypeName(12), "DUMP_KERNELS");
  EXPECT_EQ(MessageTypeName(0), "UNKNOWN");
  EXPECT_EQ(MessageTypeName(13), "UNKNOWN");
  for (const LegacyVersion version : kAllVersions) {
    EXPECT_EQ(ParseLegacyVersion(LegacyVersionName(version)), version);
  }
  EXPECT_EQ(ParseLegacyVersion("3"), LegacyVersion::kV3);
  EXPECT_EQ(ParseLegacyVersion("v4"), std::nullopt);
  EXPECT_EQ(ParseLegacyVersion(""), std::nullopt);
}

TEST(LegacyProtocol, HeaderFieldsAtDocumentedOffsets) {
  for (const LegacyVersion version : kAllVersions) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    const EncodedMessage encoded = Encode(version, Filled(version, MessageType::kAlloc));
    const auto bytes = encoded.view();
    EXPECT_EQ(At<std::uint8_t>(bytes, 0), 1);
    EXPECT_EQ(At<std::int32_t>(bytes, 4), 3);
    EXPECT_EQ(At<std::uint64_t>(bytes, 8), 0x1122334455667788u);
    EXPECT_EQ(At<std::uint8_t>(bytes, 16), 2);
    EXPECT_EQ(At<std::int32_t>(bytes, 20), 0x01020304);
    EXPECT_EQ(At<std::uint64_t>(bytes, 24), 0xa0b0c0d0e0f00010u);
    EXPECT_EQ(At<std::uint64_t>(bytes, 32), 0x0fedcba987654321u);
    // Pads are zero.
    for (const std::size_t pad : {1, 2, 3, 17, 18, 19}) EXPECT_EQ(bytes[pad], 0) << "pad byte " << pad;
    // The four totals every generation has follow the header.
    EXPECT_EQ(At<std::uint64_t>(bytes, 40), 11u);
    EXPECT_EQ(At<std::uint64_t>(bytes, 48), 12u);
    EXPECT_EQ(At<std::uint64_t>(bytes, 56), 13u);
    EXPECT_EQ(At<std::uint64_t>(bytes, 64), 14u);
  }
}

TEST(LegacyProtocol, V2DeviceFieldsAtDocumentedOffsets) {
  const EncodedMessage encoded = Encode(LegacyVersion::kV2, Filled(LegacyVersion::kV2, MessageType::kDeviceInfoResponse));
  const auto bytes = encoded.view();
  EXPECT_EQ(At<std::uint64_t>(bytes, 72), 0x100000000u);  // total_dram_size
  EXPECT_EQ(At<std::uint64_t>(bytes, 80), 0x200000000u);  // total_l1_size
  EXPECT_EQ(At<std::uint32_t>(bytes, 88), 2u);            // arch_type
  EXPECT_EQ(At<std::uint32_t>(bytes, 92), 12u);           // num_dram_channels
  EXPECT_EQ(At<std::uint32_t>(bytes, 96), 0x40000000u);   // dram_size_per_channel
  EXPECT_EQ(At<std::uint32_t>(bytes, 100), 1464u * 1024);  // l1_size_per_core
  EXPECT_EQ(At<std::uint32_t>(bytes, 104), 1u);           // is_available
  EXPECT_EQ(At<std::uint32_t>(bytes, 108), 8u);           // num_devices
}

TEST(LegacyProtocol, V3FieldsAtDocumentedOffsets) {
  const EncodedMessage encoded = Encode(LegacyVersion::kV3, Filled(LegacyVersion::kV3, MessageType::kResponse));
  const auto bytes = encoded.view();
  EXPECT_EQ(At<std::uint64_t>(bytes, 72), 15u);           // cb_allocated
  EXPECT_EQ(At<std::uint64_t>(bytes, 80), 16u);           // kernel_allocated
  EXPECT_EQ(At<std::uint64_t>(bytes, 88), 0x100000000u);  // total_dram_size
  EXPECT_EQ(At<std::uint64_t>(bytes, 96), 0x200000000u);  // total_l1_size
  EXPECT_EQ(At<std::uint32_t>(bytes, 104), 2u);           // arch_type
  EXPECT_EQ(At<std::uint32_t>(bytes, 108), 12u);          // num_dram_channels
  EXPECT_EQ(At<std::uint32_t>(bytes, 112), 0x40000000u);  // dram_size_per_channel
  EXPECT_EQ(At<std::uint32_t>(bytes, 116), 1464u * 1024);  // l1_size_per_core
  EXPECT_EQ(At<std::uint32_t>(bytes, 120), 1u);           // is_available
  EXPECT_EQ(At<std::uint32_t>(bytes, 124), 8u);           // num_devices
  EXPECT_EQ(At<std::uint32_t>(bytes, 128), 0x30000u);     // ringbuffer_total_size
  EXPECT_EQ(At<std::uint32_t>(bytes, 132), 0x1000u);      // ringbuffer_used_bytes
  EXPECT_EQ(At<std::uint32_t>(bytes, 136), 7u);           // ringbuffer_num_programs
  EXPECT_EQ(At<std::uint32_t>(bytes, 140), 0u);           // pad
}

TEST(LegacyProtocol, DecodesAMessageBuiltByHand) {
  for (const LegacyVersion version : kAllVersions) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    const auto bytes = HandMessage(version, 2, 5, 4096, 4, 0xdead0000);
    const LegacyMessage m = DecodeUnchecked(version, bytes);
    EXPECT_EQ(m.type, MessageType::kFree);
    EXPECT_EQ(m.device_id, 5);
    EXPECT_EQ(m.size, 4096u);
    EXPECT_EQ(m.buffer_type, 4);
    EXPECT_EQ(m.process_id, 4242);
    EXPECT_EQ(m.buffer_id, 0xdead0000u);
    EXPECT_EQ(m.timestamp, 777u);
  }
}

TEST(LegacyProtocol, RoundTripsEveryTypeOfEveryGeneration) {
  for (const LegacyVersion version : kAllVersions) {
    for (const MessageType type : TypesOf(version)) {
      SCOPED_TRACE(std::string(LegacyVersionName(version)) + " " + std::string(MessageTypeName(static_cast<std::uint8_t>(type))));
      const LegacyMessage sent = Filled(version, type);
      const EncodedMessage encoded = Encode(version, sent);
      EXPECT_EQ(DecodeUnchecked(version, encoded.view()), sent);
    }
  }
}

TEST(LegacyProtocol, FieldsAGenerationLacksAreDropped) {
  const LegacyMessage full = Filled(LegacyVersion::kV3, MessageType::kResponse);
  const LegacyMessage v1 = DecodeUnchecked(LegacyVersion::kV1, Encode(LegacyVersion::kV1, full).view());
  EXPECT_EQ(v1.allocated, (TypeTotals{11, 12, 13, 14, 0, 0}));
  EXPECT_EQ(v1.device, DeviceFields{});
  EXPECT_EQ(v1.ringbuffer, RingbufferFields{});
  const LegacyMessage v2 = DecodeUnchecked(LegacyVersion::kV2, Encode(LegacyVersion::kV2, full).view());
  EXPECT_EQ(v2.allocated, (TypeTotals{11, 12, 13, 14, 0, 0}));
  EXPECT_EQ(v2.device, full.device);
  EXPECT_EQ(v2.ringbuffer, RingbufferFields{});
}

TEST(LegacyProtocol, DecodeUncheckedRefusesAWrongLength) {
  const std::vector<std::uint8_t> short_bytes(71, 0xff);
  EXPECT_EQ(DecodeUnchecked(LegacyVersion::kV1, short_bytes), LegacyMessage{});
}

TEST(LegacyProtocol, QueryReplyCarriesTheTotalsOfItsGeneration) {
  const TypeTotals totals{1000, 2000, 3000, 4000, 5000, 6000};
  for (const LegacyVersion version : kAllVersions) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    const EncodedMessage reply = EncodeQueryReply(version, 6, totals);
    ASSERT_EQ(reply.size, MessageBytes(version));
    const auto bytes = reply.view();
    EXPECT_EQ(At<std::uint8_t>(bytes, 0), 4);  // RESPONSE
    EXPECT_EQ(At<std::int32_t>(bytes, 4), 6);
    EXPECT_EQ(At<std::uint64_t>(bytes, 40), 1000u);
    EXPECT_EQ(At<std::uint64_t>(bytes, 48), 2000u);
    EXPECT_EQ(At<std::uint64_t>(bytes, 56), 3000u);
    EXPECT_EQ(At<std::uint64_t>(bytes, 64), 4000u);
    const LegacyMessage decoded = DecodeUnchecked(version, bytes);
    if (version == LegacyVersion::kV3) {
      EXPECT_EQ(At<std::uint64_t>(bytes, 72), 5000u);
      EXPECT_EQ(At<std::uint64_t>(bytes, 80), 6000u);
      EXPECT_EQ(decoded.allocated, totals);
    } else {
      EXPECT_EQ(decoded.allocated, (TypeTotals{1000, 2000, 3000, 4000, 0, 0}));
    }
    // Everything else is zero, as the old server sent it.
    LegacyMessage expected;
    expected.type = MessageType::kResponse;
    expected.device_id = 6;
    expected.allocated = decoded.allocated;
    EXPECT_EQ(decoded, expected);
  }
}

TEST(LegacyProtocol, DeviceInfoReplyCarriesTheDevice) {
  LegacyDeviceInfo device;
  device.is_available = true;
  device.arch = LegacyArch::kBlackhole;
  device.num_dram_channels = 8;
  device.dram_size_per_channel = 0x80000000;
  device.l1_size_per_core = 1536 * 1024;
  device.total_dram_size = 0x400000000;
  device.total_l1_size = 140 * 1536 * 1024;
  EXPECT_EQ(EncodeDeviceInfoReply(LegacyVersion::kV1, 0, device), std::nullopt);
  for (const LegacyVersion version : {LegacyVersion::kV2, LegacyVersion::kV3}) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    const auto reply = EncodeDeviceInfoReply(version, 1, device);
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->size, MessageBytes(version));
    const auto bytes = reply->view();
    EXPECT_EQ(At<std::uint8_t>(bytes, 0), 7);  // DEVICE_INFO_RESPONSE
    EXPECT_EQ(At<std::int32_t>(bytes, 4), 1);
    const std::size_t base = version == LegacyVersion::kV2 ? 72 : 88;
    EXPECT_EQ(At<std::uint64_t>(bytes, base), 0x400000000u);
    EXPECT_EQ(At<std::uint64_t>(bytes, base + 8), 140u * 1536 * 1024);
    EXPECT_EQ(At<std::uint32_t>(bytes, base + 16), 3u);  // Blackhole
    EXPECT_EQ(At<std::uint32_t>(bytes, base + 20), 8u);
    EXPECT_EQ(At<std::uint32_t>(bytes, base + 24), 0x80000000u);
    EXPECT_EQ(At<std::uint32_t>(bytes, base + 28), 1536u * 1024);
    EXPECT_EQ(At<std::uint32_t>(bytes, base + 32), 1u);  // is_available
    EXPECT_EQ(At<std::uint32_t>(bytes, base + 36), 0u);  // num_devices: only for device -1
  }
}

TEST(LegacyProtocol, DeviceCountReplyAnswersDeviceMinusOne) {
  EXPECT_EQ(EncodeDeviceCountReply(LegacyVersion::kV1, 2), std::nullopt);
  for (const LegacyVersion version : {LegacyVersion::kV2, LegacyVersion::kV3}) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    const auto reply = EncodeDeviceCountReply(version, 4);
    ASSERT_TRUE(reply.has_value());
    const LegacyMessage decoded = DecodeUnchecked(version, reply->view());
    LegacyMessage expected;
    expected.type = MessageType::kDeviceInfoResponse;
    expected.device_id = -1;
    expected.device.num_devices = 4;
    expected.device.is_available = 1;
    EXPECT_EQ(decoded, expected);
    const std::size_t num_devices_at = version == LegacyVersion::kV2 ? 108 : 124;
    EXPECT_EQ(At<std::uint32_t>(reply->view(), num_devices_at), 4u);
    EXPECT_EQ(DecodeUnchecked(version, EncodeDeviceCountReply(version, 0)->view()).device.is_available, 0u);
  }
}

TEST(LegacyProtocol, ArchFromADevicesName) {
  EXPECT_EQ(ArchFromName("sim-wormhole_b0"), LegacyArch::kWormholeB0);
  EXPECT_EQ(ArchFromName("Wormhole_B0"), LegacyArch::kWormholeB0);
  EXPECT_EQ(ArchFromName("Blackhole p150a"), LegacyArch::kBlackhole);
  EXPECT_EQ(ArchFromName("GRAYSKULL e150"), LegacyArch::kGrayskull);
  EXPECT_EQ(ArchFromName("quasar"), LegacyArch::kQuasar);
  EXPECT_EQ(ArchFromName("blackhole, not a wormhole"), LegacyArch::kBlackhole) << "the first one named";
  EXPECT_EQ(ArchFromName("sim-tiny_l1"), LegacyArch::kInvalid);
  EXPECT_EQ(ArchFromName(""), LegacyArch::kInvalid);
}

}  // namespace
}  // namespace memledger::legacy
