// record_test.cc — slot framing (PackPayload, RecordAssembler) and the payload
// codecs (src/event/record.h). The assembler reads hostile input: every
// malformed stream must be counted and skipped, never trusted; every name
// decoded is valid UTF-8 within its limit.
#include "event/record.h"
#include "event/utf8.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace memledger {
namespace {

Event Header(std::uint64_t seq, EventKind kind, std::uint32_t payload_bytes = 0) {
  Event e{};
  e.seq = seq;
  e.kind = static_cast<std::uint8_t>(kind);
  e.payload_bytes = payload_bytes;
  return e;
}

// The slots of one record: its header (with `kind`, seq from `first_seq`)
// followed by the continuation slots carrying `payload`.
std::vector<Event> RecordSlots(std::uint64_t first_seq, EventKind kind, const std::string& payload) {
  std::vector<Event> slots(1 + ContinuationSlots(static_cast<std::uint32_t>(payload.size())));
  slots[0] = Header(first_seq, kind, static_cast<std::uint32_t>(payload.size()));
  slots[0].buffer_id = 0xb0ff;
  slots[0].device = 3;
  PackPayload(payload, std::span(slots).subspan(1));
  for (std::size_t i = 1; i < slots.size(); ++i) slots[i].seq = first_seq + i;
  return slots;
}

std::string PatternPayload(std::size_t bytes) {
  std::string payload(bytes, '\0');
  for (std::size_t i = 0; i < bytes; ++i) payload[i] = static_cast<char>('a' + i % 26);
  return payload;
}

// Pushes `slots` and returns the records completed, as owned copies.
struct Assembled {
  Event event;
  std::string payload;
};
std::vector<Assembled> PushAll(RecordAssembler& assembler, const std::vector<Event>& slots) {
  std::vector<Assembled> out;
  for (const Event& slot : slots) {
    if (const auto record = assembler.Push(slot)) out.push_back({record->event, std::string(record->payload)});
  }
  return out;
}

// --- PackPayload -------------------------------------------------------------

TEST(PackPayload, FillsBytesAfterTheSeqWordAndZeroPadsTheLastSlot) {
  Event slot;
  std::memset(&slot, 0xff, sizeof(slot));
  slot.seq = 77;
  PackPayload("abc", std::span(&slot, 1));
  const auto* bytes = reinterpret_cast<const unsigned char*>(&slot);
  EXPECT_EQ(slot.seq, 77u) << "the seq word belongs to the caller";
  EXPECT_EQ(std::memcmp(bytes + 8, "abc", 3), 0);
  for (std::size_t i = 8 + 3; i < sizeof(Event); ++i) EXPECT_EQ(bytes[i], 0) << "byte " << i;
}

TEST(PackPayload, SplitsAcrossSlotsAtFiftySixBytes) {
  const std::string payload = PatternPayload(100);
  std::vector<Event> slots(2);
  PackPayload(payload, slots);
  const auto* first = reinterpret_cast<const char*>(&slots[0]) + 8;
  const auto* second = reinterpret_cast<const char*>(&slots[1]) + 8;
  EXPECT_EQ(std::string(first, 56), payload.substr(0, 56));
  EXPECT_EQ(std::string(second, 44), payload.substr(56));
  EXPECT_EQ(second[44], '\0');
}

// --- RecordAssembler: whole records ---------------------------------------

// --- AppendRecord ------------------------------------------------------------

TEST(AppendRecord, NumbersOnFromTheLastSlotAndReassembles) {
  std::vector<Event> slots;
  AppendRecord(slots, Header(0, EventKind::kAlloc));
  const std::string name = PatternPayload(130);  // three continuation slots
  AppendRecord(slots, Header(0, EventKind::kTag), name);
  AppendRecord(slots, Header(0, EventKind::kMark), std::string(kMaxPayloadBytes + 10, 'x'));
  ASSERT_EQ(slots.size(), 1 + 4 + 1 + ContinuationSlots(kMaxPayloadBytes));
  for (std::size_t i = 0; i < slots.size(); ++i) EXPECT_EQ(slots[i].seq, i + 1);
  RecordAssembler assembler;
  const auto records = PushAll(assembler, slots);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].payload, name);
  EXPECT_EQ(records[2].payload.size(), kMaxPayloadBytes) << "cut at the largest payload";
  EXPECT_EQ(assembler.errors().total(), 0u);
}

TEST(RecordAssembler, RecordWithoutPayloadCompletesAtOnce) {
  RecordAssembler assembler;
  Event alloc = Header(1, EventKind::kAlloc);
  alloc.address = 0x1000;
  alloc.size = 64;
  const auto record = assembler.Push(alloc);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->kind(), EventKind::kAlloc);
  EXPECT_EQ(record->event.address, 0x1000u);
  EXPECT_EQ(record->event.size, 64u);
  EXPECT_TRUE(record->payload.empty());
  EXPECT_FALSE(assembler.mid_record());
  EXPECT_EQ(assembler.next_seq(), 2u);
}

TEST(RecordAssembler, PayloadOverSeveralContinuationSlotsIsReassembled) {
  const std::string payload = PatternPayload(200);  // 4 continuation slots
  const auto slots = RecordSlots(10, EventKind::kMark, payload);
  ASSERT_EQ(slots.size(), 5u);
  RecordAssembler assembler;
  for (std::size_t i = 0; i + 1 < slots.size(); ++i) {
    EXPECT_FALSE(assembler.Push(slots[i]).has_value()) << "slot " << i;
    EXPECT_TRUE(assembler.mid_record());
  }
  const auto record = assembler.Push(slots.back());
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->kind(), EventKind::kMark);
  EXPECT_EQ(record->event.seq, 10u);
  EXPECT_EQ(record->event.buffer_id, 0xb0ffu);
  EXPECT_EQ(record->event.device, 3);
  EXPECT_EQ(record->payload, payload);
  EXPECT_FALSE(assembler.mid_record());
  EXPECT_EQ(assembler.errors().total(), 0u);
}

TEST(RecordAssembler, PayloadOfExactlyOneSlotUsesOneContinuation) {
  const std::string payload = PatternPayload(56);
  const auto slots = RecordSlots(1, EventKind::kTag, payload);
  ASSERT_EQ(slots.size(), 2u);
  RecordAssembler assembler;
  const auto records = PushAll(assembler, slots);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].payload, payload);
  EXPECT_EQ(assembler.errors().total(), 0u);
}

TEST(RecordAssembler, PayloadOneByteOverASlotUsesTwoContinuations) {
  const std::string payload = PatternPayload(57);
  const auto slots = RecordSlots(1, EventKind::kTag, payload);
  ASSERT_EQ(slots.size(), 3u);
  RecordAssembler assembler;
  const auto records = PushAll(assembler, slots);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].payload, payload);
  EXPECT_EQ(records[0].payload.size(), 57u) << "padding of the last slot must not leak into the payload";
}

TEST(RecordAssembler, LargestPayloadIsAccepted) {
  const std::string payload = PatternPayload(kMaxPayloadBytes);
  RecordAssembler assembler;
  const auto records = PushAll(assembler, RecordSlots(1, EventKind::kDeviceOpen, payload));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].payload, payload);
}

TEST(RecordAssembler, ConsecutiveRecordsWithAndWithoutPayloads) {
  std::vector<Event> stream = RecordSlots(1, EventKind::kTag, "weights");
  stream.push_back(Header(3, EventKind::kAlloc));
  const auto mark = RecordSlots(4, EventKind::kMark, PatternPayload(60));
  stream.insert(stream.end(), mark.begin(), mark.end());
  stream.push_back(Header(7, EventKind::kFree));
  RecordAssembler assembler;
  const auto records = PushAll(assembler, stream);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].payload, "weights");
  EXPECT_EQ(records[1].event.kind, static_cast<std::uint8_t>(EventKind::kAlloc));
  EXPECT_EQ(records[2].payload, PatternPayload(60));
  EXPECT_EQ(records[3].event.seq, 7u);
  EXPECT_EQ(assembler.errors().total(), 0u);
}

TEST(RecordAssembler, StreamMayStartAtAnySequenceNumber) {
  RecordAssembler assembler;
  EXPECT_TRUE(assembler.Push(Header(5000, EventKind::kAlloc)).has_value());
  EXPECT_EQ(assembler.next_seq(), 5001u);
  EXPECT_EQ(assembler.errors().total(), 0u);
}

// --- RecordAssembler: hostile streams --------------------------------------

TEST(RecordAssembler, UnknownKindsAreCountedAndSkipped) {
  RecordAssembler assembler;
  EXPECT_FALSE(assembler.Push(Header(1, EventKind::kInvalid)).has_value());
  EXPECT_FALSE(assembler.Push(Header(2, static_cast<EventKind>(kLastEventKind + 1))).has_value());
  EXPECT_FALSE(assembler.Push(Header(3, static_cast<EventKind>(255))).has_value());
  EXPECT_EQ(assembler.errors().bad_kind, 3u);
  EXPECT_TRUE(assembler.Push(Header(4, EventKind::kAlloc)).has_value()) << "the stream goes on after a bad kind";
}

// A record of a kind this reader does not know (appended by a newer writer)
// still says how many continuation slots follow; those slots are payload, not
// headers, and must be skipped with it.
TEST(RecordAssembler, UnknownKindWithPayloadSkipsItsContinuationSlots) {
  // A payload whose continuation slot looks like an ALLOC header if misread.
  Event forged{};
  forged.kind = static_cast<std::uint8_t>(EventKind::kAlloc);
  forged.size = 4096;
  std::string payload(reinterpret_cast<const char*>(&forged) + 8, kContinuationPayload);
  auto stream = RecordSlots(1, static_cast<EventKind>(kLastEventKind + 1), payload);
  ASSERT_EQ(stream.size(), 2u);
  stream.push_back(Header(3, EventKind::kFree));
  RecordAssembler assembler;
  const auto records = PushAll(assembler, stream);
  EXPECT_EQ(assembler.errors().bad_kind, 1u);
  ASSERT_EQ(records.size(), 1u) << "a continuation slot was taken for a header";
  EXPECT_EQ(records[0].event.kind, static_cast<std::uint8_t>(EventKind::kFree));
}

TEST(RecordAssembler, OversizePayloadIsCountedAndSkipped) {
  RecordAssembler assembler;
  EXPECT_FALSE(assembler.Push(Header(1, EventKind::kMark, kMaxPayloadBytes + 1)).has_value());
  EXPECT_EQ(assembler.errors().bad_payload, 1u);
  EXPECT_FALSE(assembler.mid_record()) << "an oversize claim must not make the reader wait for its slots";
  EXPECT_FALSE(assembler.Push(Header(2, EventKind::kMark, 0xffffffffu)).has_value());
  EXPECT_EQ(assembler.errors().bad_payload, 2u);
  EXPECT_TRUE(assembler.Push(Header(3, EventKind::kAlloc)).has_value());
}

TEST(RecordAssembler, GapBetweenRecordsCountsMissingSlotsAndKeepsBoth) {
  RecordAssembler assembler;
  EXPECT_TRUE(assembler.Push(Header(1, EventKind::kAlloc)).has_value());
  const auto after_gap = assembler.Push(Header(5, EventKind::kFree));
  ASSERT_TRUE(after_gap.has_value());
  EXPECT_EQ(after_gap->event.seq, 5u);
  EXPECT_EQ(assembler.errors().missing_slots, 3u);
  EXPECT_EQ(assembler.next_seq(), 6u);
}

TEST(RecordAssembler, GapInsideARecordDropsTheHalfAssembledRecord) {
  const auto mark = RecordSlots(1, EventKind::kMark, PatternPayload(150));  // header + 3 slots: seq 1..4
  RecordAssembler assembler;
  EXPECT_FALSE(assembler.Push(mark[0]).has_value());
  EXPECT_FALSE(assembler.Push(mark[1]).has_value());
  // seq 3 and 4 are lost; the next slot is a new header at seq 5.
  const auto next = assembler.Push(Header(5, EventKind::kAlloc));
  ASSERT_TRUE(next.has_value()) << "the slot after the gap is a header and must be read as one";
  EXPECT_EQ(next->kind(), EventKind::kAlloc);
  EXPECT_TRUE(next->payload.empty());
  EXPECT_FALSE(assembler.mid_record());
  EXPECT_EQ(assembler.errors().missing_slots, 2u);
  // The record cut in half never comes out, even when its last slot turns up late.
  EXPECT_FALSE(assembler.Push(mark[3]).has_value());
  EXPECT_EQ(assembler.errors().sequence_backwards, 1u);
}

TEST(RecordAssembler, BackwardsOrRepeatedSequenceIsDropped) {
  RecordAssembler assembler;
  EXPECT_TRUE(assembler.Push(Header(1, EventKind::kAlloc)).has_value());
  EXPECT_TRUE(assembler.Push(Header(2, EventKind::kAlloc)).has_value());
  EXPECT_FALSE(assembler.Push(Header(2, EventKind::kFree)).has_value());  // repeated
  EXPECT_FALSE(assembler.Push(Header(1, EventKind::kFree)).has_value());  // backwards
  EXPECT_EQ(assembler.errors().sequence_backwards, 2u);
  EXPECT_EQ(assembler.errors().missing_slots, 0u);
  EXPECT_EQ(assembler.next_seq(), 3u) << "a stale slot must not move the expected sequence";
  EXPECT_TRUE(assembler.Push(Header(3, EventKind::kFree)).has_value());
  EXPECT_EQ(assembler.errors().total(), 2u);
}

TEST(RecordAssembler, StaleSlotInsideARecordDoesNotDisturbIt) {
  const std::string payload = PatternPayload(100);
  const auto mark = RecordSlots(5, EventKind::kMark, payload);  // seq 5..7
  RecordAssembler assembler;
  EXPECT_FALSE(assembler.Push(mark[0]).has_value());
  EXPECT_FALSE(assembler.Push(mark[1]).has_value());
  EXPECT_FALSE(assembler.Push(Header(4, EventKind::kAlloc)).has_value());
  const auto record = assembler.Push(mark[2]);
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->payload, payload);
  EXPECT_EQ(assembler.errors().sequence_backwards, 1u);
}

// --- device description codec --------------------------------------------

TEST(DeviceDescription, RoundTrips) {
  const DeviceDescription device{"n300 card 0",
                                 {{MEMLEDGER_DRAM, 12ULL << 30}, {MEMLEDGER_L1, 1464ULL << 10}, {17, 42}}};
  const auto decoded = DecodeDeviceDescription(EncodeDeviceDescription(device));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->name, device.name);
  ASSERT_EQ(decoded->capacities.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(decoded->capacities[i].type, device.capacities[i].type) << i;
    EXPECT_EQ(decoded->capacities[i].bytes, device.capacities[i].bytes) << i;
  }
}

TEST(DeviceDescription, EmptyDescriptionRoundTrips) {
  const std::string payload = EncodeDeviceDescription({});
  EXPECT_EQ(payload.size(), 4u);
  const auto decoded = DecodeDeviceDescription(payload);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_TRUE(decoded->name.empty());
  EXPECT_TRUE(decoded->capacities.empty());
}

TEST(DeviceDescription, EncodingStaysWithinTheLargestPayload) {
  DeviceDescription device{std::string(10000, 'n'), {}, std::string(10000, 'u')};
  for (int i = 0; i < 100; ++i) {
    const auto type = static_cast<memledger_mem_type>(i % 64);
    device.capacities.push_back({type, 1});
    device.address_spaces.push_back({type, type, 1, 1, 0, 1});
  }
  const std::string payload = EncodeDeviceDescription(device);
  EXPECT_LE(payload.size(), kMaxPayloadBytes);
  const auto decoded = DecodeDeviceDescription(payload);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->capacities.size(), static_cast<std::size_t>(MEMLEDGER_MAX_TYPES));
  EXPECT_EQ(decoded->address_spaces.size(), static_cast<std::size_t>(MEMLEDGER_MAX_TYPES));
  EXPECT_EQ(decoded->name, std::string(kMaxNameRecordBytes, 'n')) << "a name is cut where every name is";
  EXPECT_EQ(decoded->uid, std::string(kMaxNameRecordBytes, 'u'));
}

TEST(DeviceDescription, AddressSpacesRoundTripWithoutAUid) {
  DeviceDescription device{"wormhole", {{MEMLEDGER_L1, 64 * (1 << 20)}}};
  device.address_spaces = {{MEMLEDGER_L1, MEMLEDGER_L1, 64, 16, 0x8000 * 64, 1400 * 1024 * 64},
                           {MEMLEDGER_CB, MEMLEDGER_L1, 0, 0, 0, 0}};
  const auto decoded = DecodeDeviceDescription(EncodeDeviceDescription(device));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->name, "wormhole");
  EXPECT_TRUE(decoded->uid.empty());
  ASSERT_EQ(decoded->address_spaces.size(), 2u);
  const memledger_address_space& l1 = decoded->address_spaces[0];
  EXPECT_EQ(l1.type, MEMLEDGER_L1);
  EXPECT_EQ(l1.within, MEMLEDGER_L1);
  EXPECT_EQ(l1.banks, 64u);
  EXPECT_EQ(l1.alignment, 16u);
  EXPECT_EQ(l1.base, 0x8000u * 64);
  EXPECT_EQ(l1.size, 1400u * 1024 * 64);
  EXPECT_EQ(decoded->address_spaces[1].type, MEMLEDGER_CB);
  EXPECT_EQ(decoded->address_spaces[1].within, MEMLEDGER_L1);
}

TEST(DeviceDescription, AddressSpacesThatAreNotWholeRecordsAreRefused) {
  DeviceDescription device{"d", {}};
  device.address_spaces = {{MEMLEDGER_L1, MEMLEDGER_L1, 1, 1, 0, 1}};
  std::string payload = EncodeDeviceDescription(device);
  // The field's length says 32 bytes; cut its last byte and the length with it.
  payload.pop_back();
  const std::size_t length_at = payload.size() - 31 - 2;
  payload[length_at] = 31;
  EXPECT_FALSE(DecodeDeviceDescription(payload).has_value());
}

std::string RawDescription(std::uint32_t count, std::uint32_t capacity_records, std::uint32_t type) {
  std::string out(4 + capacity_records * 16, '\0');
  std::memcpy(out.data(), &count, 4);
  for (std::uint32_t i = 0; i < capacity_records; ++i) {
    const std::uint64_t bytes = 1000 + i;
    std::memcpy(out.data() + 4 + i * 16, &type, 4);
    std::memcpy(out.data() + 4 + i * 16 + 8, &bytes, 8);
  }
  return out;
}

TEST(DeviceDescription, HandBuiltPayloadDecodes) {
  const auto decoded = DecodeDeviceDescription(RawDescription(2, 2, MEMLEDGER_L1) + "dev");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->name, "dev");
  ASSERT_EQ(decoded->capacities.size(), 2u);
  EXPECT_EQ(decoded->capacities[1].type, MEMLEDGER_L1);
  EXPECT_EQ(decoded->capacities[1].bytes, 1001u);
}

TEST(DeviceDescription, ShorterThanItsCountIsMalformed) {
  EXPECT_EQ(DecodeDeviceDescription(""), std::nullopt);
  EXPECT_EQ(DecodeDeviceDescription(std::string(3, '\0')), std::nullopt);
  EXPECT_EQ(DecodeDeviceDescription(RawDescription(2, 1, MEMLEDGER_DRAM)), std::nullopt);
  std::string one_byte_short = RawDescription(3, 3, MEMLEDGER_DRAM);
  one_byte_short.pop_back();
  EXPECT_EQ(DecodeDeviceDescription(one_byte_short), std::nullopt);
}

TEST(DeviceDescription, CountAboveTheTypeLimitIsMalformed) {
  EXPECT_TRUE(DecodeDeviceDescription(RawDescription(MEMLEDGER_MAX_TYPES, MEMLEDGER_MAX_TYPES, 0)).has_value());
  EXPECT_EQ(DecodeDeviceDescription(RawDescription(MEMLEDGER_MAX_TYPES + 1, MEMLEDGER_MAX_TYPES + 1, 0)),
            std::nullopt);
  EXPECT_EQ(DecodeDeviceDescription(RawDescription(0xffffffffu, 1, 0)), std::nullopt);
}

TEST(DeviceDescription, TypeOutOfRangeIsMalformed) {
  EXPECT_TRUE(DecodeDeviceDescription(RawDescription(1, 1, MEMLEDGER_MAX_TYPES - 1)).has_value());
  EXPECT_EQ(DecodeDeviceDescription(RawDescription(1, 1, MEMLEDGER_MAX_TYPES)), std::nullopt);
  EXPECT_EQ(DecodeDeviceDescription(RawDescription(1, 1, 0x100)), std::nullopt) << "must not be truncated to 8 bits";
}

TEST(DeviceDescription, UidRoundTrips) {
  const DeviceDescription device{"NVIDIA H100", {{MEMLEDGER_DRAM, 80ULL << 30}}, "GPU-5f1c2d3e-0000-1111-2222-333344445555"};
  const std::string payload = EncodeDeviceDescription(device);
  std::uint32_t first_word = 0;
  std::memcpy(&first_word, payload.data(), 4);
  EXPECT_EQ(first_word, 1u | kDescriptionFields) << "a described payload says so in its first word";
  const auto decoded = DecodeDeviceDescription(payload);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->name, device.name);
  EXPECT_EQ(decoded->uid, device.uid);
  ASSERT_EQ(decoded->capacities.size(), 1u);
  EXPECT_EQ(decoded->capacities[0].bytes, 80ULL << 30);
}

TEST(DeviceDescription, WithoutAUidThePayloadIsThePlainLayout) {
  // Byte for byte what readers from before device identities read.
  EXPECT_EQ(EncodeDeviceDescription({"dev", {{MEMLEDGER_L1, 1000}, {MEMLEDGER_L1, 1001}}}),
            RawDescription(2, 2, MEMLEDGER_L1) + "dev");
}

TEST(DeviceDescription, AReaderFromBeforeUidsRefusesADescribedPayload) {
  // Its count check is what refuses it: the flag puts the count out of range.
  std::uint32_t first_word = 0;
  std::memcpy(&first_word, EncodeDeviceDescription({"d", {}, "uid"}).data(), 4);
  EXPECT_GT(first_word, static_cast<std::uint32_t>(MEMLEDGER_MAX_TYPES));
}

std::string Field(std::uint16_t field, std::string_view text) {
  std::string out(4, '\0');
  const auto bytes = static_cast<std::uint16_t>(text.size());
  std::memcpy(out.data(), &field, 2);
  std::memcpy(out.data() + 2, &bytes, 2);
  return out + std::string(text);
}

TEST(DeviceDescription, FieldsAReaderDoesNotKnowAreSkipped) {
  const auto decoded = DecodeDeviceDescription(RawDescription(kDescriptionFields, 0, 0) + Field(9, "later") +
                                               Field(2, "chip-7") + Field(1, "n300") + Field(0xffff, ""));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->name, "n300");
  EXPECT_EQ(decoded->uid, "chip-7");
}

TEST(DeviceDescription, CutFieldsAreMalformed) {
  const std::string whole = RawDescription(kDescriptionFields | 1, 1, MEMLEDGER_DRAM) + Field(2, "chip-7");
  ASSERT_TRUE(DecodeDeviceDescription(whole).has_value());
  for (std::size_t cut = 1; cut < 4 + 6; ++cut) {  // into the uid, then into its field header
    EXPECT_EQ(DecodeDeviceDescription(whole.substr(0, whole.size() - cut)), std::nullopt) << cut;
  }
}

TEST(DeviceDescription, UidDecodesAsValidUtf8AndIsCutLikeAName) {
  const auto decoded = DecodeDeviceDescription(RawDescription(kDescriptionFields, 0, 0) + Field(2, "id\xff"));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->uid, "id\xEF\xBF\xBD");
  const auto long_uid = DecodeDeviceDescription(EncodeDeviceDescription({"d", {}, std::string(1000, 'u')}));
  ASSERT_TRUE(long_uid.has_value());
  EXPECT_EQ(long_uid->uid, std::string(kMaxNameRecordBytes, 'u'));
}

TEST(LanguageFrame, RoundTrips) {
  const LanguageFrame frame{"Model.forward", "/home/me/model.py", 42};
  EXPECT_EQ(DecodeLanguageFrame(EncodeLanguageFrame(frame)), frame);
  EXPECT_EQ(DecodeLanguageFrame(EncodeLanguageFrame({})), LanguageFrame{});
}

TEST(LanguageFrame, LongTextsAreCut) {
  const LanguageFrame frame{std::string(3000, 'f'), std::string(3000, 'p'), 7};
  const std::string payload = EncodeLanguageFrame(frame);
  EXPECT_EQ(payload.size(), 8 + 2 * kMaxLanguageFrameText);
  EXPECT_LE(payload.size(), kMaxPayloadBytes);
  EXPECT_EQ(DecodeLanguageFrame(payload),
            (LanguageFrame{std::string(kMaxLanguageFrameText, 'f'), std::string(kMaxLanguageFrameText, 'p'), 7}));
}

TEST(LanguageFrame, MalformedPayloadsAreRefused) {
  EXPECT_EQ(DecodeLanguageFrame(""), std::nullopt);
  EXPECT_EQ(DecodeLanguageFrame(std::string(7, '\0')), std::nullopt);
  std::string payload = EncodeLanguageFrame({"run", "", 1});
  EXPECT_TRUE(DecodeLanguageFrame(payload).has_value());
  payload.pop_back();  // the function is longer than what is left
  EXPECT_EQ(DecodeLanguageFrame(payload), std::nullopt);
  // A text longer than any writer makes: not trusted.
  const std::string long_file = EncodeLanguageFrame({"f", "", 1}) + std::string(kMaxLanguageFrameText + 1, 'x');
  EXPECT_EQ(DecodeLanguageFrame(long_file), std::nullopt);
}

TEST(LanguageFrame, ValuesNeverEqualNativeAddresses) {
  EXPECT_TRUE(IsLanguageFrame(LanguageFrameValue(1)));
  EXPECT_TRUE(IsLanguageFrame(LanguageFrameValue(0xffffffffu)));
  EXPECT_FALSE(IsLanguageFrame(0x401000));                 // a non-PIE executable
  EXPECT_FALSE(IsLanguageFrame(0x7fff'ffff'f000ULL));      // top of 4-level user space
  EXPECT_FALSE(IsLanguageFrame(0x00ff'ffff'ffff'f000ULL));  // top of 5-level user space
  EXPECT_FALSE(IsLanguageFrame(0xffff'8000'0000'0000ULL));  // kernel half
}

// --- names -------------------------------------------------------------------

TEST(DecodeName, KeepsAValidName) {
  EXPECT_EQ(DecodeName("kv_cache"), "kv_cache");
  EXPECT_EQ(DecodeName("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(DecodeName(""), "");
}

TEST(DecodeName, ReplacesIllFormedBytes) {
  EXPECT_EQ(DecodeName("caf\xE9"), "caf\xEF\xBF\xBD");
  EXPECT_EQ(DecodeName("\xFF\xFE"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(DecodeName, CutsALongNameOnACharacterBoundary) {
  // 'a' then 2-byte characters: byte 256 is the first half of one.
  std::string name = "a";
  while (name.size() < 300) name += "\xC3\xA9";
  const std::string decoded = DecodeName(name);
  EXPECT_EQ(decoded, name.substr(0, 255));
  EXPECT_TRUE(IsValidUtf8(decoded));
}

TEST(DecodeName, AReplacedByteNeverTakesANameOverTheLimit) {
  const std::string decoded = DecodeName(std::string(300, '\xE9'));  // each byte grows to three
  EXPECT_LE(decoded.size(), kMaxNameRecordBytes);
  EXPECT_EQ(decoded.size(), 255u);  // 85 whole U+FFFD
  EXPECT_TRUE(IsValidUtf8(decoded));
}

TEST(DeviceDescription, NameDecodesAsValidUtf8) {
  const auto decoded = DecodeDeviceDescription(RawDescription(0, 0, 0) + "dev\xE9\n");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->name, "dev\xEF\xBF\xBD\n");
}

TEST(LanguageFrame, TextsDecodeAsValidUtf8WithinTheLimit) {
  // u32 line, u32 function bytes, function, file: as another writer might send them.
  const std::uint32_t wire[2] = {9, 2};
  std::string payload(reinterpret_cast<const char*>(wire), sizeof(wire));
  payload += "f\xE9" + std::string(kMaxLanguageFrameText, '\xE9');
  const auto frame = DecodeLanguageFrame(payload);
  ASSERT_TRUE(frame.has_value());
  EXPECT_EQ(frame->function, "f\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(frame->file));
  EXPECT_EQ(frame->file.size(), kMaxLanguageFrameText / 3 * 3);  // whole U+FFFD only
  EXPECT_EQ(frame->line, 9u);
}

}  // namespace
}  // namespace memledger
