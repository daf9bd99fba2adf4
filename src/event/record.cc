// record.cc — slot framing and payload codecs (see record.h).
#include "event/record.h"

#include <algorithm>
#include <cstring>

#include "event/utf8.h"

namespace memledger {

void PackPayload(std::string_view payload, std::span<Event> slots) {
  std::size_t offset = 0;
  for (Event& slot : slots) {
    auto* bytes = reinterpret_cast<unsigned char*>(&slot) + sizeof(std::uint64_t);
    const std::size_t n = std::min(kContinuationPayload, payload.size() - offset);
    std::memcpy(bytes, payload.data() + offset, n);
    std::memset(bytes + n, 0, kContinuationPayload - n);
    offset += n;
  }
}

void AppendRecord(std::vector<Event>& slots, Event header, std::string_view payload) {
  payload = payload.substr(0, kMaxPayloadBytes);
  header.payload_bytes = static_cast<std::uint32_t>(payload.size());
  std::uint64_t seq = slots.empty() ? 1 : slots.back().seq + 1;
  header.seq = seq;
  slots.push_back(header);
  const std::size_t first = slots.size();
  slots.resize(first + ContinuationSlots(header.payload_bytes));
  const std::span<Event> continuation = std::span(slots).subspan(first);
  PackPayload(payload, continuation);
  for (Event& slot : continuation) slot.seq = ++seq;
}

std::optional<Record> RecordAssembler::Push(const Event& slot) {
  if (next_seq_ != 0 && slot.seq != next_seq_) {
    if (slot.seq < next_seq_) {
      ++errors_.sequence_backwards;
      return std::nullopt;
    }
    errors_.missing_slots += slot.seq - next_seq_;
    if (remaining_ != 0) {  // the record being assembled lost a part: drop it
      remaining_ = 0;
      ++errors_.bad_payload;
    }
    skipping_ = 0;
  }
  next_seq_ = slot.seq + 1;

  if (remaining_ != 0) {
    const auto* bytes = reinterpret_cast<const char*>(&slot) + sizeof(std::uint64_t);
    const std::size_t n = std::min<std::size_t>(kContinuationPayload, header_.payload_bytes - payload_.size());
    payload_.append(bytes, n);
    if (--remaining_ != 0) return std::nullopt;
    return Record{header_, payload_};
  }

  if (skipping_ != 0) {
    --skipping_;
    return std::nullopt;
  }
  if (slot.kind == 0 || slot.kind > kLastEventKind) {
    ++errors_.bad_kind;
    // A kind from a newer writer still frames its payload: skip those slots.
    if (slot.payload_bytes <= kMaxPayloadBytes) skipping_ = ContinuationSlots(slot.payload_bytes);
    return std::nullopt;
  }
  if (slot.payload_bytes > kMaxPayloadBytes) {
    ++errors_.bad_payload;
    return std::nullopt;
  }
  if (slot.payload_bytes == 0) return Record{slot, {}};
  header_ = slot;
  payload_.clear();
  remaining_ = ContinuationSlots(slot.payload_bytes);
  return std::nullopt;
}

std::string DecodeName(std::string_view payload) {
  // Made valid first: a replaced byte grows to three, and the cut keeps the result within the limit.
  const std::string valid = ValidUtf8(payload);
  return std::string(Utf8Prefix(valid, kMaxNameRecordBytes));
}

// Device description payloads: record.h.
namespace {
struct CapacityWire {
  std::uint32_t type;
  std::uint32_t zero;
  std::uint64_t bytes;
};
static_assert(sizeof(CapacityWire) == 16);
constexpr std::size_t kMaxCapacities = MEMLEDGER_MAX_TYPES;

struct FieldWire {
  std::uint16_t field;
  std::uint16_t bytes;
};
static_assert(sizeof(FieldWire) == 4);
enum DescriptionField : std::uint16_t { kNameField = 1, kUidField = 2, kAddressSpacesField = 3 };

struct AddressSpaceWire {
  std::uint8_t type;
  std::uint8_t within;
  std::uint16_t zero = 0;
  std::uint32_t banks;
  std::uint32_t alignment;
  std::uint32_t zero2 = 0;
  std::uint64_t base;
  std::uint64_t size;
};
static_assert(sizeof(AddressSpaceWire) == 32);
constexpr std::size_t kMaxAddressSpaces = MEMLEDGER_MAX_TYPES;

void AppendAddressSpaces(std::string& out, const std::vector<memledger_address_space>& spaces) {
  const std::size_t count = std::min(spaces.size(), kMaxAddressSpaces);
  const FieldWire wire{kAddressSpacesField, static_cast<std::uint16_t>(count * sizeof(AddressSpaceWire))};
  out.append(reinterpret_cast<const char*>(&wire), sizeof(wire));
  for (std::size_t i = 0; i < count; ++i) {
    const memledger_address_space& space = spaces[i];
    const AddressSpaceWire one{space.type, space.within, 0, space.banks, space.alignment, 0, space.base, space.size};
    out.append(reinterpret_cast<const char*>(&one), sizeof(one));
  }
}

// nullopt when `text` is not whole records.
std::optional<std::vector<memledger_address_space>> DecodeAddressSpaces(std::string_view text) {
  if (text.size() % sizeof(AddressSpaceWire) != 0) return std::nullopt;
  std::vector<memledger_address_space> spaces(text.size() / sizeof(AddressSpaceWire));
  for (std::size_t i = 0; i < spaces.size(); ++i) {
    AddressSpaceWire wire;
    std::memcpy(&wire, text.data() + i * sizeof(wire), sizeof(wire));
    spaces[i] = {wire.type, wire.within, wire.banks, wire.alignment, wire.base, wire.size};
  }
  return spaces;
}

void AppendField(std::string& out, DescriptionField field, std::string_view text) {
  text = text.substr(0, kMaxNameRecordBytes);
  const FieldWire wire{field, static_cast<std::uint16_t>(text.size())};
  out.append(reinterpret_cast<const char*>(&wire), sizeof(wire));
  out.append(text);
}
}  // namespace

static_assert(sizeof(std::uint32_t) + kMaxCapacities * sizeof(CapacityWire) +
                  2 * (sizeof(FieldWire) + kMaxNameRecordBytes) + sizeof(FieldWire) +
                  kMaxAddressSpaces * sizeof(AddressSpaceWire) <=
              kMaxPayloadBytes);

std::string EncodeDeviceDescription(const DeviceDescription& device) {
  const std::uint32_t count = static_cast<std::uint32_t>(std::min(device.capacities.size(), kMaxCapacities));
  const bool described = !device.uid.empty() || !device.address_spaces.empty();
  const std::uint32_t first_word = described ? count | kDescriptionFields : count;
  std::string out(sizeof(count) + count * sizeof(CapacityWire), '\0');
  std::memcpy(out.data(), &first_word, sizeof(first_word));
  for (std::uint32_t i = 0; i < count; ++i) {
    const CapacityWire wire{device.capacities[i].type, 0, device.capacities[i].bytes};
    std::memcpy(out.data() + sizeof(count) + i * sizeof(CapacityWire), &wire, sizeof(wire));
  }
  if (described) {  // at most 4 + 64 x 16 + 2 x (4 + 256) + 4 + 64 x 32 bytes: within kMaxPayloadBytes
    AppendField(out, kNameField, device.name);
    AppendField(out, kUidField, device.uid);
    if (!device.address_spaces.empty()) AppendAddressSpaces(out, device.address_spaces);
    return out;
  }
  const std::size_t room = kMaxPayloadBytes - out.size();
  out.append(device.name.substr(0, room));
  return out;
}

std::optional<DeviceDescription> DecodeDeviceDescription(std::string_view payload) {
  std::uint32_t count = 0;
  if (payload.size() < sizeof(count)) return std::nullopt;
  std::memcpy(&count, payload.data(), sizeof(count));
  const bool described = (count & kDescriptionFields) != 0;
  count &= ~kDescriptionFields;
  if (count > kMaxCapacities || payload.size() < sizeof(count) + count * sizeof(CapacityWire)) return std::nullopt;
  DeviceDescription device;
  for (std::uint32_t i = 0; i < count; ++i) {
    CapacityWire wire;
    std::memcpy(&wire, payload.data() + sizeof(count) + i * sizeof(CapacityWire), sizeof(wire));
    if (wire.type >= MEMLEDGER_MAX_TYPES) return std::nullopt;
    device.capacities.push_back({static_cast<memledger_mem_type>(wire.type), wire.bytes});
  }
  std::string_view rest = payload.substr(sizeof(count) + count * sizeof(CapacityWire));
  if (!described) {
    device.name = DecodeName(rest);
    return device;
  }
  while (!rest.empty()) {
    FieldWire wire;
    if (rest.size() < sizeof(wire)) return std::nullopt;
    std::memcpy(&wire, rest.data(), sizeof(wire));
    rest.remove_prefix(sizeof(wire));
    if (rest.size() < wire.bytes) return std::nullopt;
    const std::string_view text = rest.substr(0, wire.bytes);
    rest.remove_prefix(wire.bytes);
    if (wire.field == kNameField) device.name = DecodeName(text);
    if (wire.field == kUidField) device.uid = DecodeName(text);
    if (wire.field == kAddressSpacesField) {
      auto spaces = DecodeAddressSpaces(text);
      if (!spaces) return std::nullopt;
      device.address_spaces = std::move(*spaces);
    }
  }
  return device;
}

std::string EncodeStack(std::span<const std::uint64_t> frames) {
  frames = frames.first(std::min(frames.size(), kMaxStackDepth));
  std::string out(frames.size_bytes(), '\0');
  std::memcpy(out.data(), frames.data(), frames.size_bytes());
  return out;
}

std::optional<std::vector<std::uint64_t>> DecodeStack(std::string_view payload) {
  const std::size_t depth = payload.size() / sizeof(std::uint64_t);
  if (payload.size() % sizeof(std::uint64_t) != 0 || depth == 0 || depth > kMaxStackDepth) return std::nullopt;
  std::vector<std::uint64_t> frames(depth);
  std::memcpy(frames.data(), payload.data(), payload.size());
  return frames;
}

namespace {
struct ModuleWire {
  std::uint64_t base;
  std::uint64_t start;
  std::uint64_t end;
  std::uint32_t build_id_bytes;
  std::uint32_t reserved;
};
static_assert(sizeof(ModuleWire) == 32);
constexpr std::size_t kMaxBuildIdBytes = 64;
}  // namespace

std::string EncodeModule(const ModuleDescription& module) {
  const std::string_view build_id = std::string_view(module.build_id).substr(0, kMaxBuildIdBytes);
  const ModuleWire wire{module.base, module.start, module.end, static_cast<std::uint32_t>(build_id.size()), 0};
  std::string out(sizeof(wire), '\0');
  std::memcpy(out.data(), &wire, sizeof(wire));
  out.append(build_id);
  out.append(std::string_view(module.path).substr(0, kMaxPayloadBytes - out.size()));
  return out;
}

std::optional<ModuleDescription> DecodeModule(std::string_view payload) {
  ModuleWire wire;
  if (payload.size() < sizeof(wire)) return std::nullopt;
  std::memcpy(&wire, payload.data(), sizeof(wire));
  if (wire.build_id_bytes > kMaxBuildIdBytes || payload.size() < sizeof(wire) + wire.build_id_bytes ||
      wire.start > wire.end) {
    return std::nullopt;
  }
  ModuleDescription module{wire.base, wire.start, wire.end,
                           std::string(payload.substr(sizeof(wire), wire.build_id_bytes)),
                           std::string(payload.substr(sizeof(wire) + wire.build_id_bytes))};
  return module;
}

namespace {
struct LanguageFrameWire {
  std::uint32_t line;
  std::uint32_t function_bytes;
};
static_assert(sizeof(LanguageFrameWire) == 8);
}  // namespace

static_assert(sizeof(LanguageFrameWire) + 2 * kMaxLanguageFrameText <= kMaxPayloadBytes);

std::string EncodeLanguageFrame(const LanguageFrame& frame) {
  const std::string_view function = std::string_view(frame.function).substr(0, kMaxLanguageFrameText);
  const LanguageFrameWire wire{frame.line, static_cast<std::uint32_t>(function.size())};
  std::string out(sizeof(wire), '\0');
  std::memcpy(out.data(), &wire, sizeof(wire));
  out.append(function);
  out.append(std::string_view(frame.file).substr(0, kMaxLanguageFrameText));
  return out;
}

std::optional<LanguageFrame> DecodeLanguageFrame(std::string_view payload) {
  LanguageFrameWire wire;
  if (payload.size() < sizeof(wire)) return std::nullopt;
  std::memcpy(&wire, payload.data(), sizeof(wire));
  const std::string_view texts = payload.substr(sizeof(wire));
  if (wire.function_bytes > std::min(texts.size(), kMaxLanguageFrameText) ||
      texts.size() - wire.function_bytes > kMaxLanguageFrameText) {
    return std::nullopt;
  }
  const auto text = [](std::string_view bytes) {
    return std::string(Utf8Prefix(ValidUtf8(bytes), kMaxLanguageFrameText));
  };
  return LanguageFrame{text(texts.substr(0, wire.function_bytes)), text(texts.substr(wire.function_bytes)), wire.line};
}

}  // namespace memledger
