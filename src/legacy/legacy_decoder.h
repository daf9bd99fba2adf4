// legacy_decoder.h — LegacyDecoder: turns the byte stream of one legacy
// connection into validated messages.
//
// The transport is SOCK_STREAM with no framing: a read may end anywhere, in the
// middle of a message or after several. The decoder keeps what it is given and
// yields whole messages of its generation's size. The peer is hostile: a
// message that is not valid for the generation and direction is counted by
// reason and skipped, never guessed at. Sizes are fixed, so skipping one
// message keeps the stream aligned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
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

// The most recently refused message, for a log line that says what happened.
struct Rejection {
  LegacyMessage message;  // as decoded, unchecked
  DecodeError error;
};

// Not thread-safe: one per connection, used by one thread.
class LegacyDecoder {
 public:
  // Device ids at or above `max_devices` are refused; values above
  // memledger's kMaxDevices (which the ledger refuses anyway) are lowered to it.
  explicit LegacyDecoder(LegacyVersion version, Direction direction = Direction::kToServer,
                         std::uint32_t max_devices = static_cast<std::uint32_t>(kMaxDevices));

  // Appends bytes as they were read, in any chunking. The decoder keeps every
  // byte not yet returned by Next, so call Next until it returns nullopt after
  // each Feed.
  void Feed(std::span<const std::uint8_t> bytes);
  // The next valid whole message, or nullopt when no whole message is left.
  // Invalid messages on the way are counted in errors() and skipped.
  std::optional<LegacyMessage> Next();
  // The peer closed the connection: a partial message still buffered is
  // counted as truncated and dropped. Returns its length (0: none).
  std::size_t EndOfStream();

  LegacyVersion version() const { return version_; }
  std::size_t message_bytes() const { return message_bytes_; }
  // Bytes received and not yet returned or refused (whole messages and a partial one).
  std::size_t buffered_bytes() const { return buffer_.size() - read_; }
  std::uint64_t accepted() const { return accepted_; }
  const DecodeErrors& errors() const { return errors_; }
  const std::optional<Rejection>& last_rejection() const { return last_rejection_; }
  // Refused QUERY and DEVICE_INFO_QUERY messages since the last call: their
  // senders block waiting for a reply, so the listener still answers them
  // (with zeros, as the old server did for what it did not know).
  std::vector<LegacyMessage> TakeRefusedRequests() { return std::exchange(refused_requests_, {}); }

 private:
  std::optional<DecodeError> Check(const LegacyMessage& message) const;
  void Count(DecodeError error);

  LegacyVersion version_;
  Direction direction_;
  std::uint32_t max_devices_;
  std::size_t message_bytes_;
  std::vector<std::uint8_t> buffer_;  // buffer_[read_..] is not consumed yet
  std::size_t read_ = 0;
  std::uint64_t accepted_ = 0;
  DecodeErrors errors_;
  std::optional<Rejection> last_rejection_;
  std::vector<LegacyMessage> refused_requests_;
};

}  // namespace memledger::legacy
