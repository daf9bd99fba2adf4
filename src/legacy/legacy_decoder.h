// legacy_decoder.h — LegacyDecoder: turns the byte stream of one legacy
// connection into messages, each with its generation and its verdict.
//
// The transport is SOCK_STREAM with no framing: a read may end anywhere, in the
// middle of a message or after several. The decoder keeps what it is given and
// yields whole messages. The peer is hostile: a message that is not valid for
// its generation and direction is counted by reason and handed back refused,
// never guessed at.
//
// Which generation a message is (a listener's decoder, Detecting()): the three
// layouts differ only in size (72, 112, 144 bytes), and a request carries
// zeros in its pads and in every field past the 40-byte header (those are
// filled in replies; every client of the old tracker memsets or packs them).
// So the message at the front of the stream is generation g for the smallest
// g that defines its type and whose size ends where the next message visibly
// starts: a type byte a generation defines and zero pads at offsets 1-3 and
// 17-19 (in a v2 or v3 request, offset 72, and in a v3 one offset 112, hold
// zeros, which no message starts with). When nothing follows yet, a stream
// that ends exactly at g's size is g: an old client sends a message with one
// send(), which a Unix stream socket delivers whole, and the reader of a
// QUERY waits for its reply, so nothing may ever follow. Otherwise the
// decoder waits for more bytes.
//
// That last rule is the only one that can be wrong: the first 72 bytes of a
// v2 or v3 QUERY are a v1 QUERY byte for byte, so a client that split a
// message across sends exactly there would be misread. So the first message
// the stream confirms (by the next one's start) settles the connection's
// generation, and from then on every message is read at that size: a client
// speaks one generation. Bytes that fit no generation are read at the settled
// generation's size, or the fallback's, and refused (unknown type), so the
// stream always moves on and nothing waits for bytes that will not come.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "event/event.h"
#include "legacy/legacy_protocol.h"

namespace memledger::legacy {

// Which side's messages a decoder reads: a listener reads what clients send
// (requests and events); a client, or a test, reads what a server sends.
enum class Direction : std::uint8_t { kToServer = 0, kToClient = 1 };

// Why a message was refused. A message is refused for the first of these
// that applies, in this order, and counted once.
enum class DecodeError : std::uint8_t {
  kUnknownType = 0,     // not a type of this generation (CB_ALLOC in v1, 0, 13, ...)
  kWrongDirection = 1,  // a reply type sent to the server, or a request sent to a client
  kBadDeviceId = 2,     // negative (except -1 in DEVICE_INFO_QUERY/_RESPONSE) or >= max_devices
  kBadBufferType = 3,   // buffer_type > 4 on ALLOC or FREE
  kZeroSize = 4,        // size 0 on ALLOC
};
// "unknown message type for this generation", ...: for log lines.
std::string_view DecodeErrorName(DecodeError error);

struct DecodeErrors {
  std::uint64_t unknown_type = 0;
  std::uint64_t wrong_direction = 0;
  std::uint64_t bad_device_id = 0;
  std::uint64_t bad_buffer_type = 0;
  std::uint64_t zero_size = 0;
  std::uint64_t truncated = 0;  // the stream ended inside a message (see EndOfStream)
  std::uint64_t total() const {
    return unknown_type + wrong_direction + bad_device_id + bad_buffer_type + zero_size + truncated;
  }
};

// One whole message as read, accepted or refused.
struct DecodedMessage {
  LegacyMessage message;               // as decoded (unchecked when refused)
  LegacyVersion version;               // the generation it was read as
  std::optional<DecodeError> refused;  // nullopt: accepted (valid for its generation and direction)
  bool accepted() const { return !refused.has_value(); }
};

// Not thread-safe: one per connection, used by one thread.
class LegacyDecoder {
 public:
  // Every message is `version`'s. Device ids at or above `max_devices` are
  // refused; values above memledger's kMaxDevices (which the ledger refuses
  // anyway) are lowered to it.
  explicit LegacyDecoder(LegacyVersion version, Direction direction = Direction::kToServer,
                         std::uint32_t max_devices = static_cast<std::uint32_t>(kMaxDevices));
  // A listener's decoder: each message's generation is told from the stream
  // (see the top of this file); `fallback` is the size bytes that fit no
  // generation are read at before the connection has settled on one.
  static LegacyDecoder Detecting(LegacyVersion fallback,
                                 std::uint32_t max_devices = static_cast<std::uint32_t>(kMaxDevices));

  // Appends bytes as they were read, in any chunking. The decoder keeps every
  // byte not yet returned by Next, so call Next until it returns nullopt after
  // each Feed.
  void Feed(std::span<const std::uint8_t> bytes);
  // The next whole message, accepted or refused, in stream order; nullopt
  // when no whole message is buffered (or its generation cannot be told yet).
  std::optional<DecodedMessage> Next();
  // The peer closed the connection: whatever is still buffered (part of a
  // message) is counted as truncated and dropped. Returns its length (0: none).
  std::size_t EndOfStream();

  // The generation every message is read at from now on: the fixed one, or
  // the one a detecting decoder's stream settled on; nullopt before that.
  std::optional<LegacyVersion> settled_version() const { return settled_; }
  // Bytes received and not yet returned (whole messages and a partial one).
  std::size_t buffered_bytes() const { return buffer_.size() - read_; }
  std::uint64_t accepted() const { return accepted_; }
  const DecodeErrors& errors() const { return errors_; }

 private:
  struct Generation {
    LegacyVersion version;
    bool settles;  // the stream confirmed it: the connection speaks it
  };
  LegacyDecoder(std::optional<LegacyVersion> settled, LegacyVersion fallback, Direction direction,
                std::uint32_t max_devices);
  // The generation of the message at the front of the buffer, once it is
  // whole and known; nullopt: wait for more bytes.
  std::optional<Generation> GenerationOfNext() const;
  std::optional<DecodeError> Check(LegacyVersion version, const LegacyMessage& message) const;
  void Count(DecodeError error);

  std::optional<LegacyVersion> settled_;
  LegacyVersion fallback_;
  Direction direction_;
  std::uint32_t max_devices_;
  std::vector<std::uint8_t> buffer_;  // buffer_[read_..] is not consumed yet
  std::size_t read_ = 0;
  std::uint64_t accepted_ = 0;
  DecodeErrors errors_;
};

}  // namespace memledger::legacy
