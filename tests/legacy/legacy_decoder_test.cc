// legacy_decoder_test.cc — LegacyDecoder (src/legacy/legacy_decoder.h): whole
// messages from any chunking of the stream, every kind of invalid message
// counted by reason and handed back refused with the stream kept aligned, and
// a listener's decoder telling v1, v2 and v3 apart per message, never waiting
// for bytes a whole message does not need.
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

// The accepted messages `decoder` has whole now (refused ones are counted).
std::vector<LegacyMessage> Drain(LegacyDecoder& decoder) {
  std::vector<LegacyMessage> out;
  while (auto decoded = decoder.Next()) {
    if (decoded->accepted()) out.push_back(decoded->message);
  }
  return out;
}

// What `decoder` makes of one whole message.
DecodedMessage DecodeOne(LegacyDecoder& decoder, const std::vector<std::uint8_t>& bytes) {
  decoder.Feed(bytes);
  auto decoded = decoder.Next();
  EXPECT_TRUE(decoded.has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return decoded.value_or(DecodedMessage{{}, LegacyVersion::kV1, DecodeError::kUnknownType});
}
// The message when `decoder` accepts it; nullopt when it refuses it.
std::optional<LegacyMessage> AcceptOne(LegacyDecoder& decoder, const std::vector<std::uint8_t>& bytes) {
  const DecodedMessage decoded = DecodeOne(decoder, bytes);
  return decoded.accepted() ? std::optional(decoded.message) : std::nullopt;
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
      const DecodedMessage received = DecodeOne(decoder, Bytes(version, sent));
      ASSERT_TRUE(received.accepted()) << DecodeErrorName(*received.refused);
      EXPECT_EQ(received.message, sent);
      EXPECT_EQ(received.version, version);
    }
    EXPECT_EQ(to_server.errors().total(), 0u);
    EXPECT_EQ(to_client.errors().total(), 0u);
    EXPECT_EQ(to_server.accepted() + to_client.accepted(), TypesOf(version).size());
  }
}

TEST(LegacyDecoder, RefusedMessagesComeBackInStreamOrderWithTheirReason) {
  LegacyDecoder decoder(LegacyVersion::kV3);
  std::vector<std::uint8_t> stream;
  for (const auto& bytes : {HandMessage(LegacyVersion::kV3, 3, 5000, 0, 0, 0),    // QUERY, device out of range
                            HandMessage(LegacyVersion::kV3, 1, 0, 0, 0, 0x1000),   // ALLOC of size 0
                            HandMessage(LegacyVersion::kV3, 6, -7, 0, 0, 0),       // DEVICE_INFO_QUERY, bad device
                            HandMessage(LegacyVersion::kV3, 3, 0, 0, 0, 0)}) {     // a good QUERY
    stream.insert(stream.end(), bytes.begin(), bytes.end());
  }
  decoder.Feed(stream);
  std::vector<DecodedMessage> decoded;
  while (auto m = decoder.Next()) decoded.push_back(*m);
  ASSERT_EQ(decoded.size(), 4u);
  EXPECT_EQ(decoded[0].message.type, MessageType::kQuery);
  EXPECT_EQ(decoded[0].message.device_id, 5000);
  EXPECT_EQ(decoded[0].refused, DecodeError::kBadDeviceId);
  EXPECT_EQ(decoded[1].refused, DecodeError::kZeroSize);
  EXPECT_EQ(decoded[2].message.type, MessageType::kDeviceInfoQuery);
  EXPECT_EQ(decoded[2].refused, DecodeError::kBadDeviceId);
  EXPECT_TRUE(decoded[3].accepted());
  EXPECT_EQ(decoder.accepted(), 1u);
  EXPECT_EQ(decoder.errors().total(), 3u);
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
    EXPECT_EQ(DecodeOne(decoder, HandMessage(c.version, c.type, 0, 64, 0, 0x1000)).refused, DecodeError::kUnknownType);
    EXPECT_EQ(decoder.errors().unknown_type, 1u);
    EXPECT_EQ(decoder.errors().total(), 1u);
  }
}

TEST(LegacyDecoder, RepliesToTheServerAndRequestsToTheClientAreCounted) {
  LegacyDecoder to_server(LegacyVersion::kV2, Direction::kToServer);
  EXPECT_EQ(AcceptOne(to_server, HandMessage(LegacyVersion::kV2, 4, 0, 0, 0, 0)), std::nullopt);  // RESPONSE
  EXPECT_EQ(AcceptOne(to_server, HandMessage(LegacyVersion::kV2, 7, 0, 0, 0, 0)), std::nullopt);  // DEVICE_INFO_RESPONSE
  EXPECT_EQ(to_server.errors().wrong_direction, 2u);
  LegacyDecoder to_client(LegacyVersion::kV2, Direction::kToClient);
  EXPECT_EQ(AcceptOne(to_client, HandMessage(LegacyVersion::kV2, 1, 0, 64, 0, 0x1000)), std::nullopt);  // ALLOC
  EXPECT_EQ(DecodeOne(to_client, HandMessage(LegacyVersion::kV2, 3, 0, 0, 0, 0)).refused,  // QUERY
            DecodeError::kWrongDirection);
  EXPECT_EQ(to_client.errors().wrong_direction, 2u);
}

TEST(LegacyDecoder, DeviceIdsOutOfRangeAreCounted) {
  const LegacyVersion v = LegacyVersion::kV3;
  LegacyDecoder decoder(v);
  EXPECT_EQ(AcceptOne(decoder, HandMessage(v, 1, -1, 64, 0, 0x1000)), std::nullopt);     // ALLOC on -1
  EXPECT_EQ(AcceptOne(decoder, HandMessage(v, 2, -7, 0, 0, 0x1000)), std::nullopt);      // FREE on -7
  EXPECT_EQ(AcceptOne(decoder, HandMessage(v, 3, -1, 0, 0, 0)), std::nullopt);           // QUERY on -1
  EXPECT_EQ(AcceptOne(decoder, HandMessage(v, 6, -2, 0, 0, 0)), std::nullopt);           // DEVICE_INFO_QUERY on -2
  EXPECT_EQ(AcceptOne(decoder, HandMessage(v, 8, 1024, 64, 0, 0x1000)), std::nullopt);   // default max is 1024
  EXPECT_EQ(AcceptOne(decoder, HandMessage(v, 10, INT32_MIN, 64, 0, 1)), std::nullopt);
  EXPECT_EQ(decoder.errors().bad_device_id, 6u);
  EXPECT_EQ(decoder.errors().total(), 6u);
  // Accepted: -1 in DEVICE_INFO_QUERY, and the last id below the maximum.
  EXPECT_TRUE(AcceptOne(decoder, HandMessage(v, 6, -1, 0, 0, 0)).has_value());
  EXPECT_TRUE(AcceptOne(decoder, HandMessage(v, 1, 1023, 64, 0, 0x1000)).has_value());
  EXPECT_EQ(decoder.errors().total(), 6u);
}

TEST(LegacyDecoder, DeviceMaximumIsConfigurableAndCapped) {
  LegacyDecoder eight(LegacyVersion::kV1, Direction::kToServer, 8);
  EXPECT_TRUE(AcceptOne(eight, HandMessage(LegacyVersion::kV1, 1, 7, 64, 0, 0x1000)).has_value());
  EXPECT_EQ(AcceptOne(eight, HandMessage(LegacyVersion::kV1, 1, 8, 64, 0, 0x1000)), std::nullopt);
  EXPECT_EQ(eight.errors().bad_device_id, 1u);
  // The ledger refuses ids from kMaxDevices on, so a higher maximum is lowered to it.
  LegacyDecoder huge(LegacyVersion::kV1, Direction::kToServer, 1u << 30);
  EXPECT_EQ(AcceptOne(huge, HandMessage(LegacyVersion::kV1, 1, kMaxDevices, 64, 0, 0x1000)), std::nullopt);
  EXPECT_EQ(huge.errors().bad_device_id, 1u);
}

TEST(LegacyDecoder, BufferTypesAboveTraceAreCountedOnAllocAndFree) {
  const LegacyVersion v = LegacyVersion::kV3;
  LegacyDecoder decoder(v);
  EXPECT_EQ(AcceptOne(decoder, HandMessage(v, 1, 0, 64, 5, 0x1000)), std::nullopt);
  const DecodedMessage refused = DecodeOne(decoder, HandMessage(v, 2, 0, 64, 255, 0x1000));
  EXPECT_EQ(refused.refused, DecodeError::kBadBufferType);
  EXPECT_EQ(refused.message.buffer_type, 255);
  EXPECT_EQ(decoder.errors().bad_buffer_type, 2u);
  // 4 (TRACE) is the last valid one; other types do not use buffer_type as a memory type.
  EXPECT_TRUE(AcceptOne(decoder, HandMessage(v, 1, 0, 64, 4, 0x1000)).has_value());
  EXPECT_TRUE(AcceptOne(decoder, HandMessage(v, 8, 0, 64, 9, 0x1000)).has_value());   // CB_ALLOC
  EXPECT_TRUE(AcceptOne(decoder, HandMessage(v, 10, 0, 64, 2, 0x1000)).has_value());  // KERNEL_LOAD, dispatch
  EXPECT_EQ(decoder.errors().total(), 2u);
}

TEST(LegacyDecoder, ZeroSizeAllocIsCounted) {
  LegacyDecoder decoder(LegacyVersion::kV1);
  EXPECT_EQ(AcceptOne(decoder, HandMessage(LegacyVersion::kV1, 1, 0, 0, 0, 0x1000)), std::nullopt);
  EXPECT_EQ(decoder.errors().zero_size, 1u);
  // A FREE carries no size the listener needs.
  EXPECT_TRUE(AcceptOne(decoder, HandMessage(LegacyVersion::kV1, 2, 0, 0, 0, 0x1000)).has_value());
  EXPECT_EQ(decoder.errors().total(), 1u);
}

TEST(LegacyDecoder, OneReasonPerMessageInOrder) {
  LegacyDecoder decoder(LegacyVersion::kV1);
  // Bad device, bad buffer type and size 0 at once: counted once, as the device.
  EXPECT_EQ(AcceptOne(decoder, HandMessage(LegacyVersion::kV1, 1, -3, 0, 9, 0x1000)), std::nullopt);
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

// --- a listener's decoder: generations told apart per message ---------------

// Every request type of `version` a client sends, built as clients build them:
// zeros past the header.
std::vector<LegacyMessage> RequestsOf(LegacyVersion version) {
  std::vector<LegacyMessage> requests;
  for (const MessageType type : TypesOf(version)) {
    if (IsReplyType(static_cast<std::uint8_t>(type))) continue;
    LegacyMessage m = Alloc(1, 0x2000, 4096, 1);
    m.type = type;
    m.process_id = 4242;
    if (type == MessageType::kDeviceInfoQuery) m.device_id = -1;
    requests.push_back(m);
  }
  return requests;
}

TEST(DetectingDecoder, AMessageSentAloneIsReadAtOnceInItsGeneration) {
  // A client that sends one message and waits for the reply (a monitor's
  // QUERY) must be answered with no byte more: a v2 QUERY on a listener that
  // waited for v3's 144 bytes blocked both forever.
  for (const LegacyVersion version : kAllVersions) {
    for (const LegacyMessage& sent : RequestsOf(version)) {
      SCOPED_TRACE(std::string(LegacyVersionName(version)) + " " +
                   std::string(MessageTypeName(static_cast<std::uint8_t>(sent.type))));
      LegacyDecoder decoder = LegacyDecoder::Detecting(LegacyVersion::kV3);
      const DecodedMessage decoded = DecodeOne(decoder, Bytes(version, sent));
      EXPECT_TRUE(decoded.accepted());
      EXPECT_EQ(decoded.version, version);
      EXPECT_EQ(decoded.message, sent);
      EXPECT_EQ(decoder.settled_version(), std::nullopt) << "one message alone settles nothing";
    }
  }
}

TEST(DetectingDecoder, EveryFallbackReadsEveryGeneration) {
  for (const LegacyVersion fallback : kAllVersions) {
    for (const LegacyVersion version : kAllVersions) {
      SCOPED_TRACE(std::string(LegacyVersionName(fallback)) + " listener, " + std::string(LegacyVersionName(version)));
      LegacyDecoder decoder = LegacyDecoder::Detecting(fallback);
      LegacyMessage query;
      query.type = MessageType::kQuery;
      const DecodedMessage decoded = DecodeOne(decoder, Bytes(version, query));
      EXPECT_TRUE(decoded.accepted());
      EXPECT_EQ(decoded.version, version);
    }
  }
}

TEST(DetectingDecoder, APipelinedStreamSettlesItsGeneration) {
  for (const LegacyVersion version : kAllVersions) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    const auto [stream, sent] = AllocStream(version, 50);
    LegacyDecoder decoder = LegacyDecoder::Detecting(LegacyVersion::kV3);
    decoder.Feed(stream);
    std::vector<LegacyMessage> received;
    while (auto decoded = decoder.Next()) {
      EXPECT_EQ(decoded->version, version);
      EXPECT_TRUE(decoded->accepted());
      received.push_back(decoded->message);
    }
    EXPECT_EQ(received, sent);
    EXPECT_EQ(decoder.settled_version(), version);
    EXPECT_EQ(decoder.buffered_bytes(), 0u);
  }
}

TEST(DetectingDecoder, ClientsOfEachGenerationOnOneListenerAtOnce) {
  // One decoder per connection, all fed in turns, as the server's loop does.
  std::vector<LegacyDecoder> connections;
  std::vector<std::vector<std::uint8_t>> streams;
  std::vector<std::vector<LegacyMessage>> sent;
  for (const LegacyVersion version : kAllVersions) {
    auto [stream, messages] = AllocStream(version, 30);
    connections.push_back(LegacyDecoder::Detecting(LegacyVersion::kV3));
    streams.push_back(std::move(stream));
    sent.push_back(std::move(messages));
  }
  std::vector<std::vector<LegacyMessage>> received(connections.size());
  std::vector<std::size_t> at(connections.size(), 0);
  for (bool more = true; more;) {
    more = false;
    for (std::size_t c = 0; c < connections.size(); ++c) {
      const std::size_t message = MessageBytes(kAllVersions[c]);
      const std::size_t n = std::min(message * (1 + at[c] % 3), streams[c].size() - at[c]);  // 1 to 3 whole messages
      if (n == 0) continue;
      more = true;
      connections[c].Feed(std::span(streams[c]).subspan(at[c], n));
      at[c] += n;
      while (auto decoded = connections[c].Next()) {
        EXPECT_EQ(decoded->version, kAllVersions[c]);
        received[c].push_back(decoded->message);
      }
    }
  }
  for (std::size_t c = 0; c < connections.size(); ++c) EXPECT_EQ(received[c], sent[c]);
}

TEST(DetectingDecoder, AMessageCutShortIsWaitedForNotMisread) {
  for (const LegacyVersion version : {LegacyVersion::kV2, LegacyVersion::kV3}) {
    SCOPED_TRACE(std::string(LegacyVersionName(version)));
    LegacyMessage query;
    query.type = MessageType::kQuery;
    const auto bytes = Bytes(version, query);
    LegacyDecoder decoder = LegacyDecoder::Detecting(LegacyVersion::kV3);
    decoder.Feed(std::span(bytes).first(100));  // more than v1's 72; no message starts at 72
    EXPECT_FALSE(decoder.Next().has_value());
    decoder.Feed(std::span(bytes).subspan(100));
    const auto decoded = decoder.Next();
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->version, version);
  }
}

TEST(DetectingDecoder, ATypeAGenerationLacksRulesItOut) {
  // The first 72 bytes of a CB_ALLOC are no v1 message (v1 has no CB_ALLOC): the rest is waited for.
  LegacyMessage cb = Alloc(0, 0x9000, 2048);
  cb.type = MessageType::kCbAlloc;
  const auto bytes = Bytes(LegacyVersion::kV3, cb);
  LegacyDecoder decoder = LegacyDecoder::Detecting(LegacyVersion::kV3);
  decoder.Feed(std::span(bytes).first(72));
  EXPECT_FALSE(decoder.Next().has_value());
  decoder.Feed(std::span(bytes).subspan(72));
  const auto decoded = decoder.Next();
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->version, LegacyVersion::kV3);
  EXPECT_TRUE(decoded->accepted());
}

TEST(DetectingDecoder, OnceSettledAnyChunkingReadsTheSameMessages) {
  for (const LegacyVersion version : kAllVersions) {
    const auto [stream, sent] = AllocStream(version, 40);
    for (std::uint32_t seed = 1; seed <= 10; ++seed) {
      SCOPED_TRACE(std::string(LegacyVersionName(version)) + " seed " + std::to_string(seed));
      std::mt19937 random(seed);
      std::uniform_int_distribution<std::size_t> chunk(1, 3 * MessageBytes(version) + 7);
      LegacyDecoder decoder = LegacyDecoder::Detecting(LegacyVersion::kV1);
      const std::size_t first = 2 * MessageBytes(version);  // two whole messages settle it
      decoder.Feed(std::span(stream).first(first));
      std::vector<LegacyMessage> received = Drain(decoder);
      EXPECT_EQ(decoder.settled_version(), version);
      for (std::size_t at = first; at < stream.size();) {
        const std::size_t n = std::min(chunk(random), stream.size() - at);
        decoder.Feed(std::span(stream).subspan(at, n));
        at += n;
        const auto got = Drain(decoder);
        received.insert(received.end(), got.begin(), got.end());
      }
      EXPECT_EQ(received, sent);
    }
  }
}

TEST(DetectingDecoder, BytesThatFitNoGenerationAreRefusedAndTheStreamMovesOn) {
  // Zeros: type 0 is no generation's. Read at the fallback's size, refused, never waited on.
  const std::vector<std::uint8_t> zeros(3 * 144, 0);
  LegacyDecoder decoder = LegacyDecoder::Detecting(LegacyVersion::kV3);
  decoder.Feed(zeros);
  int refused = 0;
  while (auto decoded = decoder.Next()) {
    EXPECT_EQ(decoded->refused, DecodeError::kUnknownType);
    EXPECT_EQ(decoded->version, LegacyVersion::kV3);
    ++refused;
  }
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  // A settled connection reads garbage at its own size and stays aligned.
  const auto [stream, sent] = AllocStream(LegacyVersion::kV1, 2);
  LegacyDecoder settled = LegacyDecoder::Detecting(LegacyVersion::kV3);
  settled.Feed(stream);
  EXPECT_EQ(Drain(settled).size(), 2u);
  settled.Feed(std::span(zeros).first(72));
  settled.Feed(Bytes(LegacyVersion::kV1, sent[0]));
  EXPECT_EQ(Drain(settled), std::vector<LegacyMessage>{sent[0]});
  EXPECT_EQ(settled.errors().unknown_type, 1u);
}

TEST(DetectingDecoder, EndOfStreamCountsWhatIsLeft) {
  LegacyMessage query;
  query.type = MessageType::kQuery;
  const auto bytes = Bytes(LegacyVersion::kV3, query);
  LegacyDecoder decoder = LegacyDecoder::Detecting(LegacyVersion::kV3);
  decoder.Feed(std::span(bytes).first(100));
  EXPECT_FALSE(decoder.Next().has_value());
  EXPECT_EQ(decoder.EndOfStream(), 100u);
  EXPECT_EQ(decoder.errors().truncated, 1u);
}

}  // namespace
}  // namespace memledger::legacy
