// legacy_decoder.cc — stream reassembly, generation detection and validation
// of legacy messages (legacy_decoder.h).
#include "legacy/legacy_decoder.h"

#include <algorithm>
#include <array>

namespace memledger::legacy {
namespace {

constexpr std::array<LegacyVersion, kLegacyVersionCount> kGenerationsBySize = {LegacyVersion::kV1, LegacyVersion::kV2,
                                                                               LegacyVersion::kV3};
// The header bytes that say a message starts here: its type, pad0 (1-3) and pad1 (17-19).
constexpr std::size_t kStartBytes = offsetof(WireHeader, process_id);

// True when `bytes` (at least kStartBytes of them) begin as a client's message
// does: a type some generation defines, and zero pads.
bool LooksLikeMessageStart(std::span<const std::uint8_t> bytes) {
  static_assert(offsetof(WireHeader, pad0) == 1 && offsetof(WireHeader, pad1) == 17 && kStartBytes == 20);
  return IsDefinedIn(LegacyVersion::kV3, bytes[0]) && bytes[1] == 0 && bytes[2] == 0 && bytes[3] == 0 &&
         bytes[17] == 0 && bytes[18] == 0 && bytes[19] == 0;
}

}  // namespace

std::string_view DecodeErrorName(DecodeError error) {
  switch (error) {
    case DecodeError::kUnknownType: return "unknown message type for this generation";
    case DecodeError::kWrongDirection: return "message type sent in the wrong direction";
    case DecodeError::kBadDeviceId: return "device id out of range";
    case DecodeError::kBadBufferType: return "buffer type out of range";
    case DecodeError::kZeroSize: return "allocation of size 0";
  }
  return "unknown error";
}

LegacyDecoder::LegacyDecoder(std::optional<LegacyVersion> settled, LegacyVersion fallback, Direction direction,
                             std::uint32_t max_devices)
    : settled_(settled),
      fallback_(fallback),
      direction_(direction),
      max_devices_(std::min(max_devices, static_cast<std::uint32_t>(kMaxDevices))) {}

LegacyDecoder::LegacyDecoder(LegacyVersion version, Direction direction, std::uint32_t max_devices)
    : LegacyDecoder(version, version, direction, max_devices) {}

LegacyDecoder LegacyDecoder::Detecting(LegacyVersion fallback, std::uint32_t max_devices) {
  return LegacyDecoder(std::nullopt, fallback, Direction::kToServer, max_devices);
}

void LegacyDecoder::Feed(std::span<const std::uint8_t> bytes) {
  if (read_ > 0) {  // drop what was consumed; what is left is usually under one message
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<LegacyDecoder::Generation> LegacyDecoder::GenerationOfNext() const {
  const std::size_t available = buffered_bytes();
  if (settled_) {
    if (available < MessageBytes(*settled_)) return std::nullopt;
    return Generation{*settled_, false};
  }
  if (available == 0) return std::nullopt;
  const std::span<const std::uint8_t> bytes(buffer_.data() + read_, available);
  for (const LegacyVersion version : kGenerationsBySize) {
    if (!IsDefinedIn(version, bytes[0])) continue;
    const std::size_t end = MessageBytes(version);
    if (available >= end + kStartBytes) {
      if (LooksLikeMessageStart(bytes.subspan(end))) return Generation{version, true};
      continue;  // what follows this size is no message: not this generation
    }
    if (available == end) return Generation{version, false};  // whole as sent; nothing follows yet
    return std::nullopt;  // the next bytes tell
  }
  // No generation fits (a type none defines, or no message where any would end).
  if (available < MessageBytes(fallback_)) return std::nullopt;
  return Generation{fallback_, false};
}

std::optional<DecodedMessage> LegacyDecoder::Next() {
  const std::optional<Generation> generation = GenerationOfNext();
  if (!generation) return std::nullopt;
  if (generation->settles) settled_ = generation->version;
  const std::size_t size = MessageBytes(generation->version);
  const std::span<const std::uint8_t> bytes(buffer_.data() + read_, size);
  read_ += size;
  DecodedMessage decoded{DecodeUnchecked(generation->version, bytes), generation->version, std::nullopt};
  decoded.refused = Check(generation->version, decoded.message);
  if (decoded.refused) {
    Count(*decoded.refused);
  } else {
    ++accepted_;
  }
  return decoded;
}

std::size_t LegacyDecoder::EndOfStream() {
  const std::size_t partial = buffered_bytes();
  if (partial > 0) ++errors_.truncated;
  buffer_.clear();
  read_ = 0;
  return partial;
}

std::optional<DecodeError> LegacyDecoder::Check(LegacyVersion version, const LegacyMessage& m) const {
  const auto raw_type = static_cast<std::uint8_t>(m.type);
  if (!IsDefinedIn(version, raw_type)) return DecodeError::kUnknownType;
  if (IsReplyType(raw_type) != (direction_ == Direction::kToClient)) return DecodeError::kWrongDirection;
  const bool asks_for_count = m.device_id == -1 && (m.type == MessageType::kDeviceInfoQuery ||
                                                    m.type == MessageType::kDeviceInfoResponse);
  if (!asks_for_count && (m.device_id < 0 || static_cast<std::uint32_t>(m.device_id) >= max_devices_)) {
    return DecodeError::kBadDeviceId;
  }
  if ((m.type == MessageType::kAlloc || m.type == MessageType::kFree) &&
      m.buffer_type > static_cast<std::uint8_t>(LegacyBufferType::kTrace)) {
    return DecodeError::kBadBufferType;
  }
  if (m.type == MessageType::kAlloc && m.size == 0) return DecodeError::kZeroSize;
  return std::nullopt;
}

void LegacyDecoder::Count(DecodeError error) {
  switch (error) {
    case DecodeError::kUnknownType: ++errors_.unknown_type; break;
    case DecodeError::kWrongDirection: ++errors_.wrong_direction; break;
    case DecodeError::kBadDeviceId: ++errors_.bad_device_id; break;
    case DecodeError::kBadBufferType: ++errors_.bad_buffer_type; break;
    case DecodeError::kZeroSize: ++errors_.zero_size; break;
  }
}

}  // namespace memledger::legacy
