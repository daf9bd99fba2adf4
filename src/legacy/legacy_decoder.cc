// legacy_decoder.cc — stream reassembly and validation of legacy messages
// (legacy_decoder.h).
#include "legacy/legacy_decoder.h"

#include <algorithm>

namespace memledger::legacy {

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

LegacyDecoder::LegacyDecoder(LegacyVersion version, Direction direction, std::uint32_t max_devices)
    : version_(version),
      direction_(direction),
      max_devices_(std::min(max_devices, static_cast<std::uint32_t>(kMaxDevices))),
      message_bytes_(MessageBytes(version)) {}

void LegacyDecoder::Feed(std::span<const std::uint8_t> bytes) {
  if (read_ > 0) {  // drop what was consumed; what is left is usually under one message
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(read_));
    read_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<LegacyMessage> LegacyDecoder::Next() {
  while (buffered_bytes() >= message_bytes_) {
    const std::span<const std::uint8_t> bytes(buffer_.data() + read_, message_bytes_);
    read_ += message_bytes_;
    LegacyMessage message = DecodeUnchecked(version_, bytes);
    if (const auto error = Check(message)) {
      Count(*error);
      last_rejection_ = Rejection{message, *error};
      if (message.type == MessageType::kQuery || message.type == MessageType::kDeviceInfoQuery) {
        refused_requests_.push_back(message);
      }
      continue;
    }
    ++accepted_;
    return message;
  }
  return std::nullopt;
}

std::size_t LegacyDecoder::EndOfStream() {
  const std::size_t partial = buffered_bytes() % message_bytes_;
  if (partial > 0) ++errors_.truncated;
  buffer_.clear();
  read_ = 0;
  return partial;
}

std::optional<DecodeError> LegacyDecoder::Check(const LegacyMessage& m) const {
  const auto raw_type = static_cast<std::uint8_t>(m.type);
  if (!IsDefinedIn(version_, raw_type)) return DecodeError::kUnknownType;
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
