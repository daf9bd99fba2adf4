// legacy_decoder_test.cc — LegacyDecoder (src/legacy/legacy_decoder.h): whole
// messages from any chunking of the stream, and every kind of invalid message
// counted by reason and skipped with the stream kept aligned.
#include "legacy/legacy_decoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "legacy_test_util.h"

namespace memledger::legacy {
namespace {

using testing::HandMessage;
using testing::kAllVersions;
using testing::TypesOf;

std::vector<std::uint8_t> Bytes(LegacyVersion version, const LegacyMessage& m) {
  const EncodedMessage encoded = Encode(version, m);
  return {encoded.view().begin(), encoded.view().end()};
}

LegacyMessage Alloc(std::int32_t device, std::uint64_t address, std::uint64_t size, std::uint8_t buffer_type = 0) {
  LegacyMessage m;
  m.type = MessageType::kAlloc;
  m.device_id = device;
  m.buffer_id = address;
  m.size = size;
  m.buffer_type = buffer_type;
  return m;
}

// A stream of `count` distinct valid ALLOC messages, and the messages.
std::pair<std::vector<std::uint8_t>, std::vector<LegacyMessage>> AllocStream(LegacyVersion version, int count) {
  std::vector<std::uint8_t> stream;
  std::vector<LegacyMessage> messages;
  for (int i = 0; i < count; ++i) {
    messages.push_back(Alloc(i % 4, 0x10000 + 0x100 * static_cast<std::uint64_t>(i), 64 + static_cast<std::uint64_t>(i),
                             static_cast<std::uint8_t>(i % 5)));
    const auto bytes = Bytes(version, messages.back());
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  return {stream, messages};
}

std::vector<LegacyMessage> Drain(LegacyDecoder& decoder) {
  std::vector<LegacyMessage> out;
  while (auto m = decoder.Next()) out.push_back(*m);
  return out;
}

// What `decoder` makes of one message: the message, or nullopt when refused.
std::optional<LegacyMessage> DecodeOne(LegacyDecoder& decoder, const std::vector<std::uint8_t>& bytes) {
  decoder.Feed(bytes);
  auto m = decoder.Next();
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return m;
}

TEST(LegacyDecoder, EveryTypeOfEveryGenerationRoundTrips) {
  for (const LegacyVersion version : kAllVersions) {
    LegacyDecoder to_server(version, Direction::kToServer);
    LegacyDecoder to_client(version, Direction::kToClient);
    for (const MessageType type : TypesOf(version)) {
      SCOPED_TRACE(std::string(LegacyVersionName(version)) + " " +
                   std::string(MessageTypeName(static_cast<std::uint8_t>(type))));
      LegacyMessage sent = Alloc(7, 0xabc000, 4096, 3);
      sent.type = type;
      sent.process_id = 99;
      sent.timestamp = 123456;
      sent.allocated = {1, 2, 3, 4, 0, 0};
      if (version != LegacyVersion::kV1) sent.device = {10, 20, 1, 2, 3, 4, 1, 0};
      if (version == LegacyVersion::kV3) {
        sent.allocated.cb = 5;
        sent.allocated.kernel = 6;
        sent.ringbuffer = {100, 50, 2};
      }
      LegacyDecoder& decoder = IsReplyType(static_cast<std::uint8_t>(type)) ? to_client : to_server;
      const auto received = DecodeOne(decoder, Bytes(version, sent));
      ASSERT_TRUE(received.has_value()) << DecodeErrorName(decoder.last_rejection()->error);
      EXPECT_EQ(*received, sent);
    }
    EXPECT_EQ(to_server.errors().total(), 0u);
    EXPECT_EQ(to_client.errors().total(), 0u);
    EXPECT_EQ(to_server.accepted() + to_client.accepted(), TypesOf(version).size());
  }
}

TEST(LegacyDecoder, RefusedRequestsAreKeptForAReplyAndOtherRefusalsAreNot) {
  LegacyDecoder decoder(LegacyVersion::kV3);
  std::vector<std::uint8_t> stream;
  for (const auto& bytes : {HandMessage(LegacyVersion::kV3, 3, 5000, 0, 0, 0),    // QUERY, device out of range
                            HandMessage(LegacyVersion::kV3, 1, 0, 0, 0, 0x1000),   // ALLOC of size 0
                            HandMessage(LegacyVersion::kV3, 6, -7, 0, 0, 0),       // DEVICE_INFO_QUERY, bad device
                            HandMessage(LegacyVersion::kV3, 3, 0, 0, 0, 0)}) {     // a good QUERY
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  decoder.Feed(stream);
  const auto accepted = Drain(decoder);
  ASSERT_EQ(accepted.size(), 1u);
  const auto refused = decoder.TakeRefusedRequests();
  ASSERT_EQ(refused.size(), 2u);
  EXPECT_EQ(refused[0].type, MessageType::kQuery);
  EXPECT_EQ(refused[0].device_id, 5000);
  EXPECT_EQ(refused[1].type, MessageType::kDeviceInfoQuery);
  EXPECT_TRUE(decoder.TakeRefusedRequests().empty()) << "taken once";
}

TEST(LegacyDecoder, OneByteAtATime) {
  for (const LegacyVersion version : kAllVersions) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    const auto [stream, sent] = AllocStream(version, 20);
    LegacyDecoder decoder(version);
    std::vector<LegacyMessage> received;
    for (std::size_t i = 0; i < stream.size(); ++i) {
      decoder.Feed(std::span(stream).subspan(i, 1));
      const auto got = Drain(decoder);
      // A message appears exactly when its last byte arrives.
      EXPECT_EQ(got.size(), (i + 1) % MessageBytes(version) == 0 ? 1u : 0u) << "after byte " << i;
      received.insert(received.end(), got.begin(), got.end());
    }
    EXPECT_EQ(received, sent);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
    EXPECT_EQ(decoder.errors().total(), 0u);
  }
}

TEST(LegacyDecoder, RandomChunkings) {
  for (const LegacyVersion version : kAllVersions) {
    const auto [stream, sent] = AllocStream(version, 50);
    for (std::uint32_t seed = 1; seed <= 20; ++seed) {
      SCOPED_TRACE(std::string(LegacyVersionName(version)) + " seed " + std::to_string(seed));
      std::mt19937 random(seed);
      // Chunks from 1 byte to a little over three messages.
      std::uniform_int_distribution<std::size_t> chunk(1, 3 * MessageBytes(version) + 7);
      LegacyDecoder decoder(version);
      std::vector<LegacyMessage> received;
      for (std::size_t at = 0; at < stream.size();) {
        const std::size_t n = std::min(chunk(random), stream.size() - at);
        decoder.Feed(std::span(stream).subspan(at, n));
        at += n;
        const auto got = Drain(decoder);
        received.insert(received.end(), got.begin(), got.end());
        EXPECT_EQ(received.size(), at / MessageBytes(version));
      }
      EXPECT_EQ(received, sent);
      EXPECT_EQ(decoder.accepted(), sent.size());
    }
  }
}

TEST(LegacyDecoder, ManyMessagesInOneRead) {
  const auto [stream, sent] = AllocStream(LegacyVersion::kV2, 100);
  LegacyDecoder decoder(LegacyVersion::kV2);
  decoder.Feed(stream);
  EXPECT_EQ(decoder.buffered_bytes(), stream.size());
  EXPECT_EQ(Drain(decoder), sent);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(LegacyDecoder, UnknownTypesForTheGenerationAreCounted) {
  struct Case {
    LegacyVersion version;
    std::uint8_t type;
  };
  const Case cases[] = {
      {LegacyVersion::kV1, 0},  {LegacyVersion::kV1, 6},  {LegacyVersion::kV1, 8},  // DEVICE_INFO_QUERY, CB_ALLOC in v1
      {LegacyVersion::kV2, 8},  {LegacyVersion::kV2, 12},                            // CB_ALLOC, DUMP_KERNELS in v2
      {LegacyVersion::kV3, 13}, {LegacyVersion::kV3, 255}, {LegacyVersion::kV3, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(LegacyVersionName(c.version)) + " type " + std::to_string(c.type));
    LegacyDecoder decoder(c.version);
    EXPECT_EQ(DecodeOne(decoder, HandMessage(c.version, c.type, 0, 64, 0, 0x1000)), std::nullopt);
    EXPECT_EQ(decoder.errors().unknown_type, 1u);
    EXPECT_EQ(decoder.errors().total(), 1u);
    ASSERT_TRUE(decoder.last_rejection().has_value());
    EXPECT_EQ(decoder.last_rejection()->error, DecodeError::kUnknownType);
  }
}

TEST(LegacyDecoder, RepliesToTheServerAndRequestsToTheClientAreCounted) {
  LegacyDecoder to_server(LegacyVersion::kV2, Direction::kToServer);
  EXPECT_EQ(DecodeOne(to_server, HandMessage(LegacyVersion::kV2, 4, 0, 0, 0, 0)), std::nullopt);  // RESPONSE
  EXPECT_EQ(DecodeOne(to_server, HandMessage(LegacyVersion::kV2, 7, 0, 0, 0, 0)), std::nullopt);  // DEVICE_INFO_RESPONSE
  EXPECT_EQ(to_server.errors().wrong_direction, 2u);
  LegacyDecoder to_client(LegacyVersion::kV2, Direction::kToClient);
  EXPECT_EQ(DecodeOne(to_client, HandMessage(LegacyVersion::kV2, 1, 0, 64, 0, 0x1000)), std::nullopt);  // ALLOC
  EXPECT_EQ(DecodeOne(to_client, HandMessage(LegacyVersion::kV2, 3, 0, 0, 0, 0)), std::nullopt);        // QUERY
  EXPECT_EQ(to_client.errors().wrong_direction, 2u);
  EXPECT_EQ(to_client.last_rejection()->error, DecodeError::kWrongDirection);
}

TEST(LegacyDecoder, DeviceIdsOutOfRangeAreCounted) {
  const LegacyVersion v = LegacyVersion::kV3;
  LegacyDecoder decoder(v);
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 1, -1, 64, 0, 0x1000)), std::nullopt);     // ALLOC on -1
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 2, -7, 0, 0, 0x1000)), std::nullopt);      // FREE on -7
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 3, -1, 0, 0, 0)), std::nullopt);           // QUERY on -1
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 6, -2, 0, 0, 0)), std::nullopt);           // DEVICE_INFO_QUERY on -2
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 8, 1024, 64, 0, 0x1000)), std::nullopt);   // default max is 1024
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 10, INT32_MIN, 64, 0, 1)), std::nullopt);
  EXPECT_EQ(decoder.errors().bad_device_id, 6u);
  EXPECT_EQ(decoder.errors().total(), 6u);
  // Accepted: -1 in DEVICE_INFO_QUERY, and the last id below the maximum.
  EXPECT_TRUE(DecodeOne(decoder, HandMessage(v, 6, -1, 0, 0, 0)).has_value());
  EXPECT_TRUE(DecodeOne(decoder, HandMessage(v, 1, 1023, 64, 0, 0x1000)).has_value());
  EXPECT_EQ(decoder.errors().total(), 6u);
}

TEST(LegacyDecoder, DeviceMaximumIsConfigurableAndCapped) {
  LegacyDecoder eight(LegacyVersion::kV1, Direction::kToServer, 8);
  EXPECT_TRUE(DecodeOne(eight, HandMessage(LegacyVersion::kV1, 1, 7, 64, 0, 0x1000)).has_value());
  EXPECT_EQ(DecodeOne(eight, HandMessage(LegacyVersion::kV1, 1, 8, 64, 0, 0x1000)), std::nullopt);
  EXPECT_EQ(eight.errors().bad_device_id, 1u);
  // The ledger refuses ids from kMaxDevices on, so a higher maximum is lowered to it.
  LegacyDecoder huge(LegacyVersion::kV1, Direction::kToServer, 1u << 30);
  EXPECT_EQ(DecodeOne(huge, HandMessage(LegacyVersion::kV1, 1, kMaxDevices, 64, 0, 0x1000)), std::nullopt);
  EXPECT_EQ(huge.errors().bad_device_id, 1u);
}

TEST(LegacyDecoder, BufferTypesAboveTraceAreCountedOnAllocAndFree) {
  const LegacyVersion v = LegacyVersion::kV3;
  LegacyDecoder decoder(v);
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 1, 0, 64, 5, 0x1000)), std::nullopt);
  EXPECT_EQ(DecodeOne(decoder, HandMessage(v, 2, 0, 64, 255, 0x1000)), std::nullopt);
  EXPECT_EQ(decoder.errors().bad_buffer_type, 2u);
  EXPECT_EQ(decoder.last_rejection()->message.buffer_type, 255);
  // 4 (TRACE) is the last valid one; other types do not use buffer_type as a memory type.
  EXPECT_TRUE(DecodeOne(decoder, HandMessage(v, 1, 0, 64, 4, 0x1000)).has_value());
  EXPECT_TRUE(DecodeOne(decoder, HandMessage(v, 8, 0, 64, 9, 0x1000)).has_value());   // CB_ALLOC
  EXPECT_TRUE(DecodeOne(decoder, HandMessage(v, 10, 0, 64, 2, 0x1000)).has_value());  // KERNEL_LOAD, dispatch
  EXPECT_EQ(decoder.errors().total(), 2u);
}

TEST(LegacyDecoder, ZeroSizeAllocIsCounted) {
  LegacyDecoder decoder(LegacyVersion::kV1);
  EXPECT_EQ(DecodeOne(decoder, HandMessage(LegacyVersion::kV1, 1, 0, 0, 0, 0x1000)), std::nullopt);
  EXPECT_EQ(decoder.errors().zero_size, 1u);
  // A FREE carries no size the listener needs.
  EXPECT_TRUE(DecodeOne(decoder, HandMessage(LegacyVersion::kV1, 2, 0, 0, 0, 0x1000)).has_value());
  EXPECT_EQ(decoder.errors().total(), 1u);
}

TEST(LegacyDecoder, OneReasonPerMessageInOrder) {
  LegacyDecoder decoder(LegacyVersion::kV1);
  // Bad device, bad buffer type and size 0 at once: counted once, as the device.
  EXPECT_EQ(DecodeOne(decoder, HandMessage(LegacyVersion::kV1, 1, -3, 0, 9, 0x1000)), std::nullopt);
  EXPECT_EQ(decoder.errors().bad_device_id, 1u);
  EXPECT_EQ(decoder.errors().total(), 1u);
}

TEST(LegacyDecoder, BadMessagesAreSkippedAndTheStreamStaysAligned) {
  const LegacyVersion v = LegacyVersion::kV3;
  std::vector<std::uint8_t> stream;
  auto append = [&](const std::vector<std::uint8_t>& bytes) { stream.insert(stream.end(), bytes.begin(), bytes.end()); };
  append(HandMessage(v, 1, 0, 64, 0, 0x1000));   // good
  append(HandMessage(v, 99, 0, 64, 0, 0x2000));  // unknown type
  append(HandMessage(v, 1, 0, 64, 7, 0x3000));   // bad buffer type
  append(HandMessage(v, 1, 0, 0, 0, 0x4000));    // size 0
  append(HandMessage(v, 2, 0, 64, 0, 0x1000));   // good
  LegacyDecoder decoder(v);
  for (const std::uint8_t byte : stream) decoder.Feed(std::span(&byte, 1));
  const auto received = Drain(decoder);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0].type, MessageType::kAlloc);
  EXPECT_EQ(received[1].type, MessageType::kFree);
  EXPECT_EQ(received[1].buffer_id, 0x1000u);
  EXPECT_EQ(decoder.errors().unknown_type, 1u);
  EXPECT_EQ(decoder.errors().bad_buffer_type, 1u);
  EXPECT_EQ(decoder.errors().zero_size, 1u);
  EXPECT_EQ(decoder.accepted(), 2u);
}

TEST(LegacyDecoder, EndOfStreamCountsATruncatedMessage) {
  const auto [stream, sent] = AllocStream(LegacyVersion::kV2, 2);
  LegacyDecoder decoder(LegacyVersion::kV2);
  decoder.Feed(std::span(stream).first(stream.size() - 10));
  EXPECT_EQ(Drain(decoder).size(), 1u);
  EXPECT_EQ(decoder.buffered_bytes(), 102u);
  EXPECT_EQ(decoder.EndOfStream(), 102u);
  EXPECT_EQ(decoder.errors().truncated, 1u);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  // A clean end counts nothing.
  LegacyDecoder clean(LegacyVersion::kV2);
  clean.Feed(stream);
  EXPECT_EQ(Drain(clean).size(), 2u);
  EXPECT_EQ(clean.EndOfStream(), 0u);
  EXPECT_EQ(clean.errors().total(), 0u);
}

TEST(LegacyDecoder, ErrorNamesSayWhatHappened) {
  for (const DecodeError error : {DecodeError::kUnknownType, DecodeError::kWrongDirection, DecodeError::kBadDeviceId,
                                  DecodeError::kBadBufferType, DecodeError::kZeroSize}) {
    EXPECT_FALSE(DecodeErrorName(error).empty());
    EXPECT_NE(DecodeErrorName(error), "unknown error");
  }
}

}  // namespace
}  // namespace memledger::legacy
